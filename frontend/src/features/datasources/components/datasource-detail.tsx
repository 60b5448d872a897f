import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Link } from '@/components/ui/link';
import { Loading } from '@/components/ui/loading';
import { Section } from '@/components/ui/section';
import { StatusChip } from '@/components/ui/status-chip';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api/client';
import type { DatasourceDetail as Detail } from '@/lib/api/types';
import { formatBytes, formatDateTime, formatNumber, formatTimeRange } from '@/lib/format';
import { useTimeZoneMode, type TimeZoneMode } from '@/lib/time-zone';
import { useDatasource } from '../api/get-datasource';
import { DatasourceTimeseriesChart } from './datasource-timeseries-chart';
import { DeleteDatasourceButton } from './delete-datasource-button';

const TIME_COLUMN = '__time';

function cell(value: unknown, column: string, zone: TimeZoneMode): string {
  if (value === null || value === undefined) return '';
  if (column === TIME_COLUMN && typeof value === 'string') return formatDateTime(value, zone, { seconds: true });
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One datasource: its figures, rows over time, schema, first rows by time, uploads, and delete. */
export function DatasourceDetail({ name }: { name: string }) {
  const query = useDatasource(name);
  const zone = useTimeZoneMode();
  if (query.isPending) return <Loading label={`Loading ${name}…`} />;
  if (query.isError && !query.data) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return (
        <EmptyState title={`There is no datasource ${name}`}>
          It may have been deleted. <Link to={paths.datasources.href()}>All datasources</Link>
        </EmptyState>
      );
    }
    return <ErrorAlert error={query.error} title={`Could not load ${name}`} />;
  }
  const ds = query.data;
  return (
    <Stack spacing={3} data-testid="datasource-detail" data-name={ds.name}>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ justifyContent: 'space-between', alignItems: { sm: 'center' } }}>
        <div>
          <Typography variant="h5" component="h1" sx={{ overflowWrap: 'anywhere' }}>
            {ds.name}
          </Typography>
          <Typography variant="body2" color="text.secondary" data-testid="datasource-figures">
            {formatNumber(ds.row_count)} rows · {formatBytes(ds.size_bytes)} · {ds.column_count} columns ·{' '}
            {formatTimeRange(ds.min_time, ds.max_time, zone)} · <Link to={paths.datasourceTasks.href(ds.name)}>all its tasks</Link>
          </Typography>
        </div>
        <DeleteDatasourceButton name={ds.name} rows={ds.row_count} />
      </Stack>

      <Section title="Rows over time" id={`datasource-${ds.name}`}>
        <DatasourceTimeseriesChart name={ds.name} minTime={ds.min_time} maxTime={ds.max_time} />
      </Section>

      <Section title="Schema" subtitle={`${ds.column_count} columns, as the sink stores them`}>
        <Stack direction="row" spacing={0.5} useFlexGap sx={{ flexWrap: 'wrap' }} aria-label="Schema" role="list" data-testid="schema">
          {ds.columns.map((c) => (
            <Chip role="listitem" key={c.name} size="small" variant="outlined" label={`${c.name}: ${c.type}`} />
          ))}
        </Stack>
      </Section>

      <SampleRows ds={ds} zone={zone} />
      <Uploads ds={ds} zone={zone} />
    </Stack>
  );
}

function SampleRows({ ds, zone }: { ds: Detail; zone: TimeZoneMode }) {
  const columns = ds.columns.map((c) => c.name);
  return (
    <Section title="Sample rows" subtitle={`The first ${ds.sample.length} rows by time`}>
      {ds.sample.length === 0 ? (
        <EmptyState title="No rows to show" />
      ) : (
        <TableContainer sx={{ overflowX: 'auto', maxWidth: '100%' }}>
          <Table size="small" aria-label="Sample rows" data-testid="sample-table">
            <TableHead>
              <TableRow>
                {columns.map((c) => (
                  <TableCell key={c} sx={{ whiteSpace: 'nowrap' }}>
                    {c}
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {ds.sample.map((row, i) => (
                <TableRow key={i} data-testid="sample-row">
                  {columns.map((c) => (
                    <TableCell key={c} sx={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
                      {cell((row as Record<string, unknown>)[c], c, zone)}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Section>
  );
}

function Uploads({ ds, zone }: { ds: Detail; zone: TimeZoneMode }) {
  return (
    <Section title="Uploads" subtitle="The files that went into it, newest first">
      {ds.uploads.length === 0 ? (
        <EmptyState title="No uploads recorded">The task store has no task for this datasource.</EmptyState>
      ) : (
        <TableContainer sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Uploads" data-testid="uploads-table" sx={{ '& td, & th': { px: { xs: 0.75, sm: 2 } } }}>
            <TableHead>
              <TableRow>
                <TableCell>File</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Mode</TableCell>
                <TableCell align="right">Rows</TableCell>
                <TableCell align="right" sx={{ display: { xs: 'none', sm: 'table-cell' } }}>
                  When
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {ds.uploads.map((u) => (
                <TableRow key={u.task_id} data-testid="upload-row" data-task-id={u.task_id}>
                  <TableCell sx={{ maxWidth: { xs: 120, md: 320 }, overflowWrap: 'anywhere' }}>
                    <Link to={paths.task.href(u.task_id)}>{u.file_name}</Link>
                  </TableCell>
                  <TableCell>
                    <StatusChip status={u.status} />
                  </TableCell>
                  <TableCell>{u.mode}</TableCell>
                  <TableCell align="right">{formatNumber(u.rows)}</TableCell>
                  <TableCell align="right" sx={{ display: { xs: 'none', sm: 'table-cell' }, whiteSpace: 'nowrap' }}>
                    {formatDateTime(u.created_at, zone)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Section>
  );
}
