import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { Link } from '@/components/ui/link';
import { paths } from '@/config/paths';
import type { SchemaDrift as Drift } from '@/lib/api/types';

const timeName = (name: string | null | undefined) => name ?? 'upload time';

/** One kind of difference as a labelled list; nothing when empty. */
function Differences({ label, items }: { label: string; items: string[] }) {
  if (items.length === 0) return null;
  return (
    <Box component="li" data-testid={`drift-${label.toLowerCase().replace(/\s+/g, '-')}`}>
      <strong>{label}:</strong> {items.join(', ')}
    </Box>
  );
}

/**
 * How this upload's schema compares with its datasource's (our validated types), as decided
 * right before it ingested: a warning when it changed the schema, an error when it was refused
 * for it (`on_schema_change=fail`), a quiet line otherwise.
 */
export function SchemaDrift({ drift, datasource }: { drift: Drift | null | undefined; datasource: string }) {
  if (!drift) return null;
  const earlier = drift.compared_with;
  if (!drift.drifted) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="schema-drift" data-drifted="false">
        {earlier ? (
          <>
            Same schema as the datasource (compared with <Link to={paths.task.href(earlier)}>its last upload</Link>).
          </>
        ) : (
          <>First upload to {datasource}: its schema becomes the datasource’s.</>
        )}
      </Typography>
    );
  }
  const refused = drift.on_schema_change === 'fail';
  return (
    <Alert severity={refused ? 'error' : 'warning'} data-testid="schema-drift" data-drifted="true">
      <AlertTitle>
        {refused ? 'Refused: the schema differs from the datasource’s' : 'The schema differs from the datasource’s'}
      </AlertTitle>
      <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
        <Differences label="Added" items={drift.added.map((c) => `${c.name} (${c.type})`)} />
        <Differences label="Missing" items={drift.missing.map((c) => `${c.name} (${c.type})`)} />
        <Differences label="Type changed" items={drift.type_changed.map((t) => `${t.name}: ${t.was} → ${t.now}`)} />
        <Differences
          label="Time column changed"
          items={drift.time_column_changed ? [`${timeName(drift.time_column_changed.was)} → ${timeName(drift.time_column_changed.now)}`] : []}
        />
      </Box>
      {earlier && (
        <Typography variant="caption" color="text.secondary" component="div">
          Compared with <Link to={paths.task.href(earlier)}>{earlier}</Link>, the datasource’s last upload
          {refused ? '; the upload asked on_schema_change=fail.' : '; allowed (on_schema_change=allow).'}
        </Typography>
      )}
    </Alert>
  );
}
