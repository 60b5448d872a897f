import { ApiError } from '@/lib/api/client';
import { getToken, setToken, useAuthState } from '@/lib/auth/token';
import { FakeXhr } from '@/testing/fake-xhr';
import { renderHook } from '@testing-library/react';
import { UploadCancelledError, uploadFile } from './upload-file';

const file = () => new File(['ts,price\n2024-01-01,1\n'], 'data.csv', { type: 'text/csv' });

describe('uploadFile', () => {
  beforeEach(() => FakeXhr.install());

  it('posts multipart parts file, datasource_name and mode, reporting byte progress', async () => {
    const onProgress = vi.fn();
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'replace', onProgress });
    const xhr = FakeXhr.last();
    expect(xhr.method).toBe('POST');
    expect(new URL(xhr.url).pathname).toBe('/api/ingest/upload');
    expect(xhr.body?.get('datasource_name')).toBe('sales');
    expect(xhr.body?.get('mode')).toBe('replace');
    expect((xhr.body?.get('file') as File).name).toBe('data.csv');

    xhr.progress(10, 40);
    xhr.progress(40, 40);
    expect(onProgress).toHaveBeenCalledWith({ loaded: 10, total: 40 });
    expect(onProgress).toHaveBeenCalledWith({ loaded: 40, total: 40 });

    xhr.respond(202, { task_id: 't-1', status: 'queued', status_url: '/api/ingest/status/t-1' });
    await expect(p).resolves.toEqual({ task_id: 't-1', status: 'queued', status_url: '/api/ingest/status/t-1' });
  });

  it('rejects with the server error and its hint', async () => {
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'append' });
    FakeXhr.last().respond(415, {
      error: { code: 'unsupported_format', message: 'Files of this type are not supported.', details: { hint: 'Upload CSV.' } },
    });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 415, code: 'unsupported_format', hint: 'Upload CSV.' });
  });

  it('aborts the request when the signal fires', async () => {
    const controller = new AbortController();
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'append', signal: controller.signal });
    controller.abort();
    await expect(p).rejects.toBeInstanceOf(UploadCancelledError);
    expect(FakeXhr.last().aborted).toBe(true);
  });

  it('reports a network failure in words', async () => {
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'append' });
    FakeXhr.last().networkError();
    await expect(p).rejects.toMatchObject({ code: 'network_error', message: expect.stringMatching(/Could not reach the server/) });
  });

  it('explains a connection closed mid-upload', async () => {
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'append' });
    const xhr = FakeXhr.last();
    xhr.progress(10, 40);
    xhr.networkError();
    await expect(p).rejects.toMatchObject({ code: 'upload_interrupted', message: expect.stringMatching(/stopped after 25%/), hint: expect.stringMatching(/larger than the server accepts/) });
  });

  it('sends no token when the tab has none', () => {
    void uploadFile({ file: file(), datasource: 'sales', mode: 'append' }).catch(() => {});
    expect(FakeXhr.last().headers.Authorization).toBeUndefined();
  });

  it('sends the tab’s token as a bearer token', () => {
    setToken('ing_write');
    void uploadFile({ file: file(), datasource: 'sales', mode: 'append' }).catch(() => {});
    expect(FakeXhr.last().headers.Authorization).toBe('Bearer ing_write');
  });

  it('forgets a refused token and asks for another on 401', async () => {
    setToken('ing_revoked');
    const p = uploadFile({ file: file(), datasource: 'sales', mode: 'append' });
    FakeXhr.last().respond(401, { error: { code: 'unauthorized', message: 'Unknown token.' } });
    await expect(p).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(getToken()).toBeNull();
    expect(renderHook(() => useAuthState()).result.current.prompt).toBe('refused');
  });
});
