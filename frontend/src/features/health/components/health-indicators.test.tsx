import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { HealthIndicators } from './health-indicators';

describe('HealthIndicators', () => {
  it('shows one indicator per check and the error on click (503 body)', async () => {
    stubFetch(() => ({
      status: 503,
      body: {
        status: 'degraded',
        version: '0.1.0',
        checks: [
          { name: 'database', ok: true, latency_ms: 1.5, error: null, required: true, backend: 'sqlite' },
          { name: 'object_store', ok: true, latency_ms: 0.2, error: null, required: true, backend: 'local' },
          { name: 'druid', ok: false, latency_ms: null, error: 'connection refused', required: true, backend: 'druid' },
        ],
      },
    }));
    const user = userEvent.setup();
    renderWithProviders(<HealthIndicators />);
    expect(await screen.findByTestId('health-database')).toHaveAttribute('data-ok', 'true');
    expect(screen.getByTestId('health-object_store')).toHaveAttribute('data-ok', 'true');
    const druid = screen.getByTestId('health-druid');
    expect(druid).toHaveAttribute('data-ok', 'false');
    expect(druid).toHaveAccessibleName(/Druid \(druid\) is down: connection refused/);

    await user.click(druid);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Druid: down');
    expect(dialog).toHaveTextContent('connection refused');
  });

  it('says when the API itself is unreachable', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    renderWithProviders(<HealthIndicators />);
    expect(await screen.findByTestId('health-api')).toHaveAccessibleName(/API unreachable: Could not reach the server/);
  });
});
