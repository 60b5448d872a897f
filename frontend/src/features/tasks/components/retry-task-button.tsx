import ReplayIcon from '@mui/icons-material/Replay';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { ErrorAlert } from '@/components/ui/error-alert';
import type { Task } from '@/lib/api/types';
import { useCanWrite } from '@/lib/auth/whoami';
import { useRetryTask } from '../api/retry-task';

/** Runs a failed or cancelled task again from its stored upload, e.g. after fixing what its error named. */
export function RetryTaskButton({ task, size = 'small' }: { task: Task; size?: 'small' | 'medium' }) {
  const retry = useRetryTask();
  // A read-only token cannot do this; the server would answer 403.
  const canWrite = useCanWrite();
  if (!canWrite || (task.status !== 'failed' && task.status !== 'cancelled')) return null;
  return (
    <Stack spacing={1} sx={{ alignItems: 'flex-end' }}>
      <Button
        size={size}
        variant="outlined"
        startIcon={<ReplayIcon />}
        disabled={retry.isPending}
        onClick={() => retry.mutate(task.task_id)}
      >
        Run again
      </Button>
      {retry.isError && <ErrorAlert error={retry.error} title="Could not run it again" />}
    </Stack>
  );
}
