import { screen } from '@testing-library/react';
import { renderWithProviders, stubFetch } from '@/testing/test-utils';
import { ActivityCharts } from './activity-charts';

describe('ActivityCharts', () => {
  it('shows empty states before anything has finished', async () => {
    const fetchMock = stubFetch(() => ({ body: { tasks: [], total: 0, limit: 500, offset: 0 } }));
    renderWithProviders(<ActivityCharts />);
    expect(await screen.findAllByText('No finished uploads yet')).toHaveLength(2);
    expect(screen.getByText('No finished stages yet')).toBeInTheDocument();
    expect(new URL(String(fetchMock.mock.calls[0]?.[0]), 'http://localhost').searchParams.get('limit')).toBe('500');
  });
});
