import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import type { StageProgress as Progress, TaskStatus } from '@/lib/api/types';
import { formatBytes, formatDateTime, formatNumber } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';

/** Only a running stage has progress; a finished task's is gone. */
function running(status: TaskStatus): boolean {
  return status === 'validating' || status === 'ingesting';
}

/**
 * "42% · 120,000 rows · 12 MB of 30 MB · read 1 of 2": what the worker last
 * published. Validation reads the file twice, so its counts start again for
 * the second read while the percent (over both) goes on.
 */
export function describeProgress(progress: Progress, { bytes = true }: { bytes?: boolean } = {}): string {
  const parts: string[] = [];
  if (progress.percent != null) parts.push(`${Math.floor(progress.percent)}%`);
  if (progress.rows != null) {
    parts.push(
      progress.rows_total != null
        ? `${formatNumber(progress.rows)} of ${formatNumber(progress.rows_total)} rows`
        : `${formatNumber(progress.rows)} rows`,
    );
  }
  if (bytes && progress.bytes_read != null && progress.bytes_total != null) {
    parts.push(`${formatBytes(progress.bytes_read)} of ${formatBytes(progress.bytes_total)}`);
  }
  if (progress.pass) parts.push(progress.pass === 'profiling' ? 'read 1 of 2' : 'read 2 of 2');
  if (progress.phase) parts.push(`Druid: ${progress.phase.toLowerCase().replace(/_/g, ' ')}`);
  return parts.join(' · ');
}

/**
 * A bar for a running task's stage (validation: bytes read of the file;
 * ingestion into Druid: rows Druid processed of those accepted), refreshed
 * by the task's polling. Without a percent the bar moves without a value.
 * `compact` for a table row: no bytes, no time.
 */
export function StageProgress({
  status,
  progress,
  compact = false,
}: {
  status: TaskStatus;
  progress?: Progress | null;
  compact?: boolean;
}) {
  const zone = useTimeZoneMode();
  if (!progress || !running(status)) return null;
  const percent = progress.percent ?? null;
  const label = `${progress.stage === 'ingestion' ? 'Ingestion' : 'Validation'} progress`;
  return (
    <Box data-testid="stage-progress" data-percent={percent ?? ''} sx={{ mt: 0.5, minWidth: compact ? 120 : undefined }}>
      <LinearProgress
        variant={percent === null ? 'indeterminate' : 'determinate'}
        value={percent ?? undefined}
        aria-label={label}
      />
      <Typography variant="caption" color="text.secondary" data-testid="stage-progress-text">
        {describeProgress(progress, { bytes: !compact })}
        {!compact && ` · updated ${formatDateTime(progress.updated_at, zone, { seconds: true })}`}
      </Typography>
    </Box>
  );
}
