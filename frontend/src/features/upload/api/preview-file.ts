import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, apiUrl, parseJson, toApiError } from '@/lib/api/client';
import type { ColumnType, FilePreview } from '@/lib/api/types';
import { getToken, reportUnauthorized } from '@/lib/auth/token';

/** Bytes of a text file (CSV, NDJSON, plain or compressed) sent for a preview: its start is enough. */
export const PREVIEW_TEXT_BYTES = 4 * 1024 * 1024;
/** The server's default INGEST_MAX_PREVIEW_BYTES: XLSX and Parquet are sent whole up to it. */
export const PREVIEW_MAX_WHOLE_BYTES = 100 * 1024 * 1024;

/** XLSX and Parquet keep their directory or footer at the end: only the whole file can be previewed. */
export function needsWholeFile(name: string): boolean {
  return /\.(xlsx|parquet)$/i.test(name);
}

/** Why this file cannot be previewed before it is sent, or null when it can. */
export function previewUnavailable(file: File): string | null {
  if (needsWholeFile(file.name) && file.size > PREVIEW_MAX_WHOLE_BYTES) {
    return 'Preview is not available for XLSX or Parquet files over 100 MB (they are read whole); the file can still be uploaded.';
  }
  return null;
}

/** What of the file a preview sends: the start of a large text file (`cut`), else the whole file. */
export function previewPart(file: File): { part: Blob; cut: boolean } {
  const cut = !needsWholeFile(file.name) && file.size > PREVIEW_TEXT_BYTES;
  return { part: cut ? file.slice(0, PREVIEW_TEXT_BYTES) : file, cut };
}

export type PreviewParams = {
  file: File;
  sheet?: string | null;
  timestampColumn?: string | null;
  /** `column_types` chosen in the preview: the rows and problems then show what those types do. */
  columnTypes?: Record<string, ColumnType>;
  /** `max_rejected_rows`: whether rows that cannot be ingested as they are fail the upload. */
  maxRejectedRows?: number | null;
  signal?: AbortSignal;
};

/**
 * POST /api/ingest/preview with the upload's form: the start of a text file (marked
 * `truncated=true` when cut) or a whole XLSX/Parquet file. Nothing is stored.
 */
export async function previewFile({ file, sheet, timestampColumn, columnTypes, maxRejectedRows, signal }: PreviewParams): Promise<FilePreview> {
  const { part, cut } = previewPart(file);
  const form = new FormData();
  if (sheet) form.append('sheet', sheet);
  if (timestampColumn) form.append('timestamp_column', timestampColumn);
  if (columnTypes && Object.keys(columnTypes).length > 0) form.append('column_types', JSON.stringify(columnTypes));
  if (maxRejectedRows != null) form.append('max_rejected_rows', String(maxRejectedRows));
  form.append('file', part, file.name);
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await globalThis.fetch(apiUrl(`/api/ingest/preview${cut ? '?truncated=true' : ''}`), {
      method: 'POST',
      headers,
      body: form,
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw toApiError(0, undefined);
  }
  const body = parseJson(await response.text());
  if (!response.ok) {
    if (response.status === 401) reportUnauthorized();
    throw toApiError(response.status, body);
  }
  if (typeof body !== 'object' || body === null || !('columns' in body)) {
    throw new ApiError({ status: response.status, code: 'invalid_response', message: 'The server sent no preview.' });
  }
  return body as FilePreview;
}

/** Identifies a chosen file for caching (File objects have no id). */
export const fileKey = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;

const busy = (error: unknown) => error instanceof ApiError && error.status === 429;

export function previewQueryOptions({ file, sheet = null, timestampColumn = null, columnTypes = {}, maxRejectedRows = null }: Omit<PreviewParams, 'signal'>) {
  // Sorted, so the same choices made in another order are the same preview.
  const types = JSON.stringify(Object.entries(columnTypes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return queryOptions({
    queryKey: ['preview', fileKey(file), sheet, timestampColumn, types, maxRejectedRows] as const,
    queryFn: ({ signal }) => previewFile({ file, sheet, timestampColumn, columnTypes, maxRejectedRows, signal }),
    // A file does not change once chosen; nothing to refetch.
    staleTime: Infinity,
    // Several files dropped at once can find every preview slot busy: wait, as Retry-After says.
    retry: (count, error) => busy(error) && count < 10,
    retryDelay: (_count, error) => {
      const secs = error instanceof ApiError ? Number(error.details.retry_after_secs) : NaN;
      return (Number.isFinite(secs) && secs > 0 ? secs : 2) * 1000;
    },
  });
}

export function usePreview(params: Omit<PreviewParams, 'signal'>, enabled: boolean) {
  return useQuery({ ...previewQueryOptions(params), enabled });
}
