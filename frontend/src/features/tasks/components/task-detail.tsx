import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { Link as RouterLink } from 'react-router';
import { useNow } from '@/hooks/use-now';
import { ErrorAlert } from '@/components/ui/error-alert';
import { Loading } from '@/components/ui/loading';
import { Section } from '@/components/ui/section';
import { StatusChip } from '@/components/ui/status-chip';
import { statusDescription } from '@/lib/task-status';
import { Link } from '@/components/ui/link';
import { paths } from '@/config/paths';
import { formatBytes, formatDateTime, formatDuration, formatNumber } from '@/lib/format';
import { useTimeZoneMode } from '@/lib/time-zone';
import { useTask } from '../api/get-task';
import { taskDurationMs } from '../utils/stages';
import { CancelTaskButton } from './cancel-task-button';
import { ConfirmReplace } from './confirm-replace';
import { DownloadRejectedRowsButton } from './download-rejected-rows-button';
import { RetryTaskButton } from './retry-task-button';
import { SchemaDrift } from './schema-drift';
import { StageTimeline } from './stage-timeline';
import { TaskWarnings } from './task-warnings';
import { ValidationReport } from './validation-report';
import { StageProgress } from './stage-progress';

function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <Paper variant="outlined" sx={{ p: 2, flex: '1 1 140px', minWidth: 120 }}>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="h6" component="div" data-testid={testId}>
        {value}
      </Typography>
    </Paper>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="caption" color="text.secondary" component="dt">
        {label}
      </Typography>
      <Typography variant="body2" component="dd" sx={{ m: 0, overflowWrap: 'anywhere' }}>
        {children}
      </Typography>
    </Box>
  );
}

const druidColor = (s: string | null | undefined) => (s === 'SUCCESS' ? 'success' : s === 'FAILED' ? 'error' : 'info');

export function TaskDetail({ taskId }: { taskId: string }) {
  const zone = useTimeZoneMode();
  const { data: task, error, isPending } = useTask(taskId);
  const now = useNow();

  const back = (
    <Button component={RouterLink} to={paths.home.href()} startIcon={<ArrowBackIcon />} sx={{ alignSelf: 'flex-start' }}>
      All tasks
    </Button>
  );

  if (isPending) return <Stack spacing={2}>{back}<Loading label="Loading task…" /></Stack>;
  if (!task) {
    return (
      <Stack spacing={2}>
        {back}
        <ErrorAlert error={error} title="Could not load this task" />
      </Stack>
    );
  }

  return (
    <Stack spacing={3} data-testid="task-detail" data-status={task.status}>
      {back}
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'center' } }}>
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <Typography variant="h5" component="h1" sx={{ overflowWrap: 'anywhere' }}>
            {task.file_name}
          </Typography>
          <Typography variant="body2" color="text.secondary">
            into{' '}
            <Link to={paths.datasource.href(task.datasource)} title={`Datasource ${task.datasource}`} sx={{ fontWeight: 600 }}>
              {task.datasource}
            </Link>{' '}
            ({task.mode}) · {statusDescription(task.status)}
            {(task.retries ?? 0) > 0 && <span data-testid="task-runs"> · run {(task.retries ?? 0) + 1}</span>}
          </Typography>
        </Box>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <CancelTaskButton task={task} />
          <RetryTaskButton task={task} />
          {/* Announced to screen readers when the status changes while the page is open. */}
          <Box role="status" aria-live="polite" aria-atomic="true">
            <StatusChip status={task.status} size="medium" />
          </Box>
        </Stack>
      </Stack>

      <StageProgress status={task.status} progress={task.progress} />

      {error && <ErrorAlert error={error} title="Refresh failed; showing the last known state" />}

      {task.committed_at && task.status === 'ingesting' && (
        <Alert severity="info" data-testid="task-committed">
          <AlertTitle>Committed at {formatDateTime(task.committed_at, zone, { seconds: true })}</AlertTitle>
          The rows are in {task.datasource}; the task is finishing its checks. It can no longer be cancelled.
        </Alert>
      )}

      <ConfirmReplace task={task} />

      {task.error && (
        <Alert severity="error" data-testid="task-error">
          <AlertTitle>{task.error.message}</AlertTitle>
          {task.error.hint && (
            <Typography variant="body2">
              <strong>Hint:</strong> {task.error.hint}
            </Typography>
          )}
          <Typography variant="caption" color="text.secondary">
            Error code: <code>{task.error.code}</code>
          </Typography>
        </Alert>
      )}

      <TaskWarnings warnings={task.warnings} />
      <SchemaDrift drift={task.schema_drift} datasource={task.datasource} />

      <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: 'wrap' }}>
        <Stat label="Rows in file" value={formatNumber(task.rows_in)} testId="rows-in" />
        <Stat label="Rows accepted" value={formatNumber(task.row_count)} testId="rows-accepted" />
        <Stat label="Rows rejected" value={formatNumber(task.rejected_row_count)} testId="rows-rejected" />
        <Stat label="Total time" value={formatDuration(taskDurationMs(task, now))} />
      </Stack>
      <DownloadRejectedRowsButton task={task} />

      <Section title="Stages" subtitle="When each stage started and how long it took">
        <StageTimeline stages={task.stages} />
      </Section>

      {task.druid && (
        <Section title="Druid">
          <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', sm: 'repeat(3, 1fr)' }, gap: 2, m: 0 }}>
            <Fact label="Druid task id">
              <code>{task.druid.task_id}</code>
            </Fact>
            <Fact label="Druid status">
              <Chip size="small" label={task.druid.status ?? 'unknown'} color={druidColor(task.druid.status)} />
            </Fact>
            <Fact label="Rows in Druid">{formatNumber(task.druid.rows_in_druid)}</Fact>
            {task.druid.processed !== undefined && task.druid.processed !== null && (
              <Fact label="Rows processed by Druid">{formatNumber(task.druid.processed)}</Fact>
            )}
            {task.druid.unparseable ? <Fact label="Unparseable in Druid">{formatNumber(task.druid.unparseable)}</Fact> : null}
            {task.druid.thrown_away ? <Fact label="Thrown away by Druid">{formatNumber(task.druid.thrown_away)}</Fact> : null}
          </Box>
          {task.druid.error && (
            <Alert severity="error" sx={{ mt: 2 }}>
              {task.druid.error}
            </Alert>
          )}
        </Section>
      )}

      <Section title="Validation report" subtitle="Column types and profile, the time column, and problems by line">
        {task.validation ? (
          <ValidationReport report={task.validation} />
        ) : (
          <Typography variant="body2" color="text.secondary">
            {task.status === 'queued' || task.status === 'validating'
              ? 'The file has not been validated yet.'
              : 'No validation report for this task.'}
          </Typography>
        )}
      </Section>
      <Section title="File">
        <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', sm: 'repeat(3, 1fr)' }, gap: 2, m: 0 }}>
          <Fact label="Task id">
            <code>{task.task_id}</code>
          </Fact>
          <Fact label="Format">{task.format}</Fact>
          {task.timestamp_column ? (
            <Fact label="Requested time column">
              <code>{task.timestamp_column}</code>
            </Fact>
          ) : null}
          <Fact label="Size">{formatBytes(task.size_bytes)}</Fact>
          <Fact label="Created">{formatDateTime(task.created_at, zone, { seconds: true })}</Fact>
          <Fact label="Updated">{formatDateTime(task.updated_at, zone, { seconds: true })}</Fact>
          {task.committed_at ? (
            <Fact label="Committed">{formatDateTime(task.committed_at, zone, { seconds: true })}</Fact>
          ) : null}
          <Fact label="SHA-256">
            <code style={{ fontSize: 12 }}>{task.sha256}</code>
          </Fact>
        </Box>
      </Section>

    </Stack>
  );
}
