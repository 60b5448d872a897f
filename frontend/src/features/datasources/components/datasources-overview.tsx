import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { EmptyState } from '@/components/ui/empty-state';
import { Link } from '@/components/ui/link';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Loading } from '@/components/ui/loading';
import { Section } from '@/components/ui/section';
import { paths } from '@/config/paths';
import { formatNumber, formatTimeRange } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';
import { useDatasources } from '../api/get-datasources';
import { DatasourceTimeseriesChart } from './datasource-timeseries-chart';

/** Every datasource with its row count, time range, columns and rows over time. */
export function DatasourcesOverview() {
  const query = useDatasources();
  const zone = useTimeZoneMode();
  if (query.isPending) return <Loading label="Loading datasources…" />;
  if (query.isError && !query.data) return <ErrorAlert error={query.error} title="Could not load datasources" />;
  const list = query.data?.datasources ?? [];
  if (list.length === 0) {
    return (
      <Section title="Datasources">
        <EmptyState title="No datasources yet">A datasource appears once a file has been ingested into it.</EmptyState>
      </Section>
    );
  }
  return (
    <Stack spacing={3} data-testid="datasources">
      {list.map((ds) => (
        <Section
          key={ds.name}
          id={`datasource-${ds.name}`}
          title={ds.name}
          subtitle={
            <>
              {formatNumber(ds.row_count)} rows
              {' · '}
              <Link to={paths.datasourceTasks.href(ds.name)}>uploads</Link>
              {ds.min_time || ds.max_time ? ` · ${formatTimeRange(ds.min_time, ds.max_time, zone)}` : ''}
            </>
          }
        >
          <Box sx={{ mb: 2 }}>
            <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 0.5 }}>
              Columns ({ds.columns.length})
            </Typography>
            <Stack direction="row" spacing={0.5} useFlexGap sx={{ flexWrap: 'wrap' }}>
              {ds.columns.map((c) => (
                <Chip key={c.name} size="small" variant="outlined" label={`${c.name}: ${c.type}`} />
              ))}
            </Stack>
          </Box>
          <DatasourceTimeseriesChart name={ds.name} minTime={ds.min_time} maxTime={ds.max_time} />
        </Section>
      ))}
    </Stack>
  );
}
