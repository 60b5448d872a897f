import { screen, within } from '@testing-library/react';
import type { SchemaDrift as Drift } from '@/lib/api/types';
import { renderWithProviders } from '@/testing/test-utils';
import { SchemaDrift } from './schema-drift';

const earlier = '00000000-0000-4000-8000-000000000001';

const drifted: Drift = {
  compared_with: earlier,
  drifted: true,
  added: [{ name: 'returned', type: 'boolean' }],
  missing: [{ name: 'region', type: 'string' }],
  type_changed: [{ name: 'amount', was: 'long', now: 'double' }],
  time_column_changed: { was: 'ts', now: null },
  on_schema_change: 'allow',
};

describe('SchemaDrift', () => {
  it('lists every difference of an allowed drift as a warning, linking the upload compared with', () => {
    renderWithProviders(<SchemaDrift drift={drifted} datasource="sales" />);
    const alert = screen.getByTestId('schema-drift');
    expect(alert).toHaveAttribute('data-drifted', 'true');
    expect(alert).toHaveTextContent('The schema differs from the datasource’s');
    expect(within(alert).getByTestId('drift-added')).toHaveTextContent('Added: returned (boolean)');
    expect(within(alert).getByTestId('drift-missing')).toHaveTextContent('Missing: region (string)');
    expect(within(alert).getByTestId('drift-type-changed')).toHaveTextContent('amount: long → double');
    expect(within(alert).getByTestId('drift-time-column-changed')).toHaveTextContent('ts → upload time');
    expect(within(alert).getByRole('link', { name: earlier })).toHaveAttribute('href', `/tasks/${earlier}`);
    expect(alert.className).toMatch(/Warning/);
  });

  it('shows a refused drift as an error', () => {
    renderWithProviders(<SchemaDrift drift={{ ...drifted, on_schema_change: 'fail', added: [], type_changed: [] }} datasource="sales" />);
    const alert = screen.getByTestId('schema-drift');
    expect(alert).toHaveTextContent('Refused: the schema differs');
    expect(alert.className).toMatch(/Error/);
    expect(within(alert).queryByTestId('drift-added')).not.toBeInTheDocument();
  });

  it('says quietly when nothing changed, or when the upload set the schema', () => {
    const { unmount } = renderWithProviders(
      <SchemaDrift drift={{ ...drifted, drifted: false, added: [], missing: [], type_changed: [], time_column_changed: null }} datasource="sales" />,
    );
    expect(screen.getByTestId('schema-drift')).toHaveTextContent('Same schema as the datasource');
    unmount();
    renderWithProviders(
      <SchemaDrift
        drift={{ ...drifted, compared_with: null, drifted: false, added: [], missing: [], type_changed: [], time_column_changed: null }}
        datasource="sales"
      />,
    );
    expect(screen.getByTestId('schema-drift')).toHaveTextContent('First upload to sales');
  });

  it('shows nothing before the comparison', () => {
    const { container } = renderWithProviders(<SchemaDrift drift={null} datasource="sales" />);
    expect(container).toBeEmptyDOMElement();
  });
});
