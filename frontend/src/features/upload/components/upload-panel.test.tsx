import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeXhr } from '@/testing/fake-xhr';
import { renderWithProviders } from '@/testing/test-utils';
import { UploadPanel } from './upload-panel';

const csv = (name = 'orders.csv', size = 1000) => new File(['x'.repeat(size)], name, { type: 'text/csv' });

describe('UploadPanel', () => {
  beforeEach(() => FakeXhr.install());

  it('explains an invalid datasource name and does not upload', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel />);
    const input = screen.getByLabelText(/Datasource name/);
    await user.type(input, '9lives');
    await user.tab();
    expect(screen.getByText(/must start with a letter/)).toBeInTheDocument();
    await user.upload(screen.getByTestId('file-input'), csv());
    await user.click(screen.getByTestId('upload-button'));
    expect(FakeXhr.instances).toHaveLength(0);
  });

  it('names each file of a batch after itself, uploads several files with progress, and cancels one', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel renderAccepted={(id) => <span>task {id}</span>} />);
    await user.upload(screen.getByTestId('file-input'), [csv('orders.csv', 1000), csv('more.csv', 2048)]);
    expect(screen.getAllByTestId('file-datasource-input').map((el) => (el as HTMLInputElement).value)).toEqual(['orders', 'more']);
    await user.click(screen.getByRole('button', { name: 'Upload 2 files' }));
    expect(FakeXhr.instances).toHaveLength(2);
    expect(FakeXhr.instances.map((x) => (x.body as FormData).get('datasource_name'))).toEqual(['orders', 'more']);
    const [first, second] = FakeXhr.instances;
    act(() => first!.progress(500, 1000));
    const items = screen.getAllByTestId('upload-item');
    const orders = items.find((el) => el.textContent?.includes('orders.csv'))!;
    const more = items.find((el) => el.textContent?.includes('more.csv'))!;
    expect(within(orders).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '50');
    expect(within(orders).getByText(/50%/)).toBeInTheDocument();

    await user.click(within(more).getByRole('button', { name: 'Cancel' }));
    expect(second!.aborted).toBe(true);
    expect(await within(more).findByText(/Upload cancelled/)).toBeInTheDocument();

    act(() => first!.respond(202, { task_id: 'abc', status: 'queued', status_url: '/api/ingest/status/abc' }));
    expect(await within(orders).findByText('task abc')).toBeInTheDocument();
    expect(within(orders).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  });

  it('shows the server’s rejection in words with the hint', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel />);
    await user.type(screen.getByLabelText(/Datasource name/), 'sales');
    await user.upload(screen.getByTestId('file-input'), csv());
    await user.click(screen.getByTestId('upload-button'));
    act(() =>
      FakeXhr.last().respond(503, {
        error: { code: 'backend_unavailable', message: 'The object store is down.', details: { hint: 'Start MinIO.' } },
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The object store is down.');
    expect(alert).toHaveTextContent('Hint: Start MinIO.');
    expect(alert).toHaveTextContent('backend_unavailable');
  });
});

describe('UploadPanel ordering and retry', () => {
  beforeEach(() => FakeXhr.install());

  it('lists a batch in the chosen order and retries a failed upload in place', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), [csv('a.csv'), csv('b.csv')]);
    await user.click(screen.getByTestId('upload-button'));
    const names = () => screen.getAllByTestId('upload-item').map((el) => el.textContent?.match(/[ab]\.csv/)?.[0]);
    expect(names()).toEqual(['a.csv', 'b.csv']);

    act(() => FakeXhr.instances[0]!.respond(503, { error: { code: 'backend_unavailable', message: 'S3 is down.' } }));
    const a = screen.getAllByTestId('upload-item')[0]!;
    await user.click(await within(a).findByRole('button', { name: 'Retry' }));
    expect(FakeXhr.instances).toHaveLength(3);
    expect(names()).toEqual(['a.csv', 'b.csv']);
    expect(screen.getAllByTestId('upload-item')[0]).toHaveAttribute('data-state', 'uploading');
  });

  it('keeps a refused upload (4xx) in the list with its error and no retry', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv('empty.csv', 0));
    await user.click(screen.getByTestId('upload-button'));
    act(() => FakeXhr.last().respond(422, { error: { code: 'empty_file', message: 'The file is empty.' } }));
    const item = await screen.findByTestId('upload-item');
    await waitFor(() => expect(item).toHaveAttribute('data-state', 'failed'));
    expect(within(item).getByRole('alert')).toHaveTextContent('The file is empty.');
    expect(within(item).queryByRole('button', { name: 'Retry' })).toBeNull();
  });
});

describe('UploadPanel datasource names', () => {
  beforeEach(() => FakeXhr.install());
  const existing = [
    { name: 'sales', row_count: 2401, min_time: '2024-01-01T00:00:00Z', max_time: '2024-03-31T00:00:00Z', columns: [], column_count: 3, size_bytes: 10, last_upload_at: null, last_task_id: null, last_task_status: null },
  ];

  it('marks a name new or appending to an existing datasource, and suggests existing ones', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel existing={existing} />);
    const options = screen.getByTestId('existing-datasources').querySelectorAll('option');
    expect(Array.from(options).map((o) => o.value)).toEqual(['sales']);
    expect(options[0]!.label).toMatch(/2,401 rows/);
    await user.type(screen.getByLabelText(/Datasource name/), 'sales');
    expect(screen.getByTestId('datasource-cue')).toHaveTextContent('Appends to existing (2,401 rows)');
    await user.clear(screen.getByLabelText(/Datasource name/));
    await user.type(screen.getByLabelText(/Datasource name/), 'brand_new');
    expect(screen.getByTestId('datasource-cue')).toHaveTextContent('New datasource');
  });

  it('gives a typed name to a single file only, and lets no name stick to the next file', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel existing={existing} />);
    await user.type(screen.getByLabelText(/Datasource name/), 'sales');
    await user.upload(screen.getByTestId('file-input'), csv('january.csv'));
    const field = screen.getByTestId('file-datasource-input');
    expect(field).toHaveValue('sales');
    expect(screen.getByTestId('datasource-cue')).toHaveAttribute('data-kind', 'existing');
    await user.click(screen.getByTestId('upload-button'));
    expect((FakeXhr.last().body as FormData).get('datasource_name')).toBe('sales');

    await user.upload(screen.getByTestId('file-input'), csv('stores.csv'));
    expect(screen.getByTestId('file-datasource-input')).toHaveValue('stores');
    expect(screen.getByTestId('datasource-cue')).toHaveAttribute('data-kind', 'new');
    await user.clear(screen.getByTestId('file-datasource-input'));
    await user.type(screen.getByTestId('file-datasource-input'), 'shops');
    await user.click(screen.getByTestId('upload-button'));
    expect((FakeXhr.last().body as FormData).get('datasource_name')).toBe('shops');
  });
});
