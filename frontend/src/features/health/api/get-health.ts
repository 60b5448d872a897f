import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Health } from '@/lib/api/types';

export const HEALTH_POLL_MS = 10_000;

/** /api/health answers 503 with the same body when a required backend is down. */
export function getHealth(signal?: AbortSignal): Promise<Health> {
  return send(() => api.GET('/api/health', { signal }), [503]);
}

export function getHealthQueryOptions() {
  return queryOptions({
    queryKey: ['health'] as const,
    queryFn: ({ signal }) => getHealth(signal),
    refetchInterval: HEALTH_POLL_MS,
    retry: false,
  });
}

export function useHealth() {
  return useQuery(getHealthQueryOptions());
}
