import DeleteForeverIcon from '@mui/icons-material/DeleteForever';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import { useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { ErrorAlert } from '@/components/ui/error-alert';
import { paths } from '@/config/paths';
import { useCanWrite } from '@/lib/auth/whoami';
import { formatNumber } from '@/lib/format';
import { useDeleteDatasource } from '../api/delete-datasource';

type Props = { name: string; rows: number };

/** Deletes a datasource once the person has typed its name; then goes back to the list. */
export function DeleteDatasourceButton({ name, rows }: Props) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const ids = useId();
  const remove = useDeleteDatasource();
  const navigate = useNavigate();
  // A read-only token cannot do this; the server would answer 403.
  const canWrite = useCanWrite();
  if (!canWrite) return null;
  const close = () => {
    setOpen(false);
    setTyped('');
    remove.reset();
  };
  return (
    <>
      <Button color="error" variant="outlined" startIcon={<DeleteForeverIcon />} onClick={() => setOpen(true)}>
        Delete datasource
      </Button>
      <Dialog open={open} onClose={close} aria-labelledby={`${ids}-title`}>
        <DialogTitle id={`${ids}-title`}>Delete {name}?</DialogTitle>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed !== name) return;
            remove.mutate(name, { onSuccess: () => void navigate(paths.datasources.href()) });
          }}
        >
          <DialogContent>
            <DialogContentText sx={{ mb: 2 }}>
              All {formatNumber(rows)} rows of {name} will be removed from the sink; this cannot be undone. Its tasks stay in the task list.
            </DialogContentText>
            <TextField
              autoFocus
              fullWidth
              label={`Type ${name} to confirm`}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              slotProps={{ htmlInput: { spellCheck: false, 'data-testid': 'delete-confirm-input' } }}
            />
            {remove.isError && <ErrorAlert error={remove.error} title="Could not delete" />}
          </DialogContent>
          <DialogActions>
            <Button onClick={close}>Keep it</Button>
            <Button type="submit" color="error" variant="contained" disabled={typed !== name || remove.isPending} data-testid="delete-confirm-button">
              Delete {name}
            </Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
