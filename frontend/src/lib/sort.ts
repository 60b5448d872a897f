export type SortDirection = 'asc' | 'desc';
export type Sort<K extends string> = { key: K; direction: SortDirection };
export type SortValue = string | number | null | undefined;

/** Rows ordered by one key; missing values go last in either direction; text compares naturally ("a2" < "a10"). */
export function sortRows<T, K extends string>(rows: readonly T[], sort: Sort<K>, value: (row: T, key: K) => SortValue): T[] {
  const factor = sort.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * factor;
    return String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: 'base' }) * factor;
  });
}

/** Clicking the sorted column flips it; another column starts in its natural direction. */
export function nextSort<K extends string>(current: Sort<K>, key: K, firstDirection: SortDirection = 'asc'): Sort<K> {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { key, direction: firstDirection };
}
