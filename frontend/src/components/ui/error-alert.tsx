import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { ApiError } from '@/lib/api/client';

type Props = {
  error: unknown;
  title?: string;
  action?: ReactNode;
};

/** Shows an error in words, with the server's code and hint when present. */
export function ErrorAlert({ error, title, action }: Props) {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const hint = error instanceof ApiError ? error.hint : null;
  const code = error instanceof ApiError ? error.code : null;
  return (
    <Alert severity="error" action={action} role="alert">
      {title && <AlertTitle>{title}</AlertTitle>}
      <Typography variant="body2">{message}</Typography>
      {hint && (
        <Typography variant="body2" sx={{ mt: 0.5 }}>
          <strong>Hint:</strong> {hint}
        </Typography>
      )}
      {code && (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 0.5 }}>
          Error code: <code>{code}</code>
        </Typography>
      )}
    </Alert>
  );
}
