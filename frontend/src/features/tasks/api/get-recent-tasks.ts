import { queryOptions, useQuery } from '@tanstack/react-query';
import { isActiveStatus, type TaskList } from '@/lib/api/types';
import { getTasks } from './get-tasks';

/** How many of the newest tasks the activity charts are computed from (the server's page maximum). */
export const RECENT_TASKS_LIMIT = 500;

/** A page this large is heavier than the live list, so the charts refresh less often. */
export function recentTasksPollInterval(data: TaskList | undefined): number {
  return data?.tasks.some((t) => isActiveStatus(t.status)) ? 5_000 : 30_000;
}

export function getRecentTasksQueryOptions() {
  return queryOptions({
    queryKey: ['tasks', 'recent', RECENT_TASKS_LIMIT] as const,
    queryFn: ({ signal }) => getTasks({ limit: RECENT_TASKS_LIMIT, offset: 0 }, signal),
    refetchInterval: (query) => recentTasksPollInterval(query.state.data),
  });
}

/** The newest tasks across every datasource, for charts. */
export function useRecentTasks() {
  return useQuery(getRecentTasksQueryOptions());
}
