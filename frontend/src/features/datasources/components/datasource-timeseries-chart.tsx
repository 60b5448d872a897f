import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import { LineChart } from '@mui/x-charts/LineChart';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Loading } from '@/components/ui/loading';
import type { Granularity } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { useDatasourceTimeseries } from '../api/get-datasource-timeseries';

const HEIGHT = 240;
const compact = new Intl.NumberFormat('en-US', { notation: 'compact' });

function formatTime(d: Date, granularity: Granularity) {
  return granularity === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** Rows per hour or day (by the data's own timestamp) for one datasource. */
export function DatasourceTimeseriesChart({ name }: { name: string }) {
  const [granularity, setGranularity] = useState<Granularity>('day');
  const query = useDatasourceTimeseries(name, granularity);
  const points = query.data?.points ?? [];

  return (
    <Stack spacing={1}>
      <ToggleButtonGroup
        exclusive
        size="small"
        value={granularity}
        onChange={(_, v: Granularity | null) => v && setGranularity(v)}
        aria-label={`Granularity for ${name}`}
        sx={{ alignSelf: 'flex-end' }}
      >
        <ToggleButton value="hour">Hourly</ToggleButton>
        <ToggleButton value="day">Daily</ToggleButton>
      </ToggleButtonGroup>
      {query.isPending ? (
        <Loading label="Loading rows over time…" height={HEIGHT} />
      ) : query.isError && !query.data ? (
        <ErrorAlert error={query.error} title="Could not load rows over time" />
      ) : points.length === 0 ? (
        <EmptyState title="No rows in this datasource yet" height={HEIGHT} />
      ) : (
        <Box data-testid="chart-datasource" role="img" aria-label={`Rows per ${granularity} in ${name}`}>
          <LineChart
            height={HEIGHT}
            xAxis={[
              {
                scaleType: 'time',
                data: points.map((p) => new Date(p.time)),
                label: `Data time (per ${granularity})`,
                valueFormatter: (d: Date) => formatTime(d, granularity),
              },
            ]}
            yAxis={[{ label: 'Rows', valueFormatter: (v: number) => compact.format(v), width: 60, min: 0 }]}
            series={[
              {
                data: points.map((p) => p.rows),
                label: 'rows',
                area: true,
                showMark: points.length < 40,
                valueFormatter: (v) => `${formatNumber(v)} rows`,
              },
            ]}
            hideLegend
          />
        </Box>
      )}
    </Stack>
  );
}
