import { useMutation } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';

/**
 * The rows a task rejected, as a CSV blob. Fetched with the tab's token (the auth
 * middleware adds it), never through a link: a token must not travel in a URL.
 */
export function downloadRejectedRows(taskId: string): Promise<Blob> {
  return send(() =>
    api.GET('/api/ingest/tasks/{task_id}/rejected', {
      params: { path: { task_id: taskId } },
      parseAs: 'blob',
    }),
  );
}

/** Hands a blob to the browser as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/** `sales-rejected-rows.csv` for `sales.csv`, as the server names it. */
export function rejectedRowsFileName(uploadName: string): string {
  const stem = uploadName.split('.')[0] || 'upload';
  return `${stem}-rejected-rows.csv`;
}

export function useDownloadRejectedRows() {
  return useMutation({
    mutationFn: async ({ taskId, fileName }: { taskId: string; fileName: string }) => {
      const blob = await downloadRejectedRows(taskId);
      saveBlob(blob, rejectedRowsFileName(fileName));
    },
  });
}
