import { env } from '@/config/env';
import type { ErrorBody } from './types';

/** An error from the API (error body) or from the network, in words. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | null;
  readonly details: Record<string, unknown>;

  constructor(opts: {
    status: number;
    code: string;
    message: string;
    hint?: string | null;
    details?: Record<string, unknown>;
  }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.code = opts.code;
    this.hint = opts.hint ?? null;
    this.details = opts.details ?? {};
  }
}

export function apiUrl(path: string, query?: Record<string, string | number | undefined | null>) {
  const url = `${env.apiBaseUrl}${path.startsWith('/') ? path : `/${path}`}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const err = (body as { error: unknown }).error;
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { message?: unknown }).message === 'string' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The server could not understand the request.',
  404: 'Not found.',
  413: 'The file is too large for the server.',
  415: 'The server does not accept this file type.',
  422: 'The server rejected the request.',
  500: 'The server had an internal error.',
  502: 'The server is unreachable (bad gateway).',
  503: 'A backend service is unavailable.',
  504: 'The server took too long to answer.',
};

/** Turns a response status and (possibly unparsable) body into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) {
    const details = (body.error.details ?? {}) as Record<string, unknown>;
    const hint = typeof details.hint === 'string' ? details.hint : null;
    return new ApiError({
      status,
      code: body.error.code,
      message: body.error.message,
      hint,
      details,
    });
  }
  return new ApiError({
    status,
    code: status === 0 ? 'network_error' : `http_${status}`,
    message:
      status === 0
        ? 'Could not reach the server. Check your connection and that the service is running.'
        : (STATUS_WORDS[status] ?? `The server answered with HTTP ${status}.`),
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type RequestOptions = {
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  /** Statuses besides 2xx whose body is the expected type (e.g. 503 from /health). */
  acceptStatuses?: number[];
};

/** GET a JSON resource; throws ApiError on any failure. */
export function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return requestJson<T>('GET', path, opts);
}

/** POST (no body) and read the JSON answer; throws ApiError on any failure. */
export function postJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return requestJson<T>('POST', path, opts);
}

async function requestJson<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers: { Accept: 'application/json' },
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw toApiError(0, undefined);
  }
  const body = parseJson(await res.text());
  if (res.ok || opts.acceptStatuses?.includes(res.status)) {
    if (body === undefined) {
      throw new ApiError({
        status: res.status,
        code: 'invalid_response',
        message: 'The server sent a response that is not valid JSON.',
      });
    }
    return body as T;
  }
  throw toApiError(res.status, body);
}
