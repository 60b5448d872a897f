import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import type { TaskList } from '@/lib/api/types';
import { makeTaskSummary } from '@/testing/fixtures';
import { makeTestQueryClient, stubFetch } from '@/testing/test-utils';
import { ACTIVE_POLL_MS, IDLE_POLL_MS, tasksPollInterval, useTasks } from './get-tasks';

const list = (...statuses: TaskList['tasks'][number]['status'][]): TaskList => ({
  tasks: statuses.map((status) => makeTaskSummary({ status })),
  total: statuses.length,
  limit: 50,
  offset: 0,
});

describe('tasksPollInterval', () => {
  it('polls every second while any task is queued, validating or ingesting', () => {
    expect(tasksPollInterval(list('succeeded', 'queued'))).toBe(ACTIVE_POLL_MS);
    expect(tasksPollInterval(list('validating'))).toBe(ACTIVE_POLL_MS);
    expect(tasksPollInterval(list('ingesting', 'failed'))).toBe(ACTIVE_POLL_MS);
  });

  it('slows down when everything is finished or nothing is loaded', () => {
    expect(tasksPollInterval(list('succeeded', 'failed', 'cancelled'))).toBe(IDLE_POLL_MS);
    expect(tasksPollInterval(list())).toBe(IDLE_POLL_MS);
    expect(tasksPollInterval(undefined)).toBe(IDLE_POLL_MS);
  });
});

describe('useTasks', () => {
  afterEach(() => vi.useRealTimers());

  it('sends the filters and keeps polling until the task has finished', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const answers = [list('queued'), list('ingesting'), list('succeeded')];
    const fetchMock = stubFetch((url) => {
      if (url.pathname !== '/api/ingest/tasks') return undefined;
      return { body: answers.shift() ?? list('succeeded') };
    });
    const client = makeTestQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
    const { result } = renderHook(() => useTasks({ status: 'queued', datasource: ' sales ', limit: 10 }), { wrapper });

    await waitFor(() => expect(result.current.data?.tasks[0]?.status).toBe('queued'));
    const firstUrl = new URL(String(fetchMock.mock.calls[0]?.[0]), 'http://localhost');
    expect(Object.fromEntries(firstUrl.searchParams)).toEqual({ status: 'queued', datasource: 'sales', limit: '10', offset: '0' });

    await act(() => vi.advanceTimersByTimeAsync(ACTIVE_POLL_MS));
    await waitFor(() => expect(result.current.data?.tasks[0]?.status).toBe('ingesting'));
    await act(() => vi.advanceTimersByTimeAsync(ACTIVE_POLL_MS));
    await waitFor(() => expect(result.current.data?.tasks[0]?.status).toBe('succeeded'));
    const calls = fetchMock.mock.calls.length;

    // Idle: no request within the next few seconds, one after IDLE_POLL_MS.
    await act(() => vi.advanceTimersByTimeAsync(3 * ACTIVE_POLL_MS));
    expect(fetchMock.mock.calls.length).toBe(calls);
    await act(() => vi.advanceTimersByTimeAsync(IDLE_POLL_MS));
    expect(fetchMock.mock.calls.length).toBeGreaterThan(calls);
  });
});
