import { screen } from '@testing-library/react';
import { makeTask } from '@/testing/fixtures';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { TaskProgress } from './task-progress';

describe('TaskProgress', () => {
  it('shows the rows once the task succeeded, with a link to its details', async () => {
    const task = makeTask({ status: 'succeeded', row_count: 1234, rejected_row_count: 0 });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskProgress taskId={task.task_id} />);
    expect(await screen.findByTestId('task-progress-rows')).toHaveTextContent('1,234 rows ingested');
    expect(screen.getByTestId('task-progress')).toHaveAttribute('data-status', 'succeeded');
    expect(screen.getByRole('link', { name: 'Task details' })).toHaveAttribute('href', `/tasks/${task.task_id}`);
  });

  it('marks the stage where a task failed and shows its error', async () => {
    const task = makeTask({
      status: 'failed',
      row_count: null,
      stages: [
        { name: 'upload', started_at: '2024-05-01T10:00:00Z', finished_at: '2024-05-01T10:00:01Z', duration_ms: 1000 },
        { name: 'queued', started_at: '2024-05-01T10:00:01Z', finished_at: '2024-05-01T10:00:02Z', duration_ms: 1000 },
        { name: 'validation', started_at: '2024-05-01T10:00:02Z', finished_at: '2024-05-01T10:00:03Z', duration_ms: 1000 },
      ],
      error: { code: 'no_rows', message: 'The file has no data rows.', hint: null },
    });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskProgress taskId={task.task_id} />);
    expect(await screen.findByText('The file has no data rows.')).toBeInTheDocument();
    const validating = screen.getByText('validating');
    expect(validating.className).toMatch(/Mui-error/);
    expect(screen.getAllByText('failed').length).toBeGreaterThan(0);
  });
});
