import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Link } from '@/components/ui/link';
import { Loading } from '@/components/ui/loading';
import { SortableHeadCell } from '@/components/ui/sortable-head-cell';
import { StatusChip } from '@/components/ui/status-chip';
import { paths } from '@/config/paths';
import { useNow } from '@/hooks/use-now';
import type { Datasource } from '@/lib/api/types';
import { formatBytes, formatDateTime, formatNumber, formatRelative, formatTimeRange } from '@/lib/format';
import { nextSort, sortRows, type Sort, type SortValue } from '@/lib/sort';
import { useTimeZoneMode } from '@/lib/time-zone';
import { useDatasources } from '../api/get-datasources';

type Column = 'name' | 'rows' | 'size' | 'range' | 'columns' | 'upload' | 'status';

const hideOnPhone = { display: { xs: 'none', md: 'table-cell' } } as const;

function valueOf(ds: Datasource, column: Column): SortValue {
  switch (column) {
    case 'name':
      return ds.name;
    case 'rows':
      return ds.row_count;
    case 'size':
      return ds.size_bytes;
    case 'range':
      return ds.min_time ? Date.parse(ds.min_time) : null;
    case 'columns':
      return ds.column_count;
    case 'upload':
      return ds.last_upload_at ? Date.parse(ds.last_upload_at) : null;
    case 'status':
      return ds.last_task_status;
  }
}

/** Every datasource as a searchable, sortable table; names lead to each datasource's page. */
export function DatasourcesTable() {
  const query = useDatasources();
  const zone = useTimeZoneMode();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort<Column>>({ key: 'name', direction: 'asc' });
  const now = useNow(30_000);
  if (query.isPending) return <Loading label="Loading datasources…" />;
  if (query.isError && !query.data) return <ErrorAlert error={query.error} title="Could not load datasources" />;
  const all = query.data?.datasources ?? [];
  if (all.length === 0) {
    return <EmptyState title="No datasources yet">A datasource appears once a file has been ingested into it.</EmptyState>;
  }
  const needle = search.trim().toLowerCase();
  const shown = sortRows(
    all.filter((ds) => ds.name.toLowerCase().includes(needle)),
    sort,
    valueOf,
  );
  // Numbers and times read best largest/newest first.
  const onSort = (column: Column) => setSort((s) => nextSort(s, column, column === 'name' || column === 'status' ? 'asc' : 'desc'));
  const head = (column: Column, label: string, extra: { align?: 'right'; phone?: boolean } = {}) => (
    <SortableHeadCell column={column} sort={sort} onSort={onSort} align={extra.align} sx={extra.phone ? undefined : hideOnPhone}>
      {label}
    </SortableHeadCell>
  );
  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <TextField
          size="small"
          label="Search datasources"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'datasource-search' } }}
          sx={{ minWidth: 220 }}
        />
        <Typography variant="caption" color="text.secondary" aria-live="polite">
          {shown.length === all.length ? `${all.length} datasources` : `${shown.length} of ${all.length} datasources`}
        </Typography>
      </Stack>
      {shown.length === 0 ? (
        <EmptyState title="No datasource matches">No name contains “{search.trim()}”.</EmptyState>
      ) : (
        <TableContainer sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Datasources" data-testid="datasources-table" sx={{ '& td, & th': { px: { xs: 0.75, sm: 2 } } }}>
            <TableHead>
              <TableRow>
                {head('name', 'Name', { phone: true })}
                {head('rows', 'Rows', { align: 'right', phone: true })}
                {head('size', 'Size', { align: 'right' })}
                {head('range', 'Time range')}
                {head('columns', 'Columns', { align: 'right' })}
                {head('upload', 'Last upload', { align: 'right' })}
                {head('status', 'Last task', { phone: true })}
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map((ds) => (
                <TableRow key={ds.name} hover data-testid="datasource-row" data-name={ds.name}>
                  <TableCell sx={{ maxWidth: { xs: 140, md: 280 }, overflowWrap: 'anywhere' }}>
                    <Link to={paths.datasource.href(ds.name)} sx={{ fontWeight: 600 }}>
                      {ds.name}
                    </Link>
                  </TableCell>
                  <TableCell align="right">{formatNumber(ds.row_count)}</TableCell>
                  <TableCell align="right" sx={hideOnPhone}>
                    {formatBytes(ds.size_bytes)}
                  </TableCell>
                  <TableCell sx={{ ...hideOnPhone, whiteSpace: 'nowrap' }}>{formatTimeRange(ds.min_time, ds.max_time, zone)}</TableCell>
                  <TableCell align="right" sx={hideOnPhone}>
                    {ds.column_count}
                  </TableCell>
                  <TableCell align="right" sx={{ ...hideOnPhone, whiteSpace: 'nowrap' }} title={formatDateTime(ds.last_upload_at, zone)}>
                    {ds.last_upload_at ? formatRelative(ds.last_upload_at, now) : '—'}
                  </TableCell>
                  <TableCell>
                    {ds.last_task_id && ds.last_task_status ? (
                      <Box component="span" title="The newest upload's task">
                        <Link to={paths.task.href(ds.last_task_id)} aria-label={`Last task of ${ds.name}: ${ds.last_task_status}`}>
                          <StatusChip status={ds.last_task_status} />
                        </Link>
                      </Box>
                    ) : (
                      '—'
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
}
