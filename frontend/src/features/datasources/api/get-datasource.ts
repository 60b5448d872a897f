import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { DatasourceDetail } from '@/lib/api/types';

/** Schema, rows over time, the first rows by time and the uploads that built it. */
export function getDatasource(name: string, signal?: AbortSignal): Promise<DatasourceDetail> {
  return send(() => api.GET('/api/datasources/{name}', { params: { path: { name } }, signal }));
}

export function getDatasourceQueryOptions(name: string) {
  return queryOptions({
    queryKey: ['datasources', 'detail', name] as const,
    queryFn: ({ signal }) => getDatasource(name, signal),
    refetchInterval: 30_000,
  });
}

export function useDatasource(name: string) {
  return useQuery(getDatasourceQueryOptions(name));
}
