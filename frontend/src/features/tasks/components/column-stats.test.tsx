import { screen, within } from '@testing-library/react';
import type { ColumnProfile } from '@/lib/api/types';
import { renderWithProviders } from '@/testing/test-utils';
import { shortNumber } from '../utils/short-number';
import { ColumnStatsGrid } from './column-stats';

const amount: ColumnProfile = {
  name: 'amount',
  type: 'long',
  null_count: 0,
  min: '0',
  max: '299',
  stats: {
    distinct_estimate: 300,
    null_ratio: 0,
    top_values_exact: false,
    histogram: [
      { lower: 0, upper: 20, count: 20 },
      { lower: 20, upper: 40, count: 0 },
      { lower: 40, upper: 60, count: 80 },
    ],
  },
};

const city: ColumnProfile = {
  name: 'city',
  type: 'string',
  null_count: 75,
  min: 'Lima',
  max: 'Paris',
  stats: {
    distinct_estimate: 3,
    null_ratio: 0.25,
    top_values: [
      { value: 'Paris', count: 100 },
      { value: 'Oslo', count: 50 },
    ],
    top_values_exact: true,
  },
};

describe('ColumnStatsGrid', () => {
  it('draws a histogram for numbers, bars in proportion, with their ranges', () => {
    renderWithProviders(<ColumnStatsGrid columns={[amount]} />);
    const card = screen.getByTestId('column-stats');
    expect(within(card).getByTestId('column-distinct')).toHaveTextContent('≈ 300 distinct');
    const chart = within(card).getByRole('img', { name: /Histogram of amount: 3 bars from 0 to 60/ });
    const bars = chart.querySelectorAll('rect');
    expect([...bars].map((b) => b.getAttribute('data-count'))).toEqual(['20', '0', '80']);
    const heights = [...bars].map((b) => Number(b.getAttribute('height')));
    expect(heights[2]).toBeGreaterThan(heights[0] ?? Infinity);
    expect(heights[1]).toBe(0);
    expect(bars[2]?.querySelector('title')).toHaveTextContent('40 to 60: 80');
    expect(within(card).queryByTestId('column-top-values')).not.toBeInTheDocument();
  });

  it('lists top values of strings with counts and the share of nulls', () => {
    renderWithProviders(<ColumnStatsGrid columns={[city]} />);
    const card = screen.getByTestId('column-stats');
    const top = within(card).getByRole('list', { name: 'Most frequent values of city' });
    const items = within(top).getAllByRole('listitem');
    expect(items.map((i) => i.textContent)).toEqual(['Paris100', 'Oslo50']);
    expect(within(card).getByTestId('column-nulls')).toHaveTextContent('25 % null');
    expect(within(card).getByRole('meter', { name: 'Share of nulls in city' })).toHaveAttribute('aria-valuenow', '25');
    expect(within(card).queryByRole('img')).not.toBeInTheDocument();
  });

  it('marks approximate top-value counts as upper bounds', () => {
    const approx: ColumnProfile = { ...city, stats: { ...city.stats!, top_values_exact: false } };
    renderWithProviders(<ColumnStatsGrid columns={[approx]} />);
    expect(screen.getByText('≤ 100')).toBeInTheDocument();
  });

  it('shows nothing for reports from before column statistics', () => {
    const { container } = renderWithProviders(<ColumnStatsGrid columns={[{ ...city, stats: undefined }]} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('shortens large numbers for the range labels', () => {
    expect(shortNumber(12_500)).toBe('12.5k');
    expect(shortNumber(-3_000_000)).toBe('-3M');
    expect(shortNumber(0.125)).toBe('0.125');
  });
});
