import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Task } from '@/lib/api/types';

/** Cancels a task that has not finished (409 task_finished when it already has). */
export function cancelTask(taskId: string): Promise<Task> {
  return send(() => api.POST('/api/ingest/tasks/{task_id}/cancel', { params: { path: { task_id: taskId } } }));
}

export function useCancelTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelTask,
    onSuccess: (task) => {
      queryClient.setQueryData(['tasks', 'detail', task.task_id], task);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });
}
