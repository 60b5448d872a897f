import { stubFetch } from '@/testing/test-utils';
import { ApiError, apiUrl, getJson, toApiError } from './client';

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
});

describe('getJson', () => {
  it('builds /api URLs with only the set query parameters', () => {
    expect(apiUrl('/ingest/tasks', { status: 'failed', datasource: '', limit: 5, offset: undefined })).toBe(
      '/api/ingest/tasks?status=failed&limit=5',
    );
  });

  it('accepts listed non-2xx statuses as data (503 from /health)', async () => {
    stubFetch(() => ({ status: 503, body: { status: 'degraded', version: '1', checks: [] } }));
    await expect(getJson('/health', { acceptStatuses: [503] })).resolves.toMatchObject({ status: 'degraded' });
    await expect(getJson('/health')).rejects.toBeInstanceOf(ApiError);
  });

  it('turns a network failure into a network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(getJson('/health')).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });
});
