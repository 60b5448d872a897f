import { queryOptions, useQuery } from '@tanstack/react-query';
import { getTasks, tasksPollInterval } from './get-tasks';

/** How many of the newest tasks the activity charts are computed from. */
export const RECENT_TASKS_LIMIT = 100;

export function getRecentTasksQueryOptions() {
  return queryOptions({
    queryKey: ['tasks', 'recent', RECENT_TASKS_LIMIT] as const,
    queryFn: ({ signal }) => getTasks({ limit: RECENT_TASKS_LIMIT, offset: 0 }, signal),
    refetchInterval: (query) => tasksPollInterval(query.state.data),
  });
}

/** The newest tasks across every datasource, for charts. */
export function useRecentTasks() {
  return useQuery(getRecentTasksQueryOptions());
}
