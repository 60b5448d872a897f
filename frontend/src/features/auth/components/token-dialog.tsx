import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '@/components/ui/error-alert';
import { ApiError } from '@/lib/api/client';
import { dismissTokenPrompt, setToken, useAuthState } from '@/lib/auth/token';
import { getWhoAmI } from '@/lib/auth/whoami';

/**
 * Asks for an API token when the server wants one (any 401). The token is tried
 * with /api/auth/whoami before it is kept, so a mistyped one is refused here and
 * not on the next upload.
 */
export function TokenDialog() {
  const { prompt } = useAuthState();
  return (
    <Dialog open={prompt !== null} onClose={dismissTokenPrompt} aria-labelledby="token-dialog-title" maxWidth="sm" fullWidth>
      {/* Mounted only while open, so every opening starts with an empty field. */}
      {prompt !== null && <TokenForm refused={prompt === 'refused'} />}
    </Dialog>
  );
}

function TokenForm({ refused }: { refused: boolean }) {
  const queryClient = useQueryClient();
  const fieldId = useId();
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') {
      setError(new Error('Paste a token first.'));
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await getWhoAmI(undefined, token);
      setToken(token);
      // Everything shown so far was read without (or with another) token.
      await queryClient.resetQueries();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? new ApiError({ ...err, message: 'The server refused this token: it is mistyped, revoked or expired.', hint: null })
          : err,
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <DialogTitle id="token-dialog-title">Sign in with an API token</DialogTitle>
      <DialogContent>
        {refused && (
          <Alert severity="warning" sx={{ mb: 2 }}>
            The server no longer accepts the token this tab used (revoked or expired). Paste another one.
          </Alert>
        )}
        <DialogContentText sx={{ mb: 1 }}>
          This server asks for a token. Whoever runs it creates one on the server with{' '}
          <code>ingest token create --name YOUR_NAME --scope write</code> (or <code>--scope read</code> to only look);
          the token, starting with <code>ing_</code>, is printed once.
        </DialogContentText>
        <DialogContentText sx={{ mb: 2 }}>
          It is kept in this browser tab only, until you sign out or close the tab.
        </DialogContentText>
        <TextField
          id={fieldId}
          label="API token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          fullWidth
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="ing_…"
        />
        {error !== null && (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={error} title="Not signed in" />
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={dismissTokenPrompt}>Not now</Button>
        <Button type="submit" variant="contained" disabled={checking}>
          Sign in
        </Button>
      </DialogActions>
    </form>
  );
}
