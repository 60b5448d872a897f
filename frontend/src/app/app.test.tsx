import { ThemeProvider, createTheme } from '@mui/material/styles';
import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { RouterProvider, createMemoryRouter } from 'react-router';
import { makeTask } from '@/testing/fixtures';
import { makeTestQueryClient, stubFetch } from '@/testing/test-utils';
import { routes } from './routes';

function renderAt(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return render(
    <QueryClientProvider client={makeTestQueryClient()}>
      <ThemeProvider theme={createTheme()}>
        <RouterProvider router={router} />
      </ThemeProvider>
    </QueryClientProvider>,
  );
}

const task = makeTask();

beforeEach(() => {
  stubFetch((url) => {
    switch (url.pathname) {
      case '/api/health':
        return {
          body: {
            status: 'ok',
            version: '0.1.0',
            checks: [
              { name: 'database', ok: true, latency_ms: 1, error: null, required: true, backend: 'sqlite' },
              { name: 'object_store', ok: true, latency_ms: 1, error: null, required: true, backend: 'local' },
              { name: 'local_sink', ok: true, latency_ms: 1, error: null, required: true, backend: 'parquet' },
            ],
          },
        };
      case '/api/ingest/tasks':
        return { body: { tasks: [task], total: 1, limit: 20, offset: 0 } };
      case `/api/ingest/status/${task.task_id}`:
        return { body: task };
      case '/api/datasources':
        return { body: { datasources: [] } };
      default:
        return undefined;
    }
  });
});

describe('app', () => {
  it.each([
    ['/', 'Upload files'],
    [`/tasks/${task.task_id}`, task.file_name],
    ['/datasources', 'Datasources'],
    ['/no/such/page', 'Page not found'],
  ])('shows the connection status and navigation on %s', async (path, heading) => {
    renderAt(path);
    expect(await screen.findByRole('heading', { name: heading })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent)).toEqual(['Ingest', 'Activity', 'Datasources']);
    for (const check of ['database', 'object_store', 'local_sink']) {
      expect(await screen.findByTestId(`health-${check}`)).toHaveAttribute('data-ok', 'true');
    }
  });
});
