// The typed API client: paths, parameters and answers come from the generated
// schema.d.ts, so a renamed route or field fails the type-check instead of a
// user. The token is added in one place, the auth middleware.
import createClient, { type Middleware } from 'openapi-fetch';
import { getToken, reportUnauthorized } from '@/lib/auth/token';
import { ApiError, apiBase, toApiError } from './client';
import type { paths } from './schema';

/** The bearer token a request carries, or null. */
export function bearerOf(headers: Headers): string | null {
  const value = headers.get('Authorization');
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : null;
}

/**
 * Sends the tab's token with every request (unless the caller set its own, as the
 * token dialog does to try one), and opens the token dialog when the server answers
 * 401 to the stored token or to none.
 */
export const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401) {
      const sent = bearerOf(request.headers);
      if (sent === null || sent === getToken()) reportUnauthorized();
    }
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: apiBase(),
  headers: { Accept: 'application/json' },
  // Looked up per call, so tests (and MSW) can replace the global fetch after this module loads.
  fetch: (request) => globalThis.fetch(request),
});
api.use(authMiddleware);

type Answer<D, E> = { data?: D; error?: E; response: Response };

/**
 * Awaits a typed call and returns its data; throws ApiError for an error answer or
 * a network failure (an abort is passed on as is). `acceptStatuses` lists non-2xx
 * statuses whose body is documented as the same type as the data (503 from /health).
 */
export async function send<D, E>(call: () => Promise<Answer<D, E>>, acceptStatuses: readonly number[] = []): Promise<D> {
  let answer: Answer<D, E>;
  try {
    answer = await call();
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    if (e instanceof SyntaxError) {
      throw new ApiError({ status: 0, code: 'invalid_response', message: 'The server sent a response that is not valid JSON.' });
    }
    throw toApiError(0, undefined);
  }
  const { data, error, response } = answer;
  if (response.ok && data !== undefined) return data;
  if (acceptStatuses.includes(response.status) && typeof error === 'object' && error !== null) {
    // The spec gives this status the same body type as the success answer.
    return error as unknown as D;
  }
  if (response.ok) {
    throw new ApiError({ status: response.status, code: 'invalid_response', message: 'The server sent an empty response.' });
  }
  throw toApiError(response.status, error);
}
