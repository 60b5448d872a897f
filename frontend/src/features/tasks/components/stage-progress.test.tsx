import { screen, within } from '@testing-library/react';
import type { StageProgress as Progress } from '@/lib/api/types';
import { makeTask, makeTaskSummary } from '@/testing/fixtures';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { StageProgress } from './stage-progress';
import { TaskDetail } from './task-detail';
import { TasksList } from './tasks-list';

const validating: Progress = {
  stage: 'validation',
  pass: 'profiling',
  bytes_read: 12_000_000,
  bytes_total: 30_000_000,
  rows: 120_000,
  percent: 20,
  updated_at: '2024-05-01T10:00:05Z',
};

describe('StageProgress', () => {
  it('shows a running validation as a bar with percent, rows, bytes and the UTC time it was published', () => {
    renderWithProviders(<StageProgress status="validating" progress={validating} />);
    const bar = screen.getByRole('progressbar', { name: 'Validation progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '20');
    expect(screen.getByTestId('stage-progress-text')).toHaveTextContent(
      /^20% · 120,000 rows · .+ of .+ · read 1 of 2 · updated 2024-05-01 10:00:05 UTC$/,
    );
  });

  it('shows Druid rows of the accepted rows, and moves without a value while Druid reports none', () => {
    const ingesting: Progress = {
      stage: 'ingestion',
      rows: 500,
      rows_total: 2000,
      percent: 25,
      phase: 'BUILD_SEGMENTS',
      bytes_read: null,
      bytes_total: null,
      updated_at: '2024-05-01T10:00:05Z',
    };
    const { rerender } = renderWithProviders(<StageProgress status="ingesting" progress={ingesting} compact />);
    expect(screen.getByRole('progressbar', { name: 'Ingestion progress' })).toHaveAttribute('aria-valuenow', '25');
    expect(screen.getByTestId('stage-progress-text')).toHaveTextContent('25% · 500 of 2,000 rows · Druid: build segments');
    rerender(<StageProgress status="ingesting" progress={{ ...ingesting, rows: null, percent: null, phase: null }} compact />);
    expect(screen.getByRole('progressbar', { name: 'Ingestion progress' })).not.toHaveAttribute('aria-valuenow');
  });

  it('says what an upload waits for before Druid runs it, without a moving bar', () => {
    const waiting: Progress = {
      stage: 'ingestion',
      rows: null,
      rows_total: 2000,
      percent: null,
      bytes_read: null,
      bytes_total: null,
      updated_at: '2024-05-01T10:00:05Z',
      waiting: {
        reason: 'druid_task_slot',
        ahead: 2,
        limit: 1,
        message: 'waiting for a Druid task slot (2 ahead; this server runs at most 1 Druid task at once)',
      },
    };
    renderWithProviders(<StageProgress status="ingesting" progress={waiting} compact />);
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByTestId('stage-progress')).toHaveAttribute('data-waiting', 'druid_task_slot');
    expect(screen.getByTestId('stage-progress-text')).toHaveTextContent(
      'waiting for a Druid task slot (2 ahead; this server runs at most 1 Druid task at once)',
    );
  });

  it('shows nothing once the task is no longer running', () => {
    renderWithProviders(<StageProgress status="succeeded" progress={validating} />);
    expect(screen.queryByTestId('stage-progress')).toBeNull();
  });

  it('appears in the running task’s row of the task list and on its page', async () => {
    const running = makeTask({ status: 'validating', row_count: null, progress: validating });
    const done = makeTask({ status: 'succeeded' });
    stubFetch((url) => {
      if (url.pathname === `/api/ingest/status/${running.task_id}`) return { body: running };
      return { body: { tasks: [makeTaskSummary(running), makeTaskSummary(done)], total: 2, limit: 20, offset: 0 } };
    });
    renderWithProviders(
      <>
        <TasksList />
        <TaskDetail taskId={running.task_id} />
      </>,
    );
    const table = await screen.findByRole('table', { name: 'Tasks' });
    const [first, second] = within(table).getAllByTestId('task-row');
    expect(within(first!).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '20');
    expect(within(first!).getByTestId('stage-progress-text')).toHaveTextContent('20% · 120,000 rows · read 1 of 2');
    expect(within(second!).queryByRole('progressbar')).toBeNull();
    const detail = await screen.findByTestId('task-detail');
    expect(within(detail).getByRole('progressbar', { name: 'Validation progress' })).toHaveAttribute('aria-valuenow', '20');
  });
});
