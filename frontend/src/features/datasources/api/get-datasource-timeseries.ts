import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import type { Granularity, Timeseries } from '@/lib/api/types';

export function getDatasourceTimeseries(
  name: string,
  granularity: Granularity,
  signal?: AbortSignal,
): Promise<Timeseries> {
  return send(() =>
    api.GET('/api/datasources/{name}/timeseries', { params: { path: { name }, query: { granularity } }, signal }),
  );
}

export function getDatasourceTimeseriesQueryOptions(name: string, granularity: Granularity) {
  return queryOptions({
    queryKey: ['datasources', 'timeseries', name, granularity] as const,
    queryFn: ({ signal }) => getDatasourceTimeseries(name, granularity, signal),
    refetchInterval: 30_000,
  });
}

export function useDatasourceTimeseries(name: string, granularity: Granularity) {
  return useQuery(getDatasourceTimeseriesQueryOptions(name, granularity));
}
