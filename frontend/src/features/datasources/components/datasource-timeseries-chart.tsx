import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { LineChart } from '@mui/x-charts/LineChart';
import { useMemo, useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Loading } from '@/components/ui/loading';
import type { Granularity } from '@/lib/api/types';
import { formatBucket, formatNumber, formatTick, zoneLabel } from '@/lib/format';
import { bucketCount, chooseUnit, fillGaps, MAX_CHART_BUCKETS, UNIT_LABEL } from '@/lib/time-buckets';
import { useTimeZoneMode } from '@/lib/time-zone';
import { useDatasourceTimeseries } from '../api/get-datasource-timeseries';

const HEIGHT = 240;
const compact = new Intl.NumberFormat('en-US', { notation: 'compact' });
const CHOICES: Granularity[] = ['hour', 'day', 'week', 'month'];

type Props = { name: string; minTime?: string | null; maxTime?: string | null };

/**
 * Rows per bucket (by the data's own timestamp) for one datasource. The bucket width follows the
 * datasource's time range unless the user picks one; widths that would need more than
 * MAX_CHART_BUCKETS buckets are offered disabled. Buckets without rows are drawn at 0.
 */
export function DatasourceTimeseriesChart({ name, minTime, maxTime }: Props) {
  const zone = useTimeZoneMode();
  const span = minTime && maxTime ? Date.parse(maxTime) - Date.parse(minTime) : 0;
  const auto = chooseUnit(Number.isNaN(span) ? 0 : span) as Granularity;
  const [picked, setPicked] = useState<Granularity | null>(null);
  const granularity = picked ?? auto;
  const query = useDatasourceTimeseries(name, granularity);
  const points = useMemo(
    () =>
      fillGaps(
        (query.data?.points ?? []).map((p) => ({ time: Date.parse(p.time), rows: p.rows })),
        granularity,
      ),
    [query.data, granularity],
  );
  const axisSpan = (points.at(-1)?.time ?? 0) - (points[0]?.time ?? 0);
  const zoneName = zoneLabel(zone, points[0]?.time);

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', justifyContent: 'space-between', flexWrap: 'wrap' }} useFlexGap>
        <Typography variant="caption" color="text.secondary" data-testid="chart-bucket-note">
          One point per {UNIT_LABEL[granularity]}
          {picked ? '' : ' (chosen for the time range)'}; {UNIT_LABEL[granularity]}s without rows are drawn at 0.
        </Typography>
        <ToggleButtonGroup
          exclusive
          size="small"
          value={granularity}
          onChange={(_, v: Granularity | null) => v && setPicked(v)}
          aria-label={`Bucket size for ${name}`}
        >
          {CHOICES.map((g) => (
            <ToggleButton key={g} value={g} disabled={bucketCount(span, g) > MAX_CHART_BUCKETS * 25}>
              {UNIT_LABEL[g].replace(/^./, (c) => c.toUpperCase())}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Stack>
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
                // Ticks fall on the midnights and hours of the zone shown.
                scaleType: zone === 'utc' ? 'utc' : 'time',
                data: points.map((p) => new Date(p.time)),
                label: `Data time (${zoneName})`,
                valueFormatter: (d: Date, ctx: { location: string }) =>
                  ctx.location === 'tick' ? formatTick(d.getTime(), axisSpan, zone) : formatBucket(d.getTime(), granularity, zone),
              },
            ]}
            yAxis={[{ label: `Rows per ${granularity}`, valueFormatter: (v: number) => compact.format(v), width: 60, min: 0 }]}
            series={[
              {
                data: points.map((p) => p.rows),
                label: 'rows',
                area: true,
                connectNulls: false,
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
