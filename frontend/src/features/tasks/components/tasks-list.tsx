import RefreshIcon from '@mui/icons-material/Refresh';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useNow } from '@/hooks/use-now';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Link } from '@/components/ui/link';
import { Loading } from '@/components/ui/loading';
import { SortableHeadCell } from '@/components/ui/sortable-head-cell';
import { StatusChip } from '@/components/ui/status-chip';
import { paths } from '@/config/paths';
import { TASK_STATUSES, type TaskStatus, type TaskSummary } from '@/lib/api/types';
import { formatBytes, formatDateTime, formatDuration, formatNumber, formatRelative } from '@/lib/format';
import { nextSort, type Sort } from '@/lib/sort';
import { useTimeZoneMode } from '@/lib/time-zone';
import { TASK_SORT_KEYS, useTasks, type TaskSortKey } from '../api/get-tasks';
import { taskDurationMs } from '../utils/stages';
import { ConfirmReplace } from './confirm-replace';
import { StageProgress } from './stage-progress';

const hideOnPhone = { display: { xs: 'none', md: 'table-cell' } } as const;

function RowsCell({ task }: { task: TaskSummary }) {
  if (task.row_count === null) return <>—</>;
  return (
    <>
      {formatNumber(task.row_count)}
      {task.rejected_row_count ? (
        <Typography component="span" variant="caption" color="warning.main" sx={{ ml: 0.5, display: { xs: 'none', md: 'inline' } }}>
          ({formatNumber(task.rejected_row_count)} rejected)
        </Typography>
      ) : null}
    </>
  );
}

function isTaskStatus(s: string | null): s is TaskStatus {
  return s !== null && (TASK_STATUSES as readonly string[]).includes(s);
}

const NEWEST_FIRST: Sort<TaskSortKey> = { key: 'created_at', direction: 'desc' };
// Names and statuses read best A→Z; numbers and times largest/newest first.
const firstDirection = (key: TaskSortKey) => (key === 'file_name' || key === 'datasource' || key === 'status' ? 'asc' : 'desc');

/** The sort in the URL (`?sort=row_count&order=asc`), so a sorted list can be shared; newest first otherwise. */
function sortFromParams(params: URLSearchParams): Sort<TaskSortKey> {
  const key = TASK_SORT_KEYS.find((k) => k === params.get('sort'));
  if (!key) return NEWEST_FIRST;
  const order = params.get('order');
  return { key, direction: order === 'asc' || order === 'desc' ? order : firstDirection(key) };
}

/** Live list of tasks, newest first unless sorted by a column header; filterable by status and datasource. */
export function TasksList({ pageSize = 20 }: { pageSize?: number }) {
  const zone = useTimeZoneMode();
  const [params, setParams] = useSearchParams();
  const statusParam = params.get('status');
  const status: TaskStatus | '' = isTaskStatus(statusParam) ? statusParam : '';
  const datasource = params.get('datasource') ?? '';
  const sort = sortFromParams(params);
  const [page, setPage] = useState(0);
  const [datasourceDraft, setDatasourceDraft] = useState(datasource);
  // A link to another datasource changes the URL under a mounted list: follow it in the field.
  const [shownParam, setShownParam] = useState(datasource);
  if (shownParam !== datasource) {
    setShownParam(datasource);
    setDatasourceDraft(datasource);
  }

  const now = useNow(5000);
  const query = useTasks({ status, datasource, sort: sort.key, order: sort.direction, limit: pageSize, offset: page * pageSize });

  const setParam = (changes: Record<string, string>) => {
    setPage(0);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
  };
  const onSort = (key: TaskSortKey) => {
    const chosen = nextSort(sort, key, firstDirection(key));
    const isDefault = chosen.key === NEWEST_FIRST.key && chosen.direction === NEWEST_FIRST.direction;
    setParam({ sort: isDefault ? '' : chosen.key, order: isDefault ? '' : chosen.direction });
  };
  const head = (key: TaskSortKey, label: string, extra: { align?: 'right'; phone?: boolean } = {}) => (
    <SortableHeadCell column={key} sort={sort} onSort={onSort} align={extra.align} sx={extra.phone ? undefined : hideOnPhone}>
      {label}
    </SortableHeadCell>
  );

  const tasks = query.data?.tasks ?? [];
  const filtered = status !== '' || datasource !== '';

  return (
    <Stack spacing={2}>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'center' } }}>
        <TextField
          select
          size="small"
          label="Status"
          value={status}
          onChange={(e) => setParam({ status: e.target.value })}
          sx={{ minWidth: 160 }}
          slotProps={{ inputLabel: { shrink: true }, select: { displayEmpty: true, inputProps: { 'data-testid': 'status-filter' } } }}
        >
          <MenuItem value="">All statuses</MenuItem>
          {TASK_STATUSES.map((s) => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          label="Datasource"
          value={datasourceDraft}
          onChange={(e) => setDatasourceDraft(e.target.value)}
          onBlur={() => setParam({ datasource: datasourceDraft.trim() })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') setParam({ datasource: datasourceDraft.trim() });
          }}
          placeholder="any"
          slotProps={{ inputLabel: { shrink: true } }}
          sx={{ minWidth: 200 }}
        />
        <Box sx={{ flex: 1 }} />
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <Typography variant="caption" color="text.secondary" aria-live="polite">
            {query.data ? `${formatNumber(query.data.total)} task${query.data.total === 1 ? '' : 's'}` : ''}
          </Typography>
          <Tooltip title="Refresh now">
            <IconButton aria-label="Refresh tasks" onClick={() => void query.refetch()} size="small">
              <RefreshIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Stack>
      </Stack>

      {query.isPending ? (
        <Loading label="Loading tasks…" />
      ) : query.isError && !query.data ? (
        <ErrorAlert error={query.error} title="Could not load tasks" />
      ) : tasks.length === 0 ? (
        <EmptyState title={filtered ? 'No tasks match these filters' : 'No uploads yet'}>
          {filtered ? 'Clear the filters to see every task.' : 'Upload a file above and its task shows up here.'}
        </EmptyState>
      ) : (
        <Box>
          <Box sx={{ height: 4 }}>{query.isFetching && <LinearProgress aria-label="Refreshing tasks" />}</Box>
          {query.isError && <ErrorAlert error={query.error} title="Refresh failed; showing the last known list" />}
          <TableContainer sx={{ overflowX: 'auto' }}>
            <Table
              size="small"
              aria-label="Tasks"
              data-testid="tasks-table"
              sx={{ '& td, & th': { px: { xs: 0.75, sm: 2 } } }}
            >
              <TableHead>
                <TableRow>
                  {head('status', 'Status', { phone: true })}
                  {head('file_name', 'File', { phone: true })}
                  {head('datasource', 'Datasource')}
                  {head('row_count', 'Rows', { align: 'right', phone: true })}
                  {head('size_bytes', 'Size', { align: 'right' })}
                  <TableCell align="right" sx={hideOnPhone}>
                    Took
                  </TableCell>
                  {head('created_at', 'Created', { align: 'right' })}
                </TableRow>
              </TableHead>
              <TableBody>
                {tasks.map((task) => (
                  <TableRow key={task.task_id} hover data-testid="task-row" data-task-id={task.task_id} data-status={task.status}>
                    <TableCell>
                      <StatusChip status={task.status} />
                    </TableCell>
                    <TableCell sx={{ maxWidth: { xs: 130, md: 260 } }}>
                      <Link
                        to={paths.task.href(task.task_id)}
                        sx={{ display: 'block', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
                        title={task.file_name}
                      >
                        {task.file_name}
                      </Link>
                      <Typography variant="caption" color="text.secondary" sx={{ display: { md: 'none' } }}>
                        <Link to={paths.datasource.href(task.datasource)} color="inherit">
                          {task.datasource}
                        </Link>{' '}
                        · {formatRelative(task.created_at, now)}
                      </Typography>
                      {task.schema_drifted ? (
                        <Chip size="small" variant="outlined" color="warning" label="schema changed" data-testid="task-schema-drifted" sx={{ mt: 0.5 }} />
                      ) : null}
                      <ConfirmReplace task={task} compact />
                      <StageProgress status={task.status} progress={task.progress} compact />
                    </TableCell>
                    <TableCell sx={hideOnPhone}>
                      <Link to={paths.datasource.href(task.datasource)} title={`Datasource ${task.datasource}`}>
                        {task.datasource}
                      </Link>
                    </TableCell>
                    <TableCell align="right" data-testid="task-rows">
                      <RowsCell task={task} />
                    </TableCell>
                    <TableCell align="right" sx={hideOnPhone}>
                      {formatBytes(task.size_bytes)}
                    </TableCell>
                    <TableCell align="right" sx={hideOnPhone}>
                      {formatDuration(taskDurationMs(task, now))}
                    </TableCell>
                    <TableCell align="right" title={formatDateTime(task.created_at, zone, { seconds: true })} sx={{ ...hideOnPhone, whiteSpace: 'nowrap' }}>
                      {formatRelative(task.created_at, now)}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
          <TablePagination
            component="div"
            count={query.data?.total ?? 0}
            page={page}
            rowsPerPage={pageSize}
            rowsPerPageOptions={[pageSize]}
            onPageChange={(_, p) => setPage(p)}
          />
        </Box>
      )}
    </Stack>
  );
}
