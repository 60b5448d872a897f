import KeyIcon from '@mui/icons-material/Key';
import LockOpenIcon from '@mui/icons-material/LockOpen';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import { useQueryClient } from '@tanstack/react-query';
import { askForToken, forgetToken } from '@/lib/auth/token';
import { useWhoAmI } from '@/lib/auth/whoami';

const SCOPE_WORDS = {
  read: 'can look, not upload',
  write: 'can upload, cancel and run again',
  admin: 'can do everything',
} as const;

/** Which token (and scope) this tab uses, with sign in / sign out, for the app bar. */
export function AuthStatus() {
  const whoami = useWhoAmI();
  const queryClient = useQueryClient();
  const me = whoami.data;

  if (me?.auth === 'open') {
    return (
      <Tooltip title="No token is configured on this server: anyone who can reach it may upload.">
        <Chip icon={<LockOpenIcon />} label="Open access" size="small" color="default" sx={{ bgcolor: 'rgba(255,255,255,0.85)' }} data-testid="auth-status" data-auth="open" />
      </Tooltip>
    );
  }
  if (me?.auth === 'token') {
    const signOut = async () => {
      forgetToken();
      // Nothing read with the token stays on screen.
      await queryClient.resetQueries();
    };
    return (
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Tooltip title={`Signed in with token “${me.name ?? 'unnamed'}”: ${SCOPE_WORDS[me.scope]}.`}>
          <Chip
            icon={<KeyIcon />}
            label={`${me.name ?? 'token'} · ${me.scope}`}
            size="small"
            sx={{ bgcolor: 'rgba(255,255,255,0.85)' }}
            data-testid="auth-status"
            data-auth="token"
            data-scope={me.scope}
          />
        </Tooltip>
        <Button color="inherit" size="small" onClick={signOut}>
          Sign out
        </Button>
      </Stack>
    );
  }
  if (whoami.isPending) return null;
  return (
    <Button color="inherit" size="small" variant="outlined" startIcon={<KeyIcon />} onClick={askForToken} data-testid="auth-status" data-auth="none">
      Sign in
    </Button>
  );
}
