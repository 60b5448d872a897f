import { screen, waitFor, within } from '@testing-library/react';
import { makeTask } from '@/testing/fixtures';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import type { Task } from '@/lib/api/types';
import { TaskDetail } from './task-detail';

type WarningDetails = NonNullable<Task['warnings']>[number]['details'];

describe('TaskDetail', () => {
  it('shows counts, stages, the validation report with line numbers and Druid details', async () => {
    const task = makeTask();
    stubFetch((url) => (url.pathname === `/api/ingest/status/${task.task_id}` ? { body: task } : undefined));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);

    expect(await screen.findByTestId('task-detail')).toHaveAttribute('data-status', 'succeeded');
    expect(screen.getByTestId('rows-in')).toHaveTextContent('1,000');
    expect(screen.getByTestId('rows-accepted')).toHaveTextContent('990');
    expect(screen.getByTestId('rows-rejected')).toHaveTextContent('10');

    const timeline = screen.getByTestId('stage-timeline');
    expect(within(timeline).getAllByRole('listitem')).toHaveLength(4);
    expect(within(timeline).getByText('2.00 s')).toBeInTheDocument();

    const columns = screen.getByRole('table', { name: 'Columns' });
    expect(within(columns).getByText('price').closest('tr')).toHaveTextContent(/double\s*3\s*1\.5\s*99/);
    expect(within(columns).getByText('ts').closest('tr')).toHaveTextContent('row time: 990 of 1,000 values read as');
    const problems = screen.getByRole('table', { name: 'Problems' });
    expect(within(problems).getByText(/Row has 4 fields/).closest('tr')).toHaveTextContent('12');
    expect(screen.getByText('%Y-%m-%d %H:%M:%S')).toBeInTheDocument();
    expect(screen.getByText('index_parallel_sales_1')).toBeInTheDocument();
    expect(screen.getByText('SUCCESS')).toBeInTheDocument();
  });

  it('shows a refused schema drift next to the error, and the column profiles as small charts', async () => {
    const base = makeTask();
    const task = makeTask({
      status: 'failed',
      error: { code: 'schema_drift', message: 'the file’s schema differs', hint: 'Make the file match.' },
      schema_drift: {
        compared_with: base.task_id,
        drifted: true,
        added: [{ name: 'returned', type: 'boolean' }],
        missing: [],
        type_changed: [],
        time_column_changed: null,
        on_schema_change: 'fail',
      },
      validation: {
        ...base.validation!,
        columns: [
          {
            name: 'price',
            type: 'double',
            null_count: 3,
            min: '1.5',
            max: '99',
            stats: { distinct_estimate: 42, null_ratio: 0.003, histogram: [{ lower: 0, upper: 100, count: 987 }] },
          },
        ],
      },
    });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);

    const drift = await screen.findByTestId('schema-drift');
    expect(drift).toHaveTextContent('Refused: the schema differs');
    expect(within(drift).getByTestId('drift-added')).toHaveTextContent('returned (boolean)');
    const card = screen.getByTestId('column-stats');
    expect(card).toHaveAttribute('data-column', 'price');
    expect(within(card).getByRole('img', { name: /Histogram of price/ })).toBeInTheDocument();
    expect(within(card).getByTestId('column-distinct')).toHaveTextContent('≈ 42 distinct');
  });

  it('says a task past its commit point can no longer be cancelled, and offers no cancel', async () => {
    const task = makeTask({ status: 'ingesting', committed_at: '2024-01-01T00:49:05Z' });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);

    expect(await screen.findByTestId('task-committed')).toHaveTextContent(
      /Committed at 2024-01-01 00:49:05 UTC.*can no longer be cancelled/,
    );
    expect(screen.queryByRole('button', { name: 'Cancel task' })).not.toBeInTheDocument();
  });

  it('offers cancel before the commit point', async () => {
    const task = makeTask({ status: 'ingesting', committed_at: null });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);

    expect(await screen.findByRole('button', { name: 'Cancel task' })).toBeInTheDocument();
    expect(screen.queryByTestId('task-committed')).not.toBeInTheDocument();
  });

  it('says that cancelling an ingesting task may wait up to 30 s for Druid', async () => {
    const { default: userEvent } = await import('@testing-library/user-event');
    const task = makeTask({ status: 'ingesting', committed_at: null });
    stubFetch(() => ({ body: task }));
    const user = userEvent.setup();
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await user.click(await screen.findByRole('button', { name: 'Cancel task' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('cancel-druid-wait')).toHaveTextContent('up to 30 seconds');
  });

  it('shows the task error with its hint', async () => {
    const task = makeTask({
      status: 'failed',
      row_count: null,
      error: { code: 'no_rows', message: 'The file has no data rows.', hint: 'Check the header line.' },
    });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    const error = await screen.findByTestId('task-error');
    expect(error).toHaveTextContent('The file has no data rows.');
    expect(error).toHaveTextContent('Hint: Check the header line.');
    expect(error).toHaveTextContent('no_rows');
  });

  it('shows a duplicate-upload warning with a link to the earlier task', async () => {
    const earlier = '00000000-0000-4000-8000-00000000beef';
    const task = makeTask({
      warnings: [
        {
          code: 'duplicate_upload',
          message: `the same file was already uploaded to sales by task ${earlier}`,
          // The schema types `details` as an open object.
          details: { earlier_task_id: earlier, hint: 'Cancel it if it was a mistake.' } as unknown as WarningDetails,
        },
      ],
    });
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    const warning = await screen.findByTestId('task-warning');
    expect(warning).toHaveAttribute('data-code', 'duplicate_upload');
    expect(warning).toHaveTextContent('already uploaded');
    expect(warning).toHaveTextContent('Hint: Cancel it if it was a mistake.');
    expect(within(warning).getByRole('link', { name: earlier })).toHaveAttribute('href', `/tasks/${earlier}`);
  });

  it('shows no warning when there is none', async () => {
    const task = makeTask();
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await screen.findByTestId('task-detail');
    expect(screen.queryByTestId('task-warning')).not.toBeInTheDocument();
  });

  it('explains an unknown task id', async () => {
    stubFetch(() => ({ status: 404, body: { error: { code: 'task_not_found', message: 'No task has this id.' } } }));
    renderWithProviders(<TaskDetail taskId="nope" />);
    expect(await screen.findByRole('alert')).toHaveTextContent('No task has this id.');
  });
});

describe('TaskDetail cancel', () => {
  it('cancels a running task after confirmation', async () => {
    const { default: userEvent } = await import('@testing-library/user-event');
    let task = makeTask({ status: 'ingesting', row_count: null });
    const fetchMock = stubFetch((url) => {
      if (url.pathname.endsWith('/cancel')) {
        task = { ...task, status: 'cancelled' };
        return { body: task };
      }
      return { body: task };
    });
    const user = userEvent.setup();
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await user.click(await screen.findByRole('button', { name: 'Cancel task' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel task' }));
    await waitFor(() => expect(screen.getByTestId('task-detail')).toHaveAttribute('data-status', 'cancelled'));
    const cancelCall = fetchMock.mock.calls.find(([u]) => String(u).endsWith('/cancel'));
    expect(cancelCall?.[1]).toMatchObject({ method: 'POST' });
    expect(screen.queryByRole('button', { name: 'Cancel task' })).not.toBeInTheDocument();
  });
});

describe('TaskDetail run again', () => {
  it('queues a failed task again and follows it', async () => {
    const { default: userEvent } = await import('@testing-library/user-event');
    let task = makeTask({
      status: 'failed',
      row_count: null,
      error: { code: 'druid_cannot_read_input', message: 'Druid could not read the file.', hint: 'Check druid_s3_endpoint_url.' },
    });
    const fetchMock = stubFetch((url) => {
      if (url.pathname.endsWith('/retry')) {
        task = { ...task, status: 'queued', error: null, retries: 1 };
        return { status: 202, body: task };
      }
      return { body: task };
    });
    const user = userEvent.setup();
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await user.click(await screen.findByRole('button', { name: 'Run again' }));
    await waitFor(() => expect(screen.getByTestId('task-detail')).toHaveAttribute('data-status', 'queued'));
    const retryCall = fetchMock.mock.calls.find(([u]) => String(u).endsWith('/retry'));
    expect(retryCall?.[1]).toMatchObject({ method: 'POST' });
    expect(screen.queryByRole('button', { name: 'Run again' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('task-error')).not.toBeInTheDocument();
    expect(screen.getByTestId('task-runs')).toHaveTextContent('run 2');
  });

  it('says why a task cannot run again', async () => {
    const { default: userEvent } = await import('@testing-library/user-event');
    const task = makeTask({ status: 'failed', row_count: null });
    stubFetch((url) =>
      url.pathname.endsWith('/retry')
        ? { status: 409, body: { error: { code: 'upload_gone', message: 'The uploaded file is no longer stored; upload it again.' } } }
        : { body: task },
    );
    const user = userEvent.setup();
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await user.click(await screen.findByRole('button', { name: 'Run again' }));
    expect(await screen.findByText(/no longer stored/)).toBeInTheDocument();
  });

  it('offers no retry for a task that succeeded', async () => {
    const task = makeTask();
    stubFetch(() => ({ body: task }));
    renderWithProviders(<TaskDetail taskId={task.task_id} />);
    await screen.findByTestId('task-detail');
    expect(screen.queryByRole('button', { name: 'Run again' })).not.toBeInTheDocument();
  });
});
