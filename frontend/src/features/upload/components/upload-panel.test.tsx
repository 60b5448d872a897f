import { act, screen, within } from '@testing-library/react';
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

  it('suggests a name from the first file, uploads several files with progress, and cancels one', async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadPanel renderAccepted={(id) => <span>task {id}</span>} />);
    await user.upload(screen.getByTestId('file-input'), [csv('orders.csv', 1000), csv('more.csv', 2048)]);
    expect(screen.getByLabelText(/Datasource name/)).toHaveValue('orders');
    await user.click(screen.getByRole('button', { name: 'Upload 2 files' }));
    expect(FakeXhr.instances).toHaveLength(2);

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
    await user.type(screen.getByLabelText(/Datasource name/), 'sales');
    await user.upload(screen.getByTestId('file-input'), [csv('a.csv'), csv('b.csv')]);
    await user.click(screen.getByTestId('upload-button'));
    const names = () => screen.getAllByTestId('upload-item').map((el) => el.textContent?.match(/[ab]\.csv/)?.[0]);
    expect(names()).toEqual(['a.csv', 'b.csv']);

    act(() => FakeXhr.instances[0]!.respond(400, { error: { code: 'missing_part', message: 'No file part.' } }));
    const a = screen.getAllByTestId('upload-item')[0]!;
    await user.click(await within(a).findByRole('button', { name: 'Retry' }));
    expect(FakeXhr.instances).toHaveLength(3);
    expect(names()).toEqual(['a.csv', 'b.csv']);
    expect(screen.getAllByTestId('upload-item')[0]).toHaveAttribute('data-state', 'uploading');
  });
});
