import type { ColumnType } from '@/lib/api/types';

/** A datasource's column as the sink reports it (Druid's type names lowercased). */
export type StoredColumn = { name: string; type: string };

export type Drift = {
  /** In the file, not in the datasource. */
  added: string[];
  /** In the datasource, not in the file. */
  missing: string[];
  /** In both, stored as another type than the file's would be. */
  changed: { name: string; file: ColumnType; stored: string }[];
};

/** Written by the service itself, never a file's column: `__time` (row time) and the Druid lineage column. */
const SERVICE_COLUMNS = new Set(['__time', 'ingest_task_id']);

/**
 * The type a file's column would be stored as: Druid keeps booleans as strings and reports
 * floats as `float`, so those count as the same type.
 */
function sameType(file: ColumnType, stored: string): boolean {
  const s = stored.toLowerCase();
  if (file === 'double') return s === 'double' || s === 'float';
  if (file === 'boolean') return s === 'boolean' || s === 'string';
  return file === s;
}

/**
 * How a file's columns differ from an existing datasource's, before upload. The file's time
 * column becomes `__time`, so it is left out; so are the service's own columns.
 */
export function compareColumns(
  file: readonly { name: string; type: ColumnType }[],
  timeColumn: string | null,
  stored: readonly StoredColumn[],
): Drift {
  const own = file.filter((c) => c.name !== timeColumn);
  const theirs = stored.filter((c) => !SERVICE_COLUMNS.has(c.name));
  const byName = new Map(theirs.map((c) => [c.name, c.type]));
  const names = new Set(own.map((c) => c.name));
  return {
    added: own.filter((c) => !byName.has(c.name)).map((c) => c.name),
    missing: theirs.filter((c) => !names.has(c.name)).map((c) => c.name),
    changed: own.flatMap((c) => {
      const s = byName.get(c.name);
      return s !== undefined && !sameType(c.type, s) ? [{ name: c.name, file: c.type, stored: s }] : [];
    }),
  };
}

export const hasDrift = (d: Drift) => d.added.length + d.missing.length + d.changed.length > 0;
