// Who the server thinks we are (GET /api/auth/whoami): open mode, or a token's
// name and scope. The dashboard hides what the scope does not allow; the server
// enforces it either way.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, send } from '@/lib/api/api';
import { ApiError } from '@/lib/api/client';
import type { Scope, WhoAmI } from '@/lib/api/types';
import { useAuthState } from './token';

/** What a server without tokens (no such endpoint) lets everyone do. */
export const OPEN_ACCESS: WhoAmI = { auth: 'open', name: null, scope: 'admin' };

/** Asks the server about the stored token, or about `token` when given (to try one before keeping it). */
export async function getWhoAmI(signal?: AbortSignal, token?: string): Promise<WhoAmI> {
  try {
    return await send(() =>
      api.GET('/api/auth/whoami', { signal, headers: token ? { Authorization: `Bearer ${token}` } : undefined }),
    );
  } catch (e) {
    // A server from before tokens existed has no such endpoint, and is open.
    if (e instanceof ApiError && e.status === 404) return OPEN_ACCESS;
    throw e;
  }
}

export function getWhoAmIQueryOptions(signedIn: boolean) {
  return queryOptions({
    // Whether a token is held, not the token itself: secrets stay out of the cache keys.
    queryKey: ['auth', 'whoami', signedIn] as const,
    queryFn: ({ signal }) => getWhoAmI(signal),
    staleTime: 60_000,
    retry: false,
  });
}

export function useWhoAmI() {
  const { token } = useAuthState();
  return useQuery(getWhoAmIQueryOptions(token !== null));
}

export function canWrite(scope: Scope): boolean {
  return scope === 'write' || scope === 'admin';
}

/** Whether uploads, cancel and run-again should be offered (false until known). */
export function useCanWrite(): boolean {
  const { data } = useWhoAmI();
  return data ? canWrite(data.scope) : false;
}
