import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import { isActiveStatus, type TaskList, type TaskStatus } from '@/lib/api/types';

/** Keys the server sorts the whole task list by (then pages it). */
export type TaskSortKey = 'created_at' | 'file_name' | 'datasource' | 'status' | 'row_count' | 'size_bytes';
export const TASK_SORT_KEYS: readonly TaskSortKey[] = ['created_at', 'file_name', 'datasource', 'status', 'row_count', 'size_bytes'];

export type TasksFilter = {
  status?: TaskStatus | '';
  datasource?: string;
  sort?: TaskSortKey;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
};

/** Poll fast while any listed task is still moving, slowly when all are finished. */
export const ACTIVE_POLL_MS = 1000;
export const IDLE_POLL_MS = 10_000;

export function getTasks(filter: TasksFilter = {}, signal?: AbortSignal): Promise<TaskList> {
  return send(() =>
    api.GET('/api/ingest/tasks', {
      params: {
        query: {
          status: filter.status || undefined,
          datasource: filter.datasource?.trim() || undefined,
          sort: filter.sort,
          order: filter.order,
          limit: filter.limit ?? 50,
          offset: filter.offset ?? 0,
        },
      },
      signal,
    }),
  );
}

export function tasksPollInterval(data: TaskList | undefined): number {
  return data?.tasks.some((t) => isActiveStatus(t.status)) ? ACTIVE_POLL_MS : IDLE_POLL_MS;
}

export const tasksQueryKey = (filter: TasksFilter = {}) => ['tasks', 'list', filter] as const;

export function getTasksQueryOptions(filter: TasksFilter = {}) {
  return queryOptions({
    queryKey: tasksQueryKey(filter),
    queryFn: ({ signal }) => getTasks(filter, signal),
    refetchInterval: (query) => tasksPollInterval(query.state.data),
    placeholderData: (previous) => previous,
  });
}

export function useTasks(filter: TasksFilter = {}) {
  return useQuery(getTasksQueryOptions(filter));
}
