import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { ColumnProfile, ColumnStats } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { shortNumber } from '../utils/short-number';

type Bucket = NonNullable<ColumnStats['histogram']>[number];
type ValueCount = NonNullable<ColumnStats['top_values']>[number];

const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 1 : 0)} %`;

const CHART_W = 220;
const CHART_H = 60;

/** Equal-width bars, as an SVG small enough for a card; each bar says its range and count. */
export function Histogram({ buckets, column }: { buckets: Bucket[]; column: string }) {
  const max = Math.max(...buckets.map((b) => b.count), 1);
  const width = CHART_W / buckets.length;
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return null;
  return (
    <Box>
      <svg
        width="100%"
        viewBox={`0 0 ${CHART_W} ${CHART_H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Histogram of ${column}: ${buckets.length} bars from ${shortNumber(first.lower)} to ${shortNumber(last.upper)}`}
        data-testid="column-histogram"
        style={{ display: 'block', height: CHART_H }}
      >
        {buckets.map((b, i) => {
          const h = b.count === 0 ? 0 : Math.max(1, (b.count / max) * (CHART_H - 2));
          return (
            <rect key={i} x={i * width + 0.5} y={CHART_H - h} width={Math.max(width - 1, 0.5)} height={h} fill="currentColor" data-count={b.count}>
              <title>{`${shortNumber(b.lower)} to ${shortNumber(b.upper)}: ${formatNumber(b.count)}`}</title>
            </rect>
          );
        })}
      </svg>
      <Stack direction="row" sx={{ justifyContent: 'space-between' }}>
        <Typography variant="caption" color="text.secondary">
          {shortNumber(first.lower)}
        </Typography>
        <Typography variant="caption" color="text.secondary">
          {shortNumber(last.upper)}
        </Typography>
      </Stack>
    </Box>
  );
}

/** The most frequent values as horizontal bars, each labelled with its value and count. */
export function TopValues({ values, exact, column }: { values: ValueCount[]; exact: boolean; column: string }) {
  const max = Math.max(...values.map((v) => v.count), 1);
  return (
    <Box component="ol" aria-label={`Most frequent values of ${column}`} data-testid="column-top-values" sx={{ m: 0, p: 0, listStyle: 'none' }}>
      {values.map((v) => (
        <Box component="li" key={v.value} sx={{ position: 'relative', mb: 0.25 }} data-count={v.count}>
          <Box
            aria-hidden
            sx={{ position: 'absolute', inset: 0, width: `${(v.count / max) * 100}%`, bgcolor: 'action.selected', borderRadius: 0.5 }}
          />
          <Stack direction="row" spacing={1} sx={{ position: 'relative', px: 0.5, justifyContent: 'space-between' }}>
            <Typography variant="caption" noWrap title={v.value} sx={{ minWidth: 0 }}>
              {v.value}
            </Typography>
            <Typography variant="caption" color="text.secondary">
              {exact ? '' : '≤ '}
              {formatNumber(v.count)}
            </Typography>
          </Stack>
        </Box>
      ))}
    </Box>
  );
}

/** One column's card: distinct estimate, null ratio (as a bar) and its chart. */
function ColumnCard({ column, stats }: { column: ColumnProfile; stats: ColumnStats }) {
  const histogram = stats.histogram ?? [];
  const top = stats.top_values ?? [];
  return (
    <Paper variant="outlined" sx={{ p: 1.5, minWidth: 0 }} data-testid="column-stats" data-column={column.name}>
      <Typography variant="body2" noWrap title={column.name}>
        <code>{column.name}</code>{' '}
        <Typography component="span" variant="caption" color="text.secondary">
          {column.type}
        </Typography>
      </Typography>
      <Stack direction="row" spacing={2} sx={{ my: 0.5 }}>
        <Typography variant="caption" data-testid="column-distinct">
          ≈ {formatNumber(stats.distinct_estimate)} distinct
        </Typography>
        <Typography variant="caption" data-testid="column-nulls">
          {percent(stats.null_ratio)} null
        </Typography>
      </Stack>
      <Box
        role="meter"
        aria-label={`Share of nulls in ${column.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(stats.null_ratio * 100)}
        sx={{ height: 4, bgcolor: 'success.light', borderRadius: 1, overflow: 'hidden', mb: 1 }}
      >
        <Box sx={{ height: '100%', width: `${stats.null_ratio * 100}%`, bgcolor: 'warning.main' }} />
      </Box>
      {histogram.length > 0 ? (
        <Box sx={{ color: 'primary.main' }}>
          <Histogram buckets={histogram} column={column.name} />
        </Box>
      ) : top.length > 0 ? (
        <TopValues values={top} exact={stats.top_values_exact ?? false} column={column.name} />
      ) : null}
    </Paper>
  );
}

/** Small charts of every column that has statistics (reports from before they existed have none). */
export function ColumnStatsGrid({ columns }: { columns: ColumnProfile[] }) {
  const profiled = columns.filter((c): c is ColumnProfile & { stats: ColumnStats } => !!c.stats);
  if (profiled.length === 0) return null;
  return (
    <Box>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Column profiles
      </Typography>
      <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 0 }}>
        Distinct counts are exact up to 1,024, estimated (HyperLogLog) beyond; top values marked ≤ are upper bounds.
      </Typography>
      <Box sx={{ display: 'grid', gap: 1.5, gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))' }}>
        {profiled.map((c) => (
          <ColumnCard key={c.name} column={c} stats={c.stats} />
        ))}
      </Box>
    </Box>
  );
}
