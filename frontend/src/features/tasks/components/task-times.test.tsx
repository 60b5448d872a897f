import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TimeZoneToggle } from '@/components/ui/time-zone-toggle';
import { TIME_ZONE_STORAGE_KEY } from '@/lib/time-zone';
import { makeTask } from '@/testing/fixtures';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { TaskDetail } from './task-detail';

// The tests run in America/Los_Angeles (vite.config.ts), so browser-zone times would differ.
describe('times on the task page', () => {
  it('are in UTC with the zone shown, and switch to local time and back, remembered', async () => {
    const task = makeTask({ created_at: '2024-01-01T00:49:00Z' });
    stubFetch((url) => (url.pathname === `/api/ingest/status/${task.task_id}` ? { body: task } : undefined));
    renderWithProviders(
      <>
        <TimeZoneToggle />
        <TaskDetail taskId={task.task_id} />
      </>,
    );

    const detail = await screen.findByTestId('task-detail');
    expect(within(detail).getByText('2024-01-01 00:49:00 UTC')).toBeInTheDocument();
    // The report's time range and a timestamp column's min, in the same form.
    expect(within(detail).getByText('2024-01-01 00:00 – 2024-01-31 00:00 UTC')).toBeInTheDocument();
    const columns = screen.getByRole('table', { name: 'Columns' });
    expect(within(columns).getByText('ts').closest('tr')).toHaveTextContent('2024-01-01 00:00:00 UTC');

    const toggle = screen.getByTestId('time-zone-toggle');
    expect(toggle).toHaveTextContent('UTC');
    await userEvent.click(toggle);
    expect(toggle).toHaveTextContent('PST');
    expect(within(detail).getByText('2023-12-31 16:49:00 PST')).toBeInTheDocument();
    expect(within(detail).getByText('2023-12-31 16:00 – 2024-01-30 16:00 PST')).toBeInTheDocument();
    expect(localStorage.getItem(TIME_ZONE_STORAGE_KEY)).toBe('local');

    await userEvent.click(toggle);
    expect(within(detail).getByText('2024-01-01 00:49:00 UTC')).toBeInTheDocument();
    expect(localStorage.getItem(TIME_ZONE_STORAGE_KEY)).toBe('utc');
  });

  it('start in local time when that was chosen before', async () => {
    localStorage.setItem(TIME_ZONE_STORAGE_KEY, 'local');
    const task = makeTask({ created_at: '2024-07-01T12:00:00Z' });
    stubFetch((url) => (url.pathname === `/api/ingest/status/${task.task_id}` ? { body: task } : undefined));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    const detail = await screen.findByTestId('task-detail');
    expect(within(detail).getByText('2024-07-01 05:00:00 PDT')).toBeInTheDocument();
  });
});
