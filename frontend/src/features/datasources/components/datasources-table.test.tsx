import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Datasource } from '@/lib/api/types';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { DatasourcesTable } from './datasources-table';

const ds = (name: string, rows: number, size: number, lastUpload: string | null): Datasource => ({
  name,
  row_count: rows,
  size_bytes: size,
  min_time: '2024-01-01T00:49:00Z',
  max_time: '2024-01-07T23:00:00Z',
  columns: [{ name: '__time', type: 'timestamp' }],
  column_count: 1,
  last_upload_at: lastUpload,
  last_task_id: lastUpload ? '0191d1c8-0000-7000-8000-000000000001' : null,
  last_task_status: lastUpload ? 'failed' : null,
});

describe('DatasourcesTable', () => {
  const list = [ds('web_logs', 50, 4096, null), ds('sales', 2401, 1024, '2024-02-01T00:00:00Z'), ds('sales_eu', 7, 99, null)];

  it('lists every datasource with its figures, links names to their pages, searches and sorts', async () => {
    stubFetch((url) => (url.pathname === '/api/datasources' ? { body: { datasources: list } } : undefined));
    const user = userEvent.setup();
    renderWithProviders(<DatasourcesTable />);
    const table = await screen.findByRole('table', { name: 'Datasources' });
    const names = () => within(table).getAllByTestId('datasource-row').map((r) => r.dataset.name);
    expect(names()).toEqual(['sales', 'sales_eu', 'web_logs']);
    expect(within(table).getByRole('link', { name: 'sales' })).toHaveAttribute('href', '/datasources/sales');
    const sales = within(table).getAllByTestId('datasource-row')[0]!;
    expect(sales).toHaveTextContent('2,401');
    expect(sales).toHaveTextContent('1.0 KiB');
    expect(sales).toHaveTextContent('2024-01-01 00:49 – 2024-01-07 23:00 UTC');
    expect(within(sales).getByRole('link', { name: 'Last task of sales: failed' })).toHaveAttribute(
      'href',
      '/tasks/0191d1c8-0000-7000-8000-000000000001',
    );

    await user.click(within(table).getByRole('button', { name: 'Rows' }));
    expect(names()).toEqual(['sales', 'web_logs', 'sales_eu']);
    expect(within(table).getByRole('columnheader', { name: 'Rows' })).toHaveAttribute('aria-sort', 'descending');
    await user.click(within(table).getByRole('button', { name: 'Rows' }));
    expect(names()).toEqual(['sales_eu', 'web_logs', 'sales']);

    await user.type(screen.getByLabelText('Search datasources'), 'SALES');
    expect(names()).toEqual(['sales_eu', 'sales']);
    expect(screen.getByText('2 of 3 datasources')).toBeInTheDocument();
  });

  it('has an empty state', async () => {
    stubFetch(() => ({ body: { datasources: [] } }));
    renderWithProviders(<DatasourcesTable />);
    expect(await screen.findByText('No datasources yet')).toBeInTheDocument();
  });
});
