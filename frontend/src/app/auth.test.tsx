// The token flow through the whole app: a server that wants a token, the dialog,
// the token kept in sessionStorage and sent as a bearer token, what a read token
// hides, and signing out.
import { ThemeProvider, createTheme } from '@mui/material/styles';
import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { RouterProvider, createMemoryRouter } from 'react-router';
import { bearerOf } from '@/lib/api/api';
import { makeTask } from '@/testing/fixtures';
import { makeTestQueryClient, stubFetch } from '@/testing/test-utils';
import { routes } from './routes';

const TOKENS = {
  ing_write: { name: 'ci', scope: 'write' },
  ing_read: { name: 'viewer', scope: 'read' },
} as const;

const failed = makeTask({ status: 'failed', error: { code: 'druid_down', message: 'Druid did not answer.', hint: null } });
const running = makeTask({ status: 'ingesting', row_count: null });

const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'This server needs an API token.', details: { hint: 'Send Authorization: Bearer …' } } } };

/** A server that answers only to the tokens above. */
function stubServer() {
  return stubFetch(
    (url, request) => {
      const token = bearerOf(request.headers);
      const who = token && token in TOKENS ? TOKENS[token as keyof typeof TOKENS] : null;
      if (!who) return unauthorized;
      switch (url.pathname) {
        case '/api/auth/whoami':
          return { body: { auth: 'token', ...who } };
        case '/api/health':
          return { body: { status: 'ok', version: '0.1.0', checks: [] } };
        case '/api/ingest/tasks':
          return { body: { tasks: [failed, running], total: 2, limit: 20, offset: 0 } };
        case `/api/ingest/status/${failed.task_id}`:
          return { body: failed };
        case `/api/ingest/status/${running.task_id}`:
          return { body: running };
        default:
          return undefined;
      }
    },
    { whoami: null },
  );
}

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

async function signIn(token: string) {
  const user = userEvent.setup();
  const dialog = await screen.findByRole('dialog', { name: 'Sign in with an API token' });
  // The field has the focus, so the keyboard alone signs in.
  expect(within(dialog).getByLabelText('API token')).toHaveFocus();
  await user.keyboard(`${token}{Enter}`);
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  return user;
}

describe('signing in with a token', () => {
  it('asks on 401, keeps the token in sessionStorage and sends it with every request', async () => {
    const fetchMock = stubServer();
    renderAt('/');
    const dialog = await screen.findByRole('dialog', { name: 'Sign in with an API token' });
    expect(dialog).toHaveTextContent('ingest token create --name YOUR_NAME --scope write');

    await signIn('ing_write');
    expect(sessionStorage.getItem('ingest.api-token')).toBe('ing_write');
    expect(localStorage.length).toBe(0);
    expect(await screen.findByTestId('auth-status')).toHaveAttribute('data-scope', 'write');
    expect(screen.getByTestId('auth-status')).toHaveTextContent('ci · write');
    // The upload panel is offered to a write token.
    expect(await screen.findByRole('button', { name: /choose files/i })).toBeInTheDocument();

    await screen.findByText(failed.file_name);
    // From the token being tried on, every request carries it, in a header and never in a URL.
    const calls = fetchMock.mock.calls;
    const first = calls.findIndex(([, init]) => bearerOf(init.headers) === 'ing_write');
    const after = calls.slice(first);
    expect(after.map(([url]) => new URL(url).pathname)).toEqual(
      expect.arrayContaining(['/api/auth/whoami', '/api/ingest/tasks', '/api/health']),
    );
    for (const [url, init] of after) {
      expect(bearerOf(init.headers)).toBe('ing_write');
      expect(url).not.toContain('ing_write');
    }
  });

  it('refuses a wrong token in the dialog and keeps asking', async () => {
    stubServer();
    renderAt('/');
    await screen.findByRole('dialog');
    const user = userEvent.setup();
    await user.keyboard('ing_typo{Enter}');
    expect(await screen.findByText(/refused this token/)).toBeInTheDocument();
    expect(sessionStorage.length).toBe(0);
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('hides upload, cancel and run again from a read token', async () => {
    stubServer();
    renderAt('/');
    await signIn('ing_read');
    expect(await screen.findByTestId('upload-not-allowed')).toHaveTextContent('needs a token with the write scope');
    expect(screen.queryByRole('button', { name: /choose files/i })).not.toBeInTheDocument();
    expect(screen.getByTestId('auth-status')).toHaveAttribute('data-scope', 'read');
  });

  it('shows no cancel or run-again buttons on task pages to a read token', async () => {
    sessionStorage.setItem('ingest.api-token', 'ing_read');
    const { resetAuthForTests } = await import('@/lib/auth/token');
    resetAuthForTests();
    stubServer();
    renderAt(`/tasks/${failed.task_id}`);
    expect(await screen.findByTestId('task-detail')).toHaveAttribute('data-status', 'failed');
    await screen.findByTestId('auth-status');
    expect(screen.queryByRole('button', { name: 'Run again' })).not.toBeInTheDocument();
  });

  it('offers cancel and run again to a write token', async () => {
    sessionStorage.setItem('ingest.api-token', 'ing_write');
    const { resetAuthForTests } = await import('@/lib/auth/token');
    resetAuthForTests();
    stubServer();
    const { unmount } = renderAt(`/tasks/${failed.task_id}`);
    expect(await screen.findByRole('button', { name: 'Run again' })).toBeInTheDocument();
    unmount();
    renderAt(`/tasks/${running.task_id}`);
    expect(await screen.findByRole('button', { name: 'Cancel task' })).toBeInTheDocument();
  });

  it('signs out: forgets the token and asks again', async () => {
    stubServer();
    renderAt('/');
    const user = await signIn('ing_write');
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(sessionStorage.getItem('ingest.api-token')).toBeNull();
    expect(await screen.findByRole('dialog', { name: 'Sign in with an API token' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /choose files/i })).not.toBeInTheDocument();
  });

  it('"Not now" closes the dialog until "Sign in" is chosen, though requests keep answering 401', async () => {
    const fetchMock = stubServer();
    renderAt('/');
    const user = userEvent.setup();
    await screen.findByRole('dialog');
    await user.click(screen.getByRole('button', { name: 'Not now' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('upload-not-allowed')).toHaveTextContent('Sign in with an API token');
    // Another page's requests are refused too; the dialog stays closed and the page says why.
    await user.click(screen.getByRole('link', { name: 'Datasources' }));
    await screen.findByRole('heading', { name: 'Datasources' });
    await waitFor(() => expect(fetchMock.mock.calls.some(([url]) => new URL(url).pathname === '/api/datasources')).toBe(true));
    expect(await screen.findByText('This server needs an API token.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('dialog', { name: 'Sign in with an API token' })).toBeInTheDocument();
  });

  it('shows open access when the server has no token configured', async () => {
    stubFetch((url) =>
      url.pathname === '/api/health'
        ? { body: { status: 'ok', version: '0.1.0', checks: [] } }
        : { body: { tasks: [], total: 0, limit: 20, offset: 0 } },
    );
    renderAt('/');
    expect(await screen.findByTestId('auth-status')).toHaveAttribute('data-auth', 'open');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
  });
});
