import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { DatasourceList } from '@/lib/api/types';

export function getDatasources(signal?: AbortSignal): Promise<DatasourceList> {
  return send(() => api.GET('/api/datasources', { signal }));
}

export function getDatasourcesQueryOptions() {
  return queryOptions({
    queryKey: ['datasources', 'list'] as const,
    queryFn: ({ signal }) => getDatasources(signal),
    refetchInterval: 15_000,
  });
}

export function useDatasources() {
  return useQuery(getDatasourcesQueryOptions());
}
