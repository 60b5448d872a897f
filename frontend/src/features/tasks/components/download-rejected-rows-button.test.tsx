import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setToken } from '@/lib/auth/token';
import { makeTask } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/test-utils';
import { DownloadRejectedRowsButton } from './download-rejected-rows-button';

const CSV = 'line,column,code,reason,record\n3,,ragged_row,4 fields but the header has 3,"a,b,c,d"\n';

/** Routes fetch: the rejected rows answer `answer`, whoami says the token may read. */
function stubDownload(answer: () => Response) {
  const requests: Request[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input instanceof URL ? input.href : input, init);
    requests.push(request);
    if (new URL(request.url).pathname === '/api/auth/whoami') {
      return new Response(JSON.stringify({ auth: 'token', name: 'reader', scope: 'read' }), {
        headers: { 'content-type': 'application/json' },
      });
    }
    return answer();
  });
  return requests;
}

describe('DownloadRejectedRowsButton', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fetches the rejected rows with the token and saves them as a named file', async () => {
    setToken('secret-token');
    const requests = stubDownload(
      () => new Response(CSV, { headers: { 'content-type': 'text/csv', 'content-disposition': 'attachment' } }),
    );
    const saved: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      saved.push(blob);
      return 'blob:rejected';
    });
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicked: HTMLAnchorElement[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });

    const task = makeTask({ file_name: 'cities.csv', rejected_rows: { rows: 4, bytes: CSV.length } });
    renderWithProviders(<DownloadRejectedRowsButton task={task} />);
    await userEvent.click(screen.getByRole('button', { name: 'Download rejected rows (4)' }));

    await waitFor(() => expect(clicked).toHaveLength(1));
    const request = requests.find((r) => r.url.includes('/rejected'));
    expect(request?.url).toMatch(new RegExp(`/api/ingest/tasks/${task.task_id}/rejected$`));
    expect(request?.url).not.toContain('secret-token');
    expect(request?.headers.get('Authorization')).toBe('Bearer secret-token');
    expect(await saved[0]?.text()).toBe(CSV);
    expect(clicked[0]?.download).toBe('cities-rejected-rows.csv');
    expect(clicked[0]?.href).toBe('blob:rejected');
    expect(revokeObjectURL).toHaveBeenCalledWith('blob:rejected');
    click.mockRestore();
  });

  it('shows the server error when there is nothing to download', async () => {
    stubDownload(
      () =>
        new Response(
          JSON.stringify({ error: { code: 'no_rejected_rows', message: 'task x has no rejected rows to download', details: {} } }),
          { status: 404, headers: { 'content-type': 'application/json' } },
        ),
    );
    const task = makeTask({ rejected_rows: { rows: 1, bytes: 10 } });
    renderWithProviders(<DownloadRejectedRowsButton task={task} />);
    await userEvent.click(screen.getByRole('button', { name: /Download rejected rows/ }));
    expect(await screen.findByText(/has no rejected rows to download/)).toBeInTheDocument();
  });

  it('is not offered when the task kept no rejected rows', () => {
    renderWithProviders(<DownloadRejectedRowsButton task={makeTask({ rejected_rows: null })} />);
    expect(screen.queryByRole('button', { name: /Download rejected rows/ })).not.toBeInTheDocument();
  });
});
