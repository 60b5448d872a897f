import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeTask, makeTaskSummary } from '@/testing/fixtures';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { TasksList } from './tasks-list';

describe('TasksList', () => {
  it('lists tasks with their status words and links, and filters by status and datasource', async () => {
    const tasks = [
      makeTask({ status: 'ingesting', file_name: 'new.csv', datasource: 'web' }),
      makeTask({ status: 'failed', file_name: 'old.csv', row_count: null }),
    ];
    const fetchMock = stubFetch((url) => {
      const status = url.searchParams.get('status');
      const datasource = url.searchParams.get('datasource');
      const list = tasks.filter((t) => (!status || t.status === status) && (!datasource || t.datasource === datasource));
      return { body: { tasks: list, total: list.length, limit: 20, offset: 0 } };
    });
    const user = userEvent.setup();
    renderWithProviders(<TasksList />);

    const table = await screen.findByRole('table', { name: 'Tasks' });
    const rows = within(table).getAllByTestId('task-row');
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['ingesting', 'failed']);
    expect(within(rows[0]!).getByRole('link', { name: 'new.csv' })).toHaveAttribute('href', `/tasks/${tasks[0]!.task_id}`);
    expect(within(rows[1]!).getByTestId('status-chip')).toHaveTextContent('failed');

    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.click(await screen.findByRole('option', { name: 'failed' }));
    await waitFor(() => expect(screen.getAllByTestId('task-row')).toHaveLength(1));
    expect(screen.getByTestId('task-row')).toHaveAttribute('data-status', 'failed');

    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.click(await screen.findByRole('option', { name: 'All statuses' }));
    await user.type(screen.getByRole('textbox', { name: 'Datasource' }), 'web{Enter}');
    await waitFor(() => expect(screen.getAllByTestId('task-row')).toHaveLength(1));
    expect(screen.getByTestId('task-row')).toHaveAttribute('data-status', 'ingesting');
    const last = new URL(String(fetchMock.mock.calls.at(-1)?.[0]), 'http://localhost');
    expect(last.searchParams.get('datasource')).toBe('web');
    expect(last.searchParams.get('status')).toBeNull();
  });

  it('asks the server to sort the whole list by a clicked header, and flips it on a second click', async () => {
    const tasks = [makeTask({ file_name: 'b.csv', row_count: 5 }), makeTask({ file_name: 'a.csv', row_count: 50 })];
    const fetchMock = stubFetch((url) => {
      const sorted = [...tasks];
      if (url.searchParams.get('sort') === 'row_count') {
        sorted.sort((x, y) => ((x.row_count ?? 0) - (y.row_count ?? 0)) * (url.searchParams.get('order') === 'asc' ? 1 : -1));
      }
      return { body: { tasks: sorted, total: sorted.length, limit: 20, offset: 0 } };
    });
    const user = userEvent.setup();
    renderWithProviders(<TasksList />);
    const table = await screen.findByRole('table', { name: 'Tasks' });
    const lastQuery = () => new URL(String(fetchMock.mock.calls.at(-1)?.[0]), 'http://localhost').searchParams;
    expect(lastQuery().get('sort')).toBeNull();
    expect(within(table).getByRole('columnheader', { name: 'Created' })).toHaveAttribute('aria-sort', 'descending');

    await user.click(within(table).getByRole('button', { name: 'Rows' }));
    await waitFor(() => expect(lastQuery().get('sort')).toBe('row_count'));
    expect(lastQuery().get('order')).toBe('desc');
    await waitFor(() => expect(within(table).getAllByRole('link', { name: /\.csv$/ }).map((l) => l.textContent)).toEqual(['a.csv', 'b.csv']));
    expect(within(table).getByRole('columnheader', { name: 'Rows' })).toHaveAttribute('aria-sort', 'descending');

    await user.click(within(table).getByRole('button', { name: 'Rows' }));
    await waitFor(() => expect(lastQuery().get('order')).toBe('asc'));
    await waitFor(() => expect(within(table).getAllByRole('link', { name: /\.csv$/ }).map((l) => l.textContent)).toEqual(['b.csv', 'a.csv']));
    expect(within(table).getByRole('columnheader', { name: 'Rows' })).toHaveAttribute('aria-sort', 'ascending');
  });

  it('marks the tasks whose schema differed from their datasource’s', async () => {
    const tasks = [
      { ...makeTaskSummary({ file_name: 'drifted.csv' }), schema_drifted: true },
      { ...makeTaskSummary({ file_name: 'same.csv' }), schema_drifted: false },
    ];
    stubFetch(() => ({ body: { tasks, total: tasks.length, limit: 20, offset: 0 } }));
    renderWithProviders(<TasksList />);
    const rows = within(await screen.findByRole('table', { name: 'Tasks' })).getAllByTestId('task-row');
    expect(within(rows[0]!).getByTestId('task-schema-drifted')).toHaveTextContent('schema changed');
    expect(within(rows[1]!).queryByTestId('task-schema-drifted')).not.toBeInTheDocument();
  });

  it('links a datasource name to its page', async () => {
    const tasks = [makeTask({ datasource: 'web' }), makeTask({ datasource: 'sales' })];
    stubFetch(() => ({ body: { tasks, total: tasks.length, limit: 20, offset: 0 } }));
    renderWithProviders(<TasksList />);
    const table = await screen.findByRole('table', { name: 'Tasks' });
    const link = within(table).getAllByRole('link', { name: 'web' })[0]!;
    expect(link).toHaveAttribute('href', '/datasources/web');
  });

  it('has an empty state and an error state', async () => {
    stubFetch(() => ({ body: { tasks: [], total: 0, limit: 20, offset: 0 } }));
    const { unmount } = renderWithProviders(<TasksList />);
    expect(await screen.findByText('No uploads yet')).toBeInTheDocument();
    unmount();

    stubFetch(() => ({ status: 503, body: { error: { code: 'database_unavailable', message: 'The database is down.' } } }));
    renderWithProviders(<TasksList />);
    expect(await screen.findByRole('alert')).toHaveTextContent('The database is down.');
  });
});
