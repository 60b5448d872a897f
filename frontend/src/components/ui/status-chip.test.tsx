import { render, screen } from '@testing-library/react';
import { TASK_STATUSES } from '@/lib/api/types';
import { StatusChip } from './status-chip';

describe('StatusChip', () => {
  it.each(TASK_STATUSES)('shows the API word "%s" with an icon', (status) => {
    render(<StatusChip status={status} />);
    const chip = screen.getByTestId('status-chip');
    expect(chip).toHaveTextContent(new RegExp(`^${status}$`));
    expect(chip).toHaveAttribute('data-status', status);
    expect(chip.querySelector('svg')).not.toBeNull();
  });

  it('uses a distinct colour for success and failure', () => {
    const { rerender } = render(<StatusChip status="succeeded" />);
    expect(screen.getByTestId('status-chip').className).toMatch(/colorSuccess/);
    rerender(<StatusChip status="failed" />);
    expect(screen.getByTestId('status-chip').className).toMatch(/colorError/);
  });
});
