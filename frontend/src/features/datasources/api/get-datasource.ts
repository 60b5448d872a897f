import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Datasource } from '@/lib/api/types';

export function getDatasource(name: string, signal?: AbortSignal): Promise<Datasource> {
  return send(() => api.GET('/api/datasources/{name}', { params: { path: { name } }, signal }));
}

export function getDatasourceQueryOptions(name: string) {
  return queryOptions({
    queryKey: ['datasources', 'detail', name] as const,
    queryFn: ({ signal }) => getDatasource(name, signal),
  });
}

export function useDatasource(name: string) {
  return useQuery(getDatasourceQueryOptions(name));
}
