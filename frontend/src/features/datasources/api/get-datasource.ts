import { queryOptions, useQuery } from '@tanstack/react-query';
import { getJson } from '@/lib/api/client';
import type { Datasource } from '@/lib/api/types';

export function getDatasource(name: string, signal?: AbortSignal): Promise<Datasource> {
  return getJson<Datasource>(`/datasources/${encodeURIComponent(name)}`, { signal });
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
