import CloseIcon from '@mui/icons-material/Close';
import InsertDriveFileIcon from '@mui/icons-material/InsertDriveFile';
import ReplayIcon from '@mui/icons-material/Replay';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { ErrorAlert } from '@/components/ui/error-alert';
import { ApiError } from '@/lib/api/client';
import { formatBytes } from '@/lib/format';
import type { UploadItem as Item } from '../hooks/use-upload-queue';

/**
 * The same file sent again can only fare differently when the server was unreachable,
 * busy or failing (network error, 408, 429, 5xx); a 4xx refusal (empty file, wrong type,
 * bad name) would be refused again, so it offers no retry.
 */
function retryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  const { status } = error;
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

type Props = {
  item: Item;
  onCancel: (id: string) => void;
  onRetry: (item: Item) => void;
  onRemove: (id: string) => void;
  renderAccepted?: (taskId: string) => ReactNode;
};

export function UploadItem({ item, onCancel, onRetry, onRemove, renderAccepted }: Props) {
  const percent = item.total > 0 ? Math.min(100, Math.round((item.loaded / item.total) * 100)) : 0;
  const uploading = item.state === 'uploading';
  const sent = item.state === 'accepted';
  return (
    <Paper variant="outlined" sx={{ p: 2 }} data-testid="upload-item" data-state={item.state} aria-label={`Upload of ${item.file.name}`}>
      <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', minWidth: 0 }}>
        <InsertDriveFileIcon color="action" aria-hidden />
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <Typography variant="subtitle2" noWrap title={item.file.name}>
            {item.file.name}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            {formatBytes(item.file.size)} → <strong>{item.datasource}</strong> ({item.mode})
          </Typography>
        </Box>
        {uploading ? (
          <Button size="small" color="inherit" onClick={() => onCancel(item.id)} startIcon={<CloseIcon />}>
            Cancel
          </Button>
        ) : (
          <IconButton size="small" aria-label={`Dismiss ${item.file.name}`} onClick={() => onRemove(item.id)}>
            <CloseIcon fontSize="small" />
          </IconButton>
        )}
      </Stack>

      {(uploading || sent) && (
        <Box sx={{ mt: 1.5 }}>
          <LinearProgress
            variant="determinate"
            value={sent ? 100 : percent}
            aria-label={`Upload progress of ${item.file.name}`}
            data-testid="upload-progress"
            color={sent ? 'success' : 'primary'}
          />
          <Typography variant="caption" color="text.secondary" aria-live="polite">
            {sent
              ? `Uploaded ${formatBytes(item.file.size)}`
              : `${formatBytes(item.loaded)} of ${formatBytes(item.total)} (${percent}%)`}
          </Typography>
        </Box>
      )}

      {item.state === 'cancelled' && (
        <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'center' }}>
          <Typography variant="body2" color="warning.main">
            Upload cancelled; nothing was ingested.
          </Typography>
          <Button size="small" startIcon={<ReplayIcon />} onClick={() => onRetry(item)}>
            Upload again
          </Button>
        </Stack>
      )}

      {item.state === 'failed' && (
        <Box sx={{ mt: 1.5 }}>
          <ErrorAlert
            error={item.error}
            title="Upload rejected"
            action={
              retryable(item.error) && (
                <Button size="small" color="inherit" startIcon={<ReplayIcon />} onClick={() => onRetry(item)}>
                  Retry
                </Button>
              )
            }
          />
        </Box>
      )}

      {sent && item.taskId && renderAccepted && <Box sx={{ mt: 1.5 }}>{renderAccepted(item.taskId)}</Box>}
    </Paper>
  );
}
