import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Health, HealthCheck } from '@/lib/api/types';

/**
 * What /api/health answers: the full `Health` with a read token (or in the open mode), only
 * each check's name and outcome otherwise; the details are optional here so both fit.
 */
export type HealthView = Pick<Health, 'status'> &
  Partial<Pick<Health, 'version'>> & { checks: (Pick<HealthCheck, 'name' | 'ok'> & Partial<HealthCheck>)[] };

export const HEALTH_POLL_MS = 10_000;

/** /api/health answers 503 with the same body when a required backend is down. */
export function getHealth(signal?: AbortSignal): Promise<HealthView> {
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
