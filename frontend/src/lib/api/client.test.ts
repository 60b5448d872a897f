import { forgetToken, getToken, setToken, useAuthState } from '@/lib/auth/token';
import { stubFetch } from '@/testing/test-utils';
import { renderHook } from '@testing-library/react';
import { api, bearerOf, send } from './api';
import { ApiError, toApiError } from './client';

describe('toApiError', () => {
  it('reads the error body and its hint', () => {
    const e = toApiError(422, {
      error: { code: 'invalid_datasource_name', message: 'Bad name.', details: { hint: 'Start with a letter.' } },
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_datasource_name');
    expect(e.message).toBe('Bad name.');
    expect(e.hint).toBe('Start with a letter.');
  });

  it('puts an unparsable answer into words', () => {
    expect(toApiError(413, undefined).message).toMatch(/too large/);
    expect(toApiError(0, undefined).code).toBe('network_error');
    expect(toApiError(418, 'teapot').message).toMatch(/HTTP 418/);
  });

  it('explains a 403 forbidden by the scopes it names', () => {
    const e = toApiError(403, {
      error: { code: 'forbidden', message: 'This token may not do that.', details: { required_scope: 'write', token_scope: 'read' } },
    });
    expect(e.hint).toMatch(/has the “read” scope; this needs “write”/);
    expect(e.hint).toMatch(/ingest token create --name NAME --scope write/);
  });
});

describe('typed client', () => {
  it('sends only the set query parameters', async () => {
    const fetchMock = stubFetch(() => ({ body: { tasks: [], total: 0, limit: 5, offset: 0 } }));
    await send(() => api.GET('/api/ingest/tasks', { params: { query: { status: 'failed', datasource: undefined, limit: 5 } } }));
    const url = new URL(fetchMock.mock.calls[0]![0]);
    expect(url.pathname).toBe('/api/ingest/tasks');
    expect([...url.searchParams]).toEqual([
      ['status', 'failed'],
      ['limit', '5'],
    ]);
  });

  it('accepts listed non-2xx statuses as data (503 from /health)', async () => {
    stubFetch(() => ({ status: 503, body: { status: 'degraded', version: '1', checks: [] } }));
    await expect(send(() => api.GET('/api/health'), [503])).resolves.toMatchObject({ status: 'degraded' });
    await expect(send(() => api.GET('/api/health'))).rejects.toBeInstanceOf(ApiError);
  });

  it('turns a network failure into a network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(send(() => api.GET('/api/health'))).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });

  it('reports a 2xx that is not JSON', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } })));
    await expect(send(() => api.GET('/api/health'))).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

describe('auth middleware', () => {
  const okTasks = () => ({ body: { tasks: [], total: 0, limit: 50, offset: 0 } });

  it('sends no Authorization header without a token', async () => {
    const fetchMock = stubFetch(okTasks);
    await send(() => api.GET('/api/ingest/tasks'));
    expect(bearerOf(fetchMock.mock.calls[0]![1].headers)).toBeNull();
  });

  it('adds the stored token as a bearer token to every call', async () => {
    setToken('ing_secret');
    const fetchMock = stubFetch(okTasks);
    await send(() => api.GET('/api/ingest/tasks'));
    await send(() => api.POST('/api/ingest/tasks/{task_id}/cancel', { params: { path: { task_id: 't1' } } })).catch(() => {});
    expect(fetchMock.mock.calls.map(([, init]) => bearerOf(init.headers))).toEqual(['ing_secret', 'ing_secret']);
  });

  it('keeps an Authorization header the caller set (trying a token)', async () => {
    setToken('ing_stored');
    const fetchMock = stubFetch(okTasks);
    await send(() => api.GET('/api/ingest/tasks', { headers: { Authorization: 'Bearer ing_other' } }));
    expect(bearerOf(fetchMock.mock.calls[0]![1].headers)).toBe('ing_other');
  });

  it('asks for a token on 401 without one', async () => {
    stubFetch(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'A token is required.' } } }));
    await expect(send(() => api.GET('/api/ingest/tasks'))).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const { result } = renderHook(() => useAuthState());
    expect(result.current.prompt).toBe('required');
  });

  it('forgets a refused token and asks for another', async () => {
    setToken('ing_revoked');
    stubFetch(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'Unknown token.' } } }));
    await expect(send(() => api.GET('/api/ingest/tasks'))).rejects.toMatchObject({ status: 401 });
    expect(getToken()).toBeNull();
    expect(sessionStorage.length).toBe(0);
    const { result } = renderHook(() => useAuthState());
    expect(result.current.prompt).toBe('refused');
  });

  it('does not forget the stored token when a token being tried is refused', async () => {
    setToken('ing_good');
    stubFetch(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'Unknown token.' } } }));
    await expect(send(() => api.GET('/api/ingest/tasks', { headers: { Authorization: 'Bearer ing_typo' } }))).rejects.toBeInstanceOf(ApiError);
    expect(getToken()).toBe('ing_good');
    forgetToken();
  });
});
