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

/** An absolute URL for an API path (`/api/…`), for the few calls made without the typed client (XHR uploads). */
export function apiUrl(path: `/api/${string}`): string {
  return `${apiBase()}${path}`;
}

/** The server's origin: configured, or the page's own (absolute, so Request() accepts it everywhere). */
export function apiBase(): string {
  return env.apiOrigin || globalThis.location?.origin || '';
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
  401: 'The server needs an API token.',
  403: 'Your token is not allowed to do this.',
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
    const hint =
      typeof details.hint === 'string'
        ? details.hint
        : body.error.code === 'forbidden'
          ? forbiddenHint(details)
          : null;
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

/**
 * What the token lacks, in words, for a 403 `forbidden` whose details name the scopes
 * (the server's own hint wins when it sent one).
 */
function forbiddenHint(details: Record<string, unknown>): string | null {
  const required = details.required_scope;
  const has = details.token_scope;
  if (typeof required !== 'string') return null;
  const held = typeof has === 'string' ? `Your token has the “${has}” scope; this` : 'This';
  return `${held} needs “${required}”. Ask for a token made with \`ingest token create --name NAME --scope ${required}\`, then sign in with it.`;
}
