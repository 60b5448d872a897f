import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Task } from '@/lib/api/types';

/** Queues a failed or cancelled task again from its stored upload (409 when it cannot be). */
export function retryTask(taskId: string): Promise<Task> {
  return send(() => api.POST('/api/ingest/tasks/{task_id}/retry', { params: { path: { task_id: taskId } } }));
}

export function useRetryTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: retryTask,
    onSuccess: (task) => {
      queryClient.setQueryData(['tasks', 'detail', task.task_id], task);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });
}
