import { ThemeProvider, createTheme } from '@mui/material/styles';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderOptions } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { MemoryRouter } from 'react-router';

export function makeTestQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
}

export function renderWithProviders(
  ui: ReactElement,
  { route = '/', queryClient = makeTestQueryClient(), ...options }: RenderOptions & { route?: string; queryClient?: QueryClient } = {},
) {
  const Wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <ThemeProvider theme={createTheme()}>
        <MemoryRouter initialEntries={[route]}>{children}</MemoryRouter>
      </ThemeProvider>
    </QueryClientProvider>
  );
  return { queryClient, ...render(ui, { wrapper: Wrapper, ...options }) };
}

type Stubbed = { status?: number; body: unknown };

/** What /api/auth/whoami answers unless a test says otherwise: the open loopback mode. */
const OPEN_WHOAMI: Stubbed = { body: { auth: 'open', name: null, scope: 'admin' } };

/**
 * Replaces global fetch with a router of path → JSON responses; returns the mock, which
 * is called with (url string, { method, headers }, Request) whatever the caller passed.
 * /api/auth/whoami answers `whoami` (open access by default); pass `whoami: null` to
 * route it to `handler` like any other path.
 */
export function stubFetch(
  handler: (url: URL, request: Request) => Stubbed | undefined,
  { whoami = OPEN_WHOAMI }: { whoami?: Stubbed | null } = {},
) {
  const mock = vi.fn(async (_url: string, _init: { method: string; headers: Headers }, request: Request) => {
    const url = new URL(request.url);
    const res = whoami !== null && url.pathname === '/api/auth/whoami' ? whoami : handler(url, request);
    if (!res) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }), { status: 404 });
    // 204 and 304 answers have no body.
    if (res.status === 204 || res.status === 304) return new Response(null, { status: res.status });
    return new Response(JSON.stringify(res.body), { status: res.status ?? 200, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input instanceof URL ? input.href : input, init);
    return mock(request.url, { method: request.method, headers: request.headers }, request);
  });
  return mock;
}
