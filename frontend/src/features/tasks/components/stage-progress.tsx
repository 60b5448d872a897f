import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import type { StageProgress as Progress, TaskStatus } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';
import { describeProgress } from '../utils/progress';

/** Only a running stage has progress; a finished task's is gone. */
function running(status: TaskStatus): boolean {
  return status === 'validating' || status === 'ingesting';
}

/**
 * A bar for a running task's stage (validation: bytes read of the file;
 * ingestion into Druid: rows Druid processed of those accepted), refreshed
 * by the task's polling. Without a percent the bar moves without a value;
 * an upload waiting before Druid runs it shows what it waits for instead.
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
  // Waiting for a Druid task slot or for the datasource: no moving bar, or
  // it would look as if Druid were ingesting it.
  const waiting = progress.waiting != null;
  return (
    <Box
      data-testid="stage-progress"
      data-percent={percent ?? ''}
      data-waiting={progress.waiting?.reason ?? ''}
      sx={{ mt: 0.5, minWidth: compact ? 120 : undefined }}
    >
      {!waiting && (
        <LinearProgress
          variant={percent === null ? 'indeterminate' : 'determinate'}
          value={percent ?? undefined}
          aria-label={label}
        />
      )}
      <Typography variant="caption" color="text.secondary" data-testid="stage-progress-text">
        {describeProgress(progress, { bytes: !compact })}
        {!compact && ` · updated ${formatDateTime(progress.updated_at, zone, { seconds: true })}`}
      </Typography>
    </Box>
  );
}
