import { screen, within } from '@testing-library/react';
import { makeTask } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/test-utils';
import { ValidationReport } from './validation-report';

describe('ValidationReport: how the file was read', () => {
  it('shows the encoding with how sure and why, the compression’s sizes and the sheets', () => {
    const report = {
      ...makeTask().validation!,
      encoding: { name: 'UTF-16LE', source: 'bom' as const, confidence: 100, reason: 'the file starts with a UTF-16LE byte order mark' },
      compression: { codec: 'zstd', compressed_bytes: 2048, uncompressed_bytes: 1024 * 1024 },
      sheets: [
        { name: 'Notes', rows: 1, columns: 1, chosen: false },
        { name: 'Sales', rows: 1201, columns: 6, chosen: true },
      ],
    };
    renderWithProviders(<ValidationReport report={report} />);
    const encoding = screen.getByTestId('fact-encoding');
    expect(encoding).toHaveTextContent('UTF-16LE (byte order mark)');
    expect(encoding).toHaveTextContent('starts with a UTF-16LE byte order mark');
    expect(screen.getByTestId('fact-compression')).toHaveTextContent('zstd: 2.0 KiB → 1.0 MiB');
    const sheets = within(screen.getByTestId('fact-sheets')).getAllByRole('listitem');
    expect(sheets.map((li) => li.textContent)).toEqual(['Notes — 1 rows × 1 columns', 'Sales — 1,201 rows × 6 columns (read)']);
  });

  it('shows none of them for a file that had none', () => {
    renderWithProviders(<ValidationReport report={makeTask().validation!} />);
    expect(screen.queryByTestId('file-facts')).not.toBeInTheDocument();
  });
});
