import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Task } from '@/lib/api/types';

/** Agrees to what a waiting replace drops; the task is queued again (409 when it is not waiting). */
export function confirmTask(taskId: string): Promise<Task> {
  return send(() => api.POST('/api/ingest/tasks/{task_id}/confirm', { params: { path: { task_id: taskId } } }));
}

export function useConfirmTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: confirmTask,
    onSuccess: (task) => {
      queryClient.setQueryData(['tasks', 'detail', task.task_id], task);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });
}
