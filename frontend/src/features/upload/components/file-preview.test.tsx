import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Datasource, FilePreview } from '@/lib/api/types';
import { FakeXhr } from '@/testing/fake-xhr';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { PREVIEW_TEXT_BYTES } from '../api/preview-file';
import { UploadPanel } from './upload-panel';

const preview: FilePreview = {
  format: 'csv',
  delimiter: ';',
  encoding: { name: 'windows-1252', source: 'detected', confidence: 90, reason: 'not UTF-8; the detector chose windows-1252' },
  compression: { codec: 'gzip', compressed_bytes: 1000, uncompressed_bytes: 5000 },
  sheets: [],
  columns: [
    { name: 'time', type: 'timestamp', null_count: 0, min: null, max: null },
    { name: 'zip', type: 'long', null_count: 0, min: '1001', max: '9999' },
    { name: 'amount', type: 'double', null_count: 0, min: '1', max: '2' },
  ],
  timestamp: { column: 'time', format: 'rfc3339', min: null, max: null, source: 'column' },
  rows: [
    { line: 2, values: ['2024-01-01T00:00:00.000Z', 1001, 1.5], rejected: null },
    { line: 3, values: [null, 1002, null], mistyped: ['amount'], rejected: 'its "time" value is empty or not a readable time' },
  ],
  rows_read: 2,
  truncated: false,
  problems: [{ severity: 'warning', code: 'row_without_time', message: 'line 3 has no time', line: 3, column: 'time' }],
  problems_not_listed: 0,
  warnings: [],
};

const sales: Datasource = {
  name: 'sales',
  row_count: 10,
  min_time: '2024-01-01T00:00:00Z',
  max_time: '2024-01-02T00:00:00Z',
  columns: [
    { name: '__time', type: 'long' },
    { name: 'zip', type: 'string' },
    { name: 'region', type: 'string' },
  ],
  column_count: 3,
  size_bytes: null,
  last_upload_at: null,
  last_task_id: null,
  last_task_status: null,
};

const csv = (name = 'sales.csv', size = 1000) => new File(['x'.repeat(size)], name, { type: 'text/csv' });

/** Serves the preview; returns the requests the dashboard made. */
function servePreview(answer: { status?: number; body: unknown } = { body: preview }) {
  const requests: Request[] = [];
  stubFetch((url, request) => {
    if (url.pathname !== '/api/ingest/preview') return undefined;
    requests.push(request);
    return answer;
  });
  return requests;
}

describe('FilePreview in the upload panel', () => {
  beforeEach(() => FakeXhr.install());

  it('shows the first rows as soon as a file is chosen, and sends the chosen types with the upload', async () => {
    const user = userEvent.setup();
    const requests = servePreview();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());

    const table = await screen.findByTestId('preview-table');
    const rows = within(table).getAllByTestId('preview-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('1001');
    expect(rows[1]).toHaveTextContent(/rejected: its "time" value/);
    expect(screen.getByTestId('fact-encoding')).toHaveTextContent('windows-1252');
    expect(screen.getByTestId('fact-encoding')).toHaveTextContent('90% sure');
    expect(screen.getByTestId('fact-compression')).toHaveTextContent('gzip');
    expect(screen.getByTestId('preview-warnings')).toHaveTextContent('line 3 has no time');
    expect(screen.getByLabelText('Time column')).toHaveValue('time');
    // The whole small file was sent, not marked as cut.
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0]!.url).search).toBe('');

    await user.selectOptions(screen.getByLabelText('Type of zip'), 'string');
    await user.click(screen.getByTestId('upload-button'));
    const sent = FakeXhr.last().body!;
    expect(JSON.parse(sent.get('column_types') as string)).toEqual({ zip: 'string' });
    expect(sent.get('timestamp_column')).toBeNull();
  });

  it('reads the file again when a type is changed, so a value that breaks it shows as a problem before upload', async () => {
    const user = userEvent.setup();
    const breaks = 'its "zip" value "1001" is not a boolean, the type column_types gives that column';
    // The server's answer with zip read as a boolean: the row is rejected, and without a budget the upload fails.
    const steered: FilePreview = {
      ...preview,
      columns: preview.columns.map((c) => (c.name === 'zip' ? { ...c, type: 'boolean' } : c)),
      rows: [{ line: 2, values: ['2024-01-01T00:00:00.000Z', null, 1.5], mistyped: ['zip'], rejected: breaks }, preview.rows[1]!],
      problems: [{ severity: 'error', code: 'value_breaks_column_type', message: `line 2 was rejected: ${breaks}`, line: 2, column: 'zip' }],
    };
    const requests: Request[] = [];
    stubFetch((url, request) => {
      if (url.pathname !== '/api/ingest/preview') return undefined;
      requests.push(request);
      return { body: requests.length === 1 ? preview : steered };
    });
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());
    await screen.findByTestId('preview-table');
    expect(screen.queryByTestId('preview-errors')).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Type of zip'), 'boolean');
    expect(await screen.findByTestId('preview-errors')).toHaveTextContent('"1001" is not a boolean');
    expect(requests).toHaveLength(2);
    expect(JSON.parse((await requests[1]!.formData()).get('column_types') as string)).toEqual({ zip: 'boolean' });
    const rows = within(screen.getByTestId('preview-table')).getAllByTestId('preview-row');
    expect(rows[0]).toHaveTextContent('rejected: its "zip" value "1001" is not a boolean');
    // The type detected stays marked as such, and choosing it again shows the file as detected (no new read).
    const select = screen.getByLabelText('Type of zip');
    expect(select).toHaveValue('boolean');
    expect(within(select).getByRole('option', { name: 'long (detected)' })).toBeInTheDocument();
    await user.selectOptions(select, 'long');
    await waitFor(() => expect(screen.queryByTestId('preview-errors')).not.toBeInTheDocument());
    expect(requests).toHaveLength(2);
  });

  it('sends the rejected rows allowed with the preview and the upload, and refuses what is not a whole number', async () => {
    const user = userEvent.setup();
    const requests = servePreview();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());
    await screen.findByTestId('preview-table');
    const field = screen.getByLabelText('Rejected rows allowed');

    await user.type(field, '-1');
    await user.click(screen.getByTestId('upload-button'));
    expect(screen.getByText('A whole number, 0 or more.')).toBeInTheDocument();
    expect(FakeXhr.instances).toHaveLength(0);

    await user.clear(field);
    await user.type(field, '25');
    // The preview is read again with the budget, once the number stops changing.
    await waitFor(() => expect(requests).toHaveLength(2));
    expect((await requests[1]!.formData()).get('max_rejected_rows')).toBe('25');
    await user.click(screen.getByTestId('upload-button'));
    expect(FakeXhr.last().body!.get('max_rejected_rows')).toBe('25');
  });

  it('sends no budget when the field is left empty', async () => {
    const user = userEvent.setup();
    servePreview();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());
    await screen.findByTestId('preview-table');
    await user.click(screen.getByTestId('upload-button'));
    expect(FakeXhr.last().body!.get('max_rejected_rows')).toBeNull();
  });

  it('sends only the start of a large text file, marked as cut', async () => {
    const user = userEvent.setup();
    const requests = servePreview();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv('big.csv', PREVIEW_TEXT_BYTES + 10));
    await screen.findByTestId('preview-table');
    expect(new URL(requests[0]!.url).searchParams.get('truncated')).toBe('true');
  });

  it('says before upload how the columns differ from the existing datasource, with the chosen types', async () => {
    const user = userEvent.setup();
    servePreview();
    renderWithProviders(<UploadPanel existing={[sales]} />);
    await user.upload(screen.getByTestId('file-input'), csv('sales.csv'));
    const notice = await screen.findByTestId('drift-notice');
    expect(within(notice).getByTestId('drift-added')).toHaveTextContent('amount');
    expect(within(notice).getByTestId('drift-missing')).toHaveTextContent('region');
    expect(within(notice).getByTestId('drift-changed')).toHaveTextContent('zip is long in the file, string in the datasource');

    // Choosing the datasource's type for zip clears that difference.
    await user.selectOptions(screen.getByLabelText('Type of zip'), 'string');
    await waitFor(() => expect(screen.queryByTestId('drift-changed')).not.toBeInTheDocument());
  });

  it('re-reads the file with another time column and sends that choice', async () => {
    const user = userEvent.setup();
    const requests = servePreview();
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());
    await screen.findByTestId('preview-table');
    await user.selectOptions(screen.getByLabelText('Time column'), 'zip');
    await waitFor(() => expect(requests).toHaveLength(2));
    expect((await requests[1]!.formData()).get('timestamp_column')).toBe('zip');
    await user.click(screen.getByTestId('upload-button'));
    expect(FakeXhr.last().body!.get('timestamp_column')).toBe('zip');
  });

  it('still uploads a file whose preview is not available', async () => {
    const user = userEvent.setup();
    servePreview({
      status: 413,
      body: { error: { code: 'preview_too_large', message: 'too large', details: { limit_bytes: 10 } } },
    });
    renderWithProviders(<UploadPanel />);
    await user.upload(screen.getByTestId('file-input'), csv());
    expect(await screen.findByTestId('preview-error')).toHaveTextContent('Preview is not available');
    await user.click(screen.getByTestId('upload-button'));
    act(() => FakeXhr.last().respond(202, { task_id: 't1', status: 'queued', status_url: '/api/ingest/status/t1' }));
    expect(FakeXhr.last().body!.get('column_types')).toBeNull();
  });

  it('says so, without asking the server, for a workbook over the preview limit', async () => {
    const user = userEvent.setup();
    const requests = servePreview();
    renderWithProviders(<UploadPanel />);
    const big = csv('book.xlsx', 1);
    Object.defineProperty(big, 'size', { value: 200 * 1024 * 1024 });
    await user.upload(screen.getByTestId('file-input'), big);
    expect(await screen.findByText(/Preview is not available for XLSX or Parquet files over 100 MB/)).toBeInTheDocument();
    expect(requests).toHaveLength(0);
  });
});
