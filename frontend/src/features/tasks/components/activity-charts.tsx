import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { BarChart } from '@mui/x-charts/BarChart';
import { useMemo } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Loading } from '@/components/ui/loading';
import { Section } from '@/components/ui/section';
import { formatBucket, formatBucketLabel, formatDuration, formatNumber, zoneLabel } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';
import { RECENT_TASKS_LIMIT, useRecentTasks } from '../api/get-recent-tasks';
import { bucketActivity, stageTimes } from '../utils/activity';
import { STAGE_LABELS } from '../utils/stages';

const CHART_HEIGHT = 280;
const SUCCESS = '#2e7d32';
const FAILURE = '#d32f2f';
const compact = new Intl.NumberFormat('en-US', { notation: 'compact' });

/** Ingestion activity over time and time per stage, computed from the newest tasks. */
export function ActivityCharts() {
  const query = useRecentTasks();
  const tasks = useMemo(() => query.data?.tasks ?? [], [query.data]);
  const zone = useTimeZoneMode();
  const activity = useMemo(() => bucketActivity(tasks, zone), [tasks, zone]);
  const stages = useMemo(() => stageTimes(tasks), [tasks]);
  const labels = activity.buckets.map((b) => formatBucketLabel(b.start, activity.granularity, zone));
  const per = activity.granularity === 'hour' ? 'per hour' : 'per day';
  const zoneName = zoneLabel(zone, activity.buckets.at(-1)?.start);
  const subtitle = `From the newest ${RECENT_TASKS_LIMIT} tasks, by upload time, ${per} (${zoneName}); ${
    activity.granularity === 'hour' ? 'hours' : 'days'
  } without uploads show as 0`;
  // The tooltip names the whole bucket, with its zone; the band labels stay short.
  const bandAxis = {
    scaleType: 'band' as const,
    data: labels,
    label: `Upload time (${per}, ${zoneName})`,
    valueFormatter: (label: string, ctx: { location: string }) => {
      const bucket = activity.buckets[labels.indexOf(label)];
      return ctx.location === 'tick' || !bucket ? label : formatBucket(bucket.start, activity.granularity, zone);
    },
  };

  if (query.isPending) return <Loading label="Loading activity…" height={CHART_HEIGHT} />;
  if (query.isError && !query.data) return <ErrorAlert error={query.error} title="Could not load tasks for the charts" />;

  const noActivity = activity.buckets.length === 0;
  return (
    <Stack spacing={3}>
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', lg: '1fr 1fr' }, gap: 3 }}>
        <Section title="Files ingested" subtitle={subtitle} id="chart-files">
          {noActivity ? (
            <EmptyState title="No finished uploads yet" height={CHART_HEIGHT} />
          ) : (
            <Box data-testid="chart-files" role="img" aria-label={`Files succeeded and failed ${per}`}>
              <BarChart
                height={CHART_HEIGHT}
                xAxis={[bandAxis]}
                yAxis={[{ label: 'Files', tickMinStep: 1, width: 50 }]}
                series={[
                  { data: activity.buckets.map((b) => b.filesSucceeded), label: 'succeeded', stack: 'files', color: SUCCESS },
                  { data: activity.buckets.map((b) => b.filesFailed), label: 'failed', stack: 'files', color: FAILURE },
                ]}
              />
            </Box>
          )}
        </Section>
        <Section title="Rows ingested" subtitle={subtitle} id="chart-rows">
          {noActivity ? (
            <EmptyState title="No finished uploads yet" height={CHART_HEIGHT} />
          ) : (
            <Box data-testid="chart-rows" role="img" aria-label={`Rows ingested and rejected ${per}`}>
              <BarChart
                height={CHART_HEIGHT}
                xAxis={[bandAxis]}
                yAxis={[{ label: 'Rows', valueFormatter: (v: number) => compact.format(v), width: 60 }]}
                series={[
                  {
                    data: activity.buckets.map((b) => b.rowsIngested),
                    label: 'rows ingested',
                    stack: 'rows',
                    color: SUCCESS,
                    valueFormatter: (v) => `${formatNumber(v)} rows`,
                  },
                  {
                    data: activity.buckets.map((b) => b.rowsRejected),
                    label: 'rows rejected or failed',
                    stack: 'rows',
                    color: FAILURE,
                    valueFormatter: (v) => `${formatNumber(v)} rows`,
                  },
                ]}
              />
            </Box>
          )}
        </Section>
      </Box>
      <Section title="Time per stage" subtitle="Average and longest time spent in each stage, in seconds" id="chart-stages">
        {stages.length === 0 ? (
          <EmptyState title="No finished stages yet" height={CHART_HEIGHT} />
        ) : (
          <Box data-testid="chart-stages" role="img" aria-label="Average and longest seconds per stage">
            <BarChart
              height={CHART_HEIGHT}
              xAxis={[{ scaleType: 'band', data: stages.map((s) => STAGE_LABELS[s.stage]), label: 'Stage' }]}
              yAxis={[{ label: 'Seconds (s)', width: 60 }]}
              series={[
                {
                  data: stages.map((s) => s.averageMs / 1000),
                  label: 'average',
                  valueFormatter: (v) => (v === null ? '' : formatDuration(v * 1000)),
                },
                {
                  data: stages.map((s) => s.maxMs / 1000),
                  label: 'longest',
                  valueFormatter: (v) => (v === null ? '' : formatDuration(v * 1000)),
                },
              ]}
            />
            <Typography variant="caption" color="text.secondary">
              Over {stages.map((s) => `${formatNumber(s.count)} ${STAGE_LABELS[s.stage].toLowerCase()}`).join(', ')} stage runs.
            </Typography>
          </Box>
        )}
      </Section>
    </Stack>
  );
}
