import Box from '@mui/material/Box';
import type { Datasource, IngestMode } from '@/lib/api/types';
import { datasourceNameProblem } from '@/lib/datasource-name';
import { formatNumber, formatTimeRange } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';

type Props = { name: string; mode: IngestMode; existing: readonly Datasource[] };

/** Says whether a name makes a new datasource or goes into an existing one (with its rows and time range). */
export function DatasourceCue({ name, mode, existing }: Props) {
  const zone = useTimeZoneMode();
  if (name === '' || datasourceNameProblem(name) !== null) return null;
  const found = existing.find((ds) => ds.name === name);
  if (!found) {
    return (
      <Box component="span" data-testid="datasource-cue" data-kind="new">
        New datasource
      </Box>
    );
  }
  const what = mode === 'append' ? 'Appends to existing' : 'Replaces data in existing';
  return (
    <Box component="span" data-testid="datasource-cue" data-kind="existing">
      <strong>
        {what} ({formatNumber(found.row_count)} rows)
      </strong>
      {found.min_time || found.max_time ? ` · ${formatTimeRange(found.min_time, found.max_time, zone)}` : ''}
    </Box>
  );
}
