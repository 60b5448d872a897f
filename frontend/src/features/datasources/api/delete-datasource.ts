import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/api';
import { toApiError } from '@/lib/api/client';

/**
 * Deletes a datasource and all its rows (204, no body). 409 `datasource_busy` while an
 * upload to it has not finished; 404 when it is already gone.
 */
export async function deleteDatasource(name: string): Promise<void> {
  let response: Response;
  let error: unknown;
  try {
    ({ response, error } = await api.DELETE('/api/datasources/{name}', { params: { path: { name } } }));
  } catch {
    throw toApiError(0, undefined);
  }
  if (!response.ok) throw toApiError(response.status, error);
}

export function useDeleteDatasource() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteDatasource,
    onSuccess: (_, name) => queryClient.removeQueries({ queryKey: ['datasources', 'detail', name] }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['datasources', 'list'] }),
  });
}
