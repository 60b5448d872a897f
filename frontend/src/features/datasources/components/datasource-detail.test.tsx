import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import type { DatasourceDetail as Detail } from '@/lib/api/types';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { DatasourceDetail } from './datasource-detail';

const TASK = '0191d1c8-0000-7000-8000-000000000002';

const detail: Detail = {
  name: 'sales',
  row_count: 2,
  size_bytes: 2048,
  min_time: '2024-01-01T00:49:00Z',
  max_time: '2024-01-02T00:00:00Z',
  columns: [
    { name: '__time', type: 'timestamp' },
    { name: 'store', type: 'string' },
  ],
  column_count: 2,
  last_upload_at: '2024-02-01T00:00:00Z',
  last_task_id: TASK,
  last_task_status: 'succeeded',
  granularity: 'hour',
  rows_over_time: [],
  sample: [
    { __time: '2024-01-01T00:49:00.000Z', store: 'Lisboa' },
    { __time: '2024-01-02T00:00:00.000Z', store: 'Porto' },
  ],
  uploads: [{ task_id: TASK, file_name: 'sales.csv', status: 'succeeded', mode: 'append', rows: 2, size_bytes: 99, created_at: '2024-02-01T00:00:00Z' }],
};

function page() {
  return renderWithProviders(
    <Routes>
      <Route path="/datasources/:name" element={<DatasourceDetail name="sales" />} />
      <Route path="/datasources" element={<p>the list</p>} />
    </Routes>,
    { route: '/datasources/sales' },
  );
}

describe('DatasourceDetail', () => {
  it('shows the schema, the sample rows in UTC and the uploads linking to their tasks', async () => {
    stubFetch((url) => {
      if (url.pathname === '/api/datasources/sales') return { body: detail };
      if (url.pathname === '/api/datasources/sales/timeseries') return { body: { datasource: 'sales', granularity: 'hour', points: [] } };
      return undefined;
    });
    page();
    expect(await screen.findByRole('heading', { name: 'sales' })).toBeInTheDocument();
    expect(screen.getByTestId('datasource-figures')).toHaveTextContent('2 rows · 2.0 KiB · 2 columns');
    expect(within(screen.getByTestId('schema')).getAllByRole('listitem').map((c) => c.textContent)).toEqual(['__time: timestamp', 'store: string']);
    const sample = screen.getByRole('table', { name: 'Sample rows' });
    expect(within(sample).getAllByTestId('sample-row')[0]).toHaveTextContent('2024-01-01 00:49:00 UTCLisboa');
    const uploads = screen.getByRole('table', { name: 'Uploads' });
    expect(within(uploads).getByRole('link', { name: 'sales.csv' })).toHaveAttribute('href', `/tasks/${TASK}`);
  });

  it('deletes only after the name is typed, then goes back to the list', async () => {
    const mock = stubFetch((url, request) => {
      if (url.pathname === '/api/datasources/sales' && request.method === 'DELETE') return { status: 204, body: null };
      if (url.pathname === '/api/datasources/sales') return { body: detail };
      if (url.pathname === '/api/datasources/sales/timeseries') return { body: { datasource: 'sales', granularity: 'hour', points: [] } };
      return undefined;
    });
    const user = userEvent.setup();
    page();
    await user.click(await screen.findByRole('button', { name: 'Delete datasource' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete sales?' });
    const confirm = within(dialog).getByRole('button', { name: 'Delete sales' });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByLabelText('Type sales to confirm'), 'sale');
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByLabelText('Type sales to confirm'), 's');
    await user.click(confirm);
    expect(await screen.findByText('the list')).toBeInTheDocument();
    await waitFor(() => expect(mock.mock.calls.some(([, init]) => init.method === 'DELETE')).toBe(true));
  });

  it('says when a delete is refused while an upload runs', async () => {
    stubFetch((url, request) => {
      if (request.method === 'DELETE') {
        return { status: 409, body: { error: { code: 'datasource_busy', message: 'an upload to sales has not finished yet', details: {} } } };
      }
      if (url.pathname === '/api/datasources/sales') return { body: detail };
      return { body: { datasource: 'sales', granularity: 'hour', points: [] } };
    });
    const user = userEvent.setup();
    page();
    await user.click(await screen.findByRole('button', { name: 'Delete datasource' }));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Type sales to confirm'), 'sales{Enter}');
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('an upload to sales has not finished yet');
  });
});
