import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { DatasourceTimeseriesChart } from './datasource-timeseries-chart';

describe('DatasourceTimeseriesChart', () => {
  it('picks the bucket size from the time range, says it, and lets the user choose another', async () => {
    const asked: string[] = [];
    stubFetch((url) => {
      if (url.pathname !== '/api/datasources/sales/timeseries') return undefined;
      const granularity = url.searchParams.get('granularity') ?? '';
      asked.push(granularity);
      return { body: { datasource: 'sales', granularity, points: [{ time: '2017-01-01T00:00:00Z', rows: 3 }] } };
    });
    renderWithProviders(<DatasourceTimeseriesChart name="sales" minTime="2017-01-01T00:00:00Z" maxTime="2026-01-01T00:00:00Z" />);

    expect(await screen.findByTestId('chart-datasource')).toBeInTheDocument();
    expect(asked).toEqual(['month']);
    expect(screen.getByTestId('chart-bucket-note')).toHaveTextContent(
      'One point per month (chosen for the time range); months without rows are drawn at 0.',
    );
    // Hourly over nine years would be ~80,000 buckets: not offered.
    expect(screen.getByRole('button', { name: 'Hour' })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Week' }));
    expect(await screen.findByText(/One point per week;/)).toBeInTheDocument();
    expect(asked).toContain('week');
  });

  it('has an empty state', async () => {
    stubFetch(() => ({ body: { datasource: 'sales', granularity: 'hour', points: [] } }));
    renderWithProviders(<DatasourceTimeseriesChart name="sales" />);
    expect(await screen.findByText('No rows in this datasource yet')).toBeInTheDocument();
  });
});
