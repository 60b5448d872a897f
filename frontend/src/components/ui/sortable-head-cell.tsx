import TableCell, { type TableCellProps } from '@mui/material/TableCell';
import TableSortLabel from '@mui/material/TableSortLabel';
import type { ReactNode } from 'react';
import type { Sort } from '@/lib/sort';

type Props<K extends string> = {
  column: K;
  sort: Sort<K>;
  onSort: (column: K) => void;
  children: ReactNode;
} & Pick<TableCellProps, 'align' | 'sx'>;

/** A column header that sorts its table; `aria-sort` tells screen readers which column is sorted. */
export function SortableHeadCell<K extends string>({ column, sort, onSort, children, align, sx }: Props<K>) {
  const active = sort.key === column;
  return (
    <TableCell
      align={align}
      sx={sx}
      sortDirection={active ? sort.direction : false}
      aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <TableSortLabel active={active} direction={active ? sort.direction : 'asc'} onClick={() => onSort(column)}>
        {children}
      </TableSortLabel>
    </TableCell>
  );
}
