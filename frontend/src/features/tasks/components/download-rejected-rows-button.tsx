import DownloadIcon from '@mui/icons-material/Download';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { ErrorAlert } from '@/components/ui/error-alert';
import type { Task } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { useDownloadRejectedRows } from '../api/download-rejected-rows';

/**
 * Downloads the rows the task rejected (CSV: line, column, code, reason, record), when
 * its last run kept any.
 */
export function DownloadRejectedRowsButton({ task }: { task: Task }) {
  const download = useDownloadRejectedRows();
  const kept = task.rejected_rows;
  if (!kept) return null;
  return (
    <Stack spacing={1} sx={{ alignItems: 'flex-start' }}>
      <Button
        size="small"
        variant="outlined"
        startIcon={<DownloadIcon />}
        disabled={download.isPending}
        onClick={() => download.mutate({ taskId: task.task_id, fileName: task.file_name })}
      >
        Download rejected rows ({formatNumber(kept.rows)})
      </Button>
      {download.isError && <ErrorAlert error={download.error} title="Could not download the rejected rows" />}
    </Stack>
  );
}
