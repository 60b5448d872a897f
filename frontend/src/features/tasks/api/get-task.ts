import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import { isActiveStatus, type Task } from '@/lib/api/types';
import { ACTIVE_POLL_MS, IDLE_POLL_MS } from './get-tasks';

export function getTask(taskId: string, signal?: AbortSignal): Promise<Task> {
  return send(() => api.GET('/api/ingest/status/{task_id}', { params: { path: { task_id: taskId } }, signal }));
}

export function getTaskQueryOptions(taskId: string) {
  return queryOptions({
    queryKey: ['tasks', 'detail', taskId] as const,
    queryFn: ({ signal }) => getTask(taskId, signal),
    refetchInterval: (query) => {
      const task = query.state.data;
      if (!task) return query.state.status === 'error' ? false : ACTIVE_POLL_MS;
      return isActiveStatus(task.status) ? ACTIVE_POLL_MS : IDLE_POLL_MS;
    },
  });
}

export function useTask(taskId: string) {
  return useQuery(getTaskQueryOptions(taskId));
}
