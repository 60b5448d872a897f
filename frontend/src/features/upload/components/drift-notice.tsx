import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import type { ColumnType, Datasource } from '@/lib/api/types';
import { compareColumns, hasDrift } from '../utils/drift';

type Props = {
  datasource: Datasource;
  /** The file's columns with the types chosen in the preview. */
  columns: readonly { name: string; type: ColumnType }[];
  timeColumn: string | null;
};

const list = (names: readonly string[]) => names.map((n, i) => (
  <span key={n}>
    {i > 0 ? ', ' : ''}
    <code>{n}</code>
  </span>
));

/** Before upload: how the file's columns differ from the existing datasource's (added, missing, type changed). */
export function DriftNotice({ datasource, columns, timeColumn }: Props) {
  const drift = compareColumns(columns, timeColumn, datasource.columns.map((c) => ({ name: c.name, type: c.type })));
  if (!hasDrift(drift)) {
    return (
      <Alert severity="success" data-testid="drift-notice" data-drift="none">
        Same columns and types as <code>{datasource.name}</code>.
      </Alert>
    );
  }
  return (
    <Alert severity="warning" data-testid="drift-notice" data-drift="yes">
      This file’s columns differ from <code>{datasource.name}</code>’s:
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {drift.added.length > 0 && <li data-testid="drift-added">New in the file: {list(drift.added)}</li>}
        {drift.missing.length > 0 && <li data-testid="drift-missing">Not in the file (empty for its rows): {list(drift.missing)}</li>}
        {drift.changed.map((c) => (
          <li key={c.name} data-testid="drift-changed">
            <code>{c.name}</code> is {c.file} in the file, {c.stored} in the datasource
          </li>
        ))}
      </Box>
    </Alert>
  );
}
