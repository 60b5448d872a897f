import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Typography from '@mui/material/Typography';
import { Link } from '@/components/ui/link';
import { StatusChip } from '@/components/ui/status-chip';
import { paths } from '@/config/paths';
import type { Task, TaskStatus } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { useTask } from '../api/get-task';
import { ConfirmReplace } from './confirm-replace';
import { StageProgress } from './stage-progress';

const STEPS = ['uploaded', 'queued', 'validating', 'ingesting', 'done'] as const;

function activeStep(status: TaskStatus): number {
  switch (status) {
    case 'queued':
      return 1;
    case 'validating':
      return 2;
    case 'awaiting_confirmation':
      return 3;
    case 'ingesting':
      return 3;
    default:
      return 5;
  }
}

function failedStep(task: Task): number | null {
  if (task.status !== 'failed' && task.status !== 'cancelled') return null;
  const last = [...task.stages].reverse().find((s) => s.name !== 'upload');
  if (!last) return 1;
  return { upload: 0, queued: 1, validation: 2, confirmation: 3, ingestion: 3 }[last.name] ?? 4;
}

/** Compact live view of a task's processing stages, shown after an upload is accepted. */
export function TaskProgress({ taskId }: { taskId: string }) {
  const { data: task, error } = useTask(taskId);
  if (error) {
    return (
      <Typography variant="body2" color="error">
        Could not load the task: {error.message}
      </Typography>
    );
  }
  const status: TaskStatus = task?.status ?? 'queued';
  const step = activeStep(status);
  const failedAt = task ? failedStep(task) : null;
  return (
    <Box data-testid="task-progress" data-status={status} data-task-id={taskId}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', mb: 1 }} useFlexGap>
        <Box role="status" aria-live="polite" aria-atomic="true" component="span">
          <StatusChip status={status} />
        </Box>
        {task?.status === 'succeeded' && (
          <Typography variant="body2" data-testid="task-progress-rows">
            {formatNumber(task.row_count)} rows ingested
            {task.rejected_row_count ? `, ${formatNumber(task.rejected_row_count)} rejected` : ''}
          </Typography>
        )}
        {task?.error && (
          <Typography variant="body2" color="error">
            {task.error.message}
          </Typography>
        )}
        <Box sx={{ flex: 1 }} />
        <Link to={paths.task.href(taskId)} variant="body2">
          Task details
        </Link>
      </Stack>
      {task && <ConfirmReplace task={task} compact />}
      {task && <StageProgress status={task.status} progress={task.progress} />}
      <Stepper activeStep={step} alternativeLabel sx={{ display: { xs: 'none', sm: 'flex' } }} aria-label="Processing stages">
        {STEPS.map((label, i) => (
          <Step key={label} completed={failedAt === null ? i < step : i < failedAt}>
            <StepLabel error={failedAt === i}>
              {label === 'done' && (status === 'failed' || status === 'cancelled') ? status : label}
            </StepLabel>
          </Step>
        ))}
      </Stepper>
    </Box>
  );
}
