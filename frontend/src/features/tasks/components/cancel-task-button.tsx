import StopCircleIcon from '@mui/icons-material/StopCircle';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ui/error-alert';
import { isActiveStatus, type Task } from '@/lib/api/types';
import { useCanWrite } from '@/lib/auth/whoami';
import { useCancelTask } from '../api/cancel-task';

/**
 * Asks for confirmation, then cancels a task that has not reached its sink's commit point.
 * Past it (`committed_at` set) the rows are in the sink and the server answers 409, so the
 * button is not offered. While ingesting into Druid the server waits up to 30 s for Druid to confirm
 * that its task ended before it answers, so the dialog says so and shows the wait.
 */
export function CancelTaskButton({ task, size = 'small' }: { task: Task; size?: 'small' | 'medium' }) {
  const [open, setOpen] = useState(false);
  const cancel = useCancelTask();
  // A read-only token cannot do this; the server would answer 403.
  const canWrite = useCanWrite();
  if (!canWrite || !isActiveStatus(task.status) || task.committed_at) return null;
  return (
    <>
      <Button size={size} color="warning" variant="outlined" startIcon={<StopCircleIcon />} onClick={() => setOpen(true)}>
        Cancel task
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby={`cancel-${task.task_id}`}>
        <DialogTitle id={`cancel-${task.task_id}`}>Cancel this task?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {task.file_name} will not be ingested into {task.datasource}: its work stops and none of its rows become
            visible. If it reaches its commit point first, the cancel is refused and the task finishes.
          </DialogContentText>
          {task.status === 'ingesting' && (
            <DialogContentText sx={{ mt: 1 }} data-testid="cancel-druid-wait">
              When the sink is Druid, the cancel first stops the Druid task and waits for Druid to confirm it ended:
              this can take up to 30 seconds.
            </DialogContentText>
          )}
          {cancel.isPending && <DialogContentText sx={{ mt: 1 }}>Stopping the task…</DialogContentText>}
          {cancel.isError && <ErrorAlert error={cancel.error} title="Could not cancel" />}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Keep it running</Button>
          <Button
            color="warning"
            variant="contained"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate(task.task_id, { onSuccess: () => setOpen(false) })}
          >
            Cancel task
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
