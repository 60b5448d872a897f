import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ui/error-alert';
import type { TaskSummary } from '@/lib/api/types';
import { useCanWrite } from '@/lib/auth/whoami';
import { formatNumber } from '@/lib/format';
import { useCancelTask } from '../api/cancel-task';
import { useConfirmTask } from '../api/confirm-task';

/**
 * A replace waiting in `awaiting_confirmation`: what it will drop, and a
 * dialog (focus-trapped, Escape closes it) to confirm or cancel it.
 */
/** What it reads of a task: a list entry (`TaskSummary`) or a whole task (rows accepted from its report). */
type ReplaceTask = Pick<TaskSummary, 'task_id' | 'status' | 'file_name' | 'datasource' | 'replace_effect'> & {
  rows_accepted?: number | null;
  validation?: { rows_accepted: number } | null;
};

export function ConfirmReplace({ task, compact = false }: { task: ReplaceTask; compact?: boolean }) {
  const [open, setOpen] = useState(false);
  const confirm = useConfirmTask();
  const cancel = useCancelTask();
  const canWrite = useCanWrite();
  const effect = task.replace_effect;
  if (task.status !== 'awaiting_confirmation' || !effect) return null;
  const titleId = `confirm-${task.task_id}`;
  const busy = confirm.isPending || cancel.isPending;
  const review = canWrite ? (
    <Button size="small" color="warning" variant={compact ? 'outlined' : 'contained'} onClick={() => setOpen(true)}>
      Review replace
    </Button>
  ) : null;
  return (
    <>
      {compact ? (
        <Stack spacing={0.5} sx={{ alignItems: 'flex-start', mt: 0.5 }} data-testid="replace-effect">
          <Typography variant="caption" color="warning.main" sx={{ whiteSpace: 'normal' }}>
            Waiting for confirmation: {effect.summary}
          </Typography>
          {review}
        </Stack>
      ) : (
        <Alert severity="warning" icon={<WarningAmberIcon />} action={review} data-testid="replace-effect">
          <AlertTitle>Waiting for your confirmation</AlertTitle>
          This {effect.summary}.
        </Alert>
      )}
      <Dialog open={open} onClose={() => !busy && setOpen(false)} aria-labelledby={titleId} data-testid="confirm-dialog">
        <DialogTitle id={titleId}>Replace rows in {task.datasource}?</DialogTitle>
        <DialogContent>
          <DialogContentText data-testid="confirm-effect">This {effect.summary}.</DialogContentText>
          <DialogContentText sx={{ mt: 1 }}>
            {formatNumber(effect.replaced_rows)} rows will be dropped and replaced by the {formatNumber(task.validation?.rows_accepted ?? task.rows_accepted)} rows of{' '}
            {task.file_name}. Rows outside those {effect.window.granularity.toLowerCase()} chunks stay. If the datasource changes before the
            replace runs, it asks again.
          </DialogContentText>
          {confirm.isError && <ErrorAlert error={confirm.error} title="Could not confirm" />}
          {cancel.isError && <ErrorAlert error={cancel.error} title="Could not cancel" />}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)} disabled={busy} autoFocus>
            Decide later
          </Button>
          <Button
            color="inherit"
            disabled={busy}
            onClick={() => cancel.mutate(task.task_id, { onSuccess: () => setOpen(false) })}
          >
            Cancel task
          </Button>
          <Button
            color="warning"
            variant="contained"
            disabled={busy}
            onClick={() => confirm.mutate(task.task_id, { onSuccess: () => setOpen(false) })}
          >
            Replace {formatNumber(effect.replaced_rows)} rows
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
