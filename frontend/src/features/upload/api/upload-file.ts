import { ApiError, apiUrl, parseJson, toApiError } from '@/lib/api/client';
import { getToken, reportUnauthorized } from '@/lib/auth/token';
import type { ColumnType, IngestMode, UploadAccepted } from '@/lib/api/types';

export type UploadProgress = { loaded: number; total: number };

/** What the person chose in the file's preview, sent as upload fields. */
export type UploadChoices = {
  /** `column_types`: column → type, for the columns whose detected type was changed. */
  columnTypes: Record<string, ColumnType>;
  /** `timestamp_column`, when chosen instead of the detected one. */
  timestampColumn: string | null;
  /** `sheet` (XLSX), when chosen instead of the first non-empty one. */
  sheet: string | null;
  /** `max_rejected_rows`: rows that cannot be ingested as they are, rejected one by one up to this many (none when unset). */
  maxRejectedRows?: number | null;
};

/** Nothing chosen: every type and the time column as detected. */
export const NO_CHOICES: UploadChoices = { columnTypes: {}, timestampColumn: null, sheet: null };

export type UploadParams = {
  file: File;
  datasource: string;
  mode: IngestMode;
  choices?: UploadChoices;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
};

/** Thrown when the upload was cancelled (xhr.abort()). */
export class UploadCancelledError extends Error {
  constructor() {
    super('Upload cancelled.');
    this.name = 'UploadCancelledError';
  }
}

/**
 * POST /api/ingest/upload as multipart/form-data (parts `file`, `datasource_name`, `mode`, and the
 * preview's choices: `column_types`, `timestamp_column`, `sheet`, `max_rejected_rows`).
 * Uses XMLHttpRequest rather than fetch because only XHR reports upload byte progress.
 * Resolves on 202 with the accepted task; rejects with ApiError or UploadCancelledError.
 */
export function uploadFile({ file, datasource, mode, choices, onProgress, signal }: UploadParams): Promise<UploadAccepted> {
  return new Promise<UploadAccepted>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new UploadCancelledError());
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbortSignal = () => xhr.abort();
    const cleanup = () => signal?.removeEventListener('abort', onAbortSignal);

    xhr.open('POST', apiUrl('/api/ingest/upload'));
    xhr.setRequestHeader('Accept', 'application/json');
    // The typed client's auth middleware does not see XHR, so the token is added here too.
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    let sent = 0;
    let total = file.size;
    xhr.upload.addEventListener('progress', (e: ProgressEvent) => {
      sent = e.loaded;
      total = e.lengthComputable ? e.total : file.size;
      onProgress?.({ loaded: sent, total });
    });
    xhr.addEventListener('load', () => {
      cleanup();
      const body = parseJson(xhr.responseText);
      if (xhr.status === 202 || (xhr.status >= 200 && xhr.status < 300)) {
        const accepted = body as UploadAccepted | undefined;
        if (accepted && typeof accepted.task_id === 'string') {
          onProgress?.({ loaded: file.size, total: file.size });
          resolve(accepted);
          return;
        }
        reject(toApiError(xhr.status, { error: { code: 'invalid_response', message: 'The server accepted the file but sent no task id.' } }));
        return;
      }
      if (xhr.status === 401) reportUnauthorized();
      reject(toApiError(xhr.status, body));
    });
    xhr.addEventListener('error', () => {
      cleanup();
      if (sent > 0 && sent < total) {
        // The server may have answered early (too large, rejected) and closed the connection
        // while the body was still being sent; browsers then report only a network error.
        reject(
          new ApiError({
            status: 0,
            code: 'upload_interrupted',
            message: `The upload stopped after ${Math.round((sent / total) * 100)}% because the connection was closed.`,
            hint: 'The file may be larger than the server accepts, or the server rejected it while it was being sent. Check the server’s upload limit and that it is running, then try again.',
          }),
        );
        return;
      }
      reject(toApiError(0, undefined));
    });
    xhr.addEventListener('abort', () => {
      cleanup();
      reject(new UploadCancelledError());
    });
    signal?.addEventListener('abort', onAbortSignal);

    const form = new FormData();
    form.append('datasource_name', datasource);
    form.append('mode', mode);
    appendChoices(form, choices);
    // The file goes last so the server can read the small fields before streaming it.
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** The preview's choices as upload fields; nothing for what was left as detected. */
export function appendChoices(form: FormData, choices: UploadChoices | undefined) {
  if (!choices) return;
  if (Object.keys(choices.columnTypes).length > 0) form.append('column_types', JSON.stringify(choices.columnTypes));
  if (choices.timestampColumn) form.append('timestamp_column', choices.timestampColumn);
  if (choices.sheet) form.append('sheet', choices.sheet);
  if (choices.maxRejectedRows != null) form.append('max_rejected_rows', String(choices.maxRejectedRows));
}
