import ErrorIcon from '@mui/icons-material/Error';
import WarningIcon from '@mui/icons-material/Warning';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { FileFacts } from '@/components/ui/file-facts';
import type { ValidationReport as Report } from '@/lib/api/types';
import { formatDateTime, formatNumber, formatTimeRange } from '@/lib/format';
import { type TimeZoneMode, useTimeZoneMode } from '@/lib/time-zone';
import { ColumnStatsGrid } from './column-stats';

/** A column's min or max: times (in the zone shown, labelled), anything else as the report has it. */
function columnValue(type: string, value: string | null | undefined, zone: TimeZoneMode) {
  if (value === null || value === undefined) return '—';
  return type === 'timestamp' ? formatDateTime(value, zone, { seconds: true }) : value;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div">
        {children}
      </Typography>
    </Box>
  );
}

export function ValidationReport({ report }: { report: Report }) {
  const zone = useTimeZoneMode();
  const ts = report.timestamp;
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  return (
    <Stack spacing={3} data-testid="validation-report">
      <Stack direction="row" spacing={4} useFlexGap sx={{ flexWrap: 'wrap' }}>
        <Fact label="Format">
          {report.format}
          {report.delimiter ? ` (delimiter “${report.delimiter === '\t' ? 'tab' : report.delimiter}”)` : ''}
        </Fact>
        <Fact label="Rows read">{formatNumber(report.rows_in)}</Fact>
        <Fact label="Rows accepted">{formatNumber(report.rows_accepted)}</Fact>
        <Fact label="Rows rejected">{formatNumber(report.rows_rejected)}</Fact>
        <Fact label="Timestamp">
          {ts.source === 'column' && ts.column ? (
            <>
              column <code>{ts.column}</code>
              {ts.format ? (
                <>
                  {' '}
                  as <code>{ts.format}</code>
                </>
              ) : null}
            </>
          ) : (
            'upload time (no timestamp column found)'
          )}
        </Fact>
        <Fact label="Time range">
          {formatTimeRange(ts.min, ts.max, zone)}
        </Fact>
      </Stack>
      <FileFacts encoding={report.encoding} compression={report.compression} sheets={report.sheets} />

      <Box>
        <Typography variant="subtitle2" component="h3" gutterBottom>
          Columns ({report.columns.length})
        </Typography>
        <TableContainer sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Columns">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Nulls</TableCell>
                <TableCell>Min</TableCell>
                <TableCell>Max</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {report.columns.map((c) => (
                <TableRow key={c.name}>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <code>{c.name}</code>
                    {ts.column === c.name && <Chip size="small" label="time" color="primary" sx={{ ml: 1 }} />}
                  </TableCell>
                  <TableCell>
                    {c.type}
                    {/* Why this type: a person can check it, and override it with column_types. */}
                    {c.type_reason && (
                      <Typography variant="caption" color="text.secondary" component="div">
                        {c.type_reason}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell align="right">{formatNumber(c.null_count)}</TableCell>
                  {/* A minimum width keeps values readable on a phone: the table scrolls sideways
                      rather than wrapping a value one character per line. */}
                  <TableCell sx={{ minWidth: 120, maxWidth: 220, overflowWrap: 'anywhere' }}>{columnValue(c.type, c.min, zone)}</TableCell>
                  <TableCell sx={{ minWidth: 120, maxWidth: 220, overflowWrap: 'anywhere' }}>{columnValue(c.type, c.max, zone)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </Box>

      <ColumnStatsGrid columns={report.columns} />

      <Box>
        <Typography variant="subtitle2" component="h3" gutterBottom>
          Problems ({errors} error{errors === 1 ? '' : 's'}, {warnings} warning{warnings === 1 ? '' : 's'})
        </Typography>
        {report.problems.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No problems found.
          </Typography>
        ) : (
          <TableContainer sx={{ overflowX: 'auto', maxHeight: 400 }}>
            <Table size="small" stickyHeader aria-label="Problems">
              <TableHead>
                <TableRow>
                  <TableCell>Severity</TableCell>
                  <TableCell align="right">Line</TableCell>
                  <TableCell>Column</TableCell>
                  <TableCell>Problem</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {report.problems.map((p, i) => (
                  <TableRow key={`${p.code}-${p.line ?? 'x'}-${i}`}>
                    <TableCell>
                      <Chip
                        size="small"
                        variant="outlined"
                        color={p.severity === 'error' ? 'error' : 'warning'}
                        icon={p.severity === 'error' ? <ErrorIcon /> : <WarningIcon />}
                        label={p.severity}
                      />
                    </TableCell>
                    <TableCell align="right">{p.line ?? '—'}</TableCell>
                    <TableCell>{p.column ? <code>{p.column}</code> : '—'}</TableCell>
                    <TableCell>
                      {p.message}{' '}
                      <Typography component="span" variant="caption" color="text.secondary">
                        ({p.code})
                      </Typography>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </Box>
    </Stack>
  );
}
