import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import NativeSelect from '@mui/material/NativeSelect';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useId } from 'react';
import { FileFacts } from '@/components/ui/file-facts';
import { ApiError } from '@/lib/api/client';
import type { ColumnType, Datasource, FilePreview as Preview } from '@/lib/api/types';
import { formatBytes, formatNumber } from '@/lib/format';
import { PREVIEW_TEXT_BYTES, previewUnavailable, usePreview } from '../api/preview-file';
import { NO_CHOICES, type UploadChoices } from '../api/upload-file';
import { DriftNotice } from './drift-notice';

/** What the person chose in the preview; sent with the upload. */
export type PreviewChoices = UploadChoices;

/** Types a person can give a column that is not the time column. */
const CHOOSABLE: ColumnType[] = ['string', 'long', 'double', 'boolean'];

type Props = {
  file: File;
  /** The datasource the file goes to; compared with it when it exists. */
  datasource: string;
  existing: readonly Datasource[];
  choices: PreviewChoices;
  onChange: (choices: PreviewChoices) => void;
  /** The upload form's "rejected rows allowed" (`max_rejected_rows`), so the preview says what the upload would do. */
  maxRejectedRows?: number | null;
};

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The preview of one chosen file: how it will be read, its first rows, a type per column, the time column. */
export function FilePreview({ file, datasource, existing, choices, onChange, maxRejectedRows = null }: Props) {
  const unavailable = previewUnavailable(file);
  const read = { file, sheet: choices.sheet, timestampColumn: choices.timestampColumn };
  // The file as detected (its types are the "detected" ones) and, once types or a budget are chosen, read
  // again with them: values that break a chosen type then show as rejected rows and problems before upload.
  const query = usePreview(read, unavailable === null);
  const steered = Object.keys(choices.columnTypes).length > 0 || maxRejectedRows != null;
  const again = usePreview({ ...read, columnTypes: choices.columnTypes, maxRejectedRows }, unavailable === null && steered && query.isSuccess);

  let body: React.ReactNode;
  if (unavailable) {
    body = <Typography variant="body2" color="text.secondary">{unavailable}</Typography>;
  } else if (query.isPending) {
    body = (
      <Box aria-busy="true">
        <Typography variant="body2" color="text.secondary">
          Reading the file…
        </Typography>
        <LinearProgress aria-label={`Previewing ${file.name}`} />
      </Box>
    );
  } else if (query.isError) {
    const e = query.error;
    const tooLarge = e instanceof ApiError && e.code === 'preview_too_large';
    body = (
      <Alert severity={tooLarge ? 'info' : 'warning'} data-testid="preview-error">
        {tooLarge ? 'Preview is not available for a file this large; it can still be uploaded.' : `No preview: ${e.message}`}
        {!tooLarge && e instanceof ApiError && e.hint ? ` Hint: ${e.hint}` : ''}
      </Alert>
    );
  } else {
    body = (
      <PreviewBody
        preview={steered && again.data ? again.data : query.data}
        detected={query.data}
        checking={steered && again.isFetching}
        failed={steered && again.isError ? again.error : null}
        file={file}
        datasource={datasource}
        existing={existing}
        choices={choices}
        onChange={onChange}
      />
    );
  }
  return (
    <Box data-testid="file-preview" data-file={file.name} sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 1.5 }}>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Preview of {file.name}
      </Typography>
      {body}
    </Box>
  );
}

type BodyProps = Props & {
  /** What is shown: the file read with the choices when that read is done. */
  preview: Preview;
  /** The file read as detected: its column types are the detected ones. */
  detected: Preview;
  /** The file is being read again with the choices. */
  checking: boolean;
  failed: Error | null;
};

function PreviewBody({ preview, detected: asDetected, checking, failed, file, datasource, existing, choices, onChange }: BodyProps) {
  const ids = useId();
  const timeColumn = preview.timestamp.column ?? null;
  const detectedTypes = new Map(asDetected.columns.map((c) => [c.name, c.type]));
  const detectedOf = (name: string, shown: ColumnType) => detectedTypes.get(name) ?? shown;
  const typeOf = (name: string, detected: ColumnType) => choices.columnTypes[name] ?? detected;
  const setType = (name: string, detected: ColumnType, chosen: ColumnType) => {
    const columnTypes = { ...choices.columnTypes };
    if (chosen === detected) delete columnTypes[name];
    else columnTypes[name] = chosen;
    onChange({ ...choices, columnTypes });
  };
  const errors = preview.problems.filter((p) => p.severity === 'error');
  const warnings = preview.problems.filter((p) => p.severity === 'warning');
  const target = existing.find((d) => d.name === datasource);
  const effective = preview.columns.map((c) => ({ name: c.name, type: typeOf(c.name, detectedOf(c.name, c.type)) }));

  return (
    <Stack spacing={1.5}>
      <Typography variant="body2" data-testid="preview-summary">
        {preview.format.toUpperCase()}
        {preview.delimiter ? `, delimiter “${preview.delimiter === '\t' ? 'tab' : preview.delimiter}”` : ''} ·{' '}
        {formatNumber(preview.columns.length)} columns · {formatNumber(preview.rows_read)} rows read
        {preview.truncated ? ` from the first ${formatBytes(PREVIEW_TEXT_BYTES)} of ${formatBytes(file.size)} (types may change further on)` : ''}
      </Typography>
      <FileFacts encoding={preview.encoding} compression={preview.compression} sheets={preview.sheets} />

      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
        {preview.sheets.length > 1 && (
          <Box>
            <Typography variant="caption" color="text.secondary" component="label" htmlFor={`${ids}-sheet`} sx={{ display: 'block' }}>
              Sheet
            </Typography>
            <NativeSelect
              value={choices.sheet ?? preview.sheets.find((s) => s.chosen)?.name ?? ''}
              onChange={(e) => onChange({ ...NO_CHOICES, sheet: e.target.value })}
              inputProps={{ id: `${ids}-sheet` }}
            >
              {preview.sheets.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </NativeSelect>
          </Box>
        )}
        <Box>
          <Typography variant="caption" color="text.secondary" component="label" htmlFor={`${ids}-time`} sx={{ display: 'block' }}>
            Time column
          </Typography>
          <NativeSelect
            value={choices.timestampColumn ?? timeColumn ?? ''}
            onChange={(e) => onChange({ ...choices, timestampColumn: e.target.value === '' ? null : e.target.value })}
            inputProps={{ id: `${ids}-time` }}
          >
            {timeColumn === null && choices.timestampColumn === null && <option value="">none found: the upload time is used</option>}
            {preview.columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </NativeSelect>
        </Box>
      </Stack>

      {checking && (
        <Box aria-busy="true" data-testid="preview-checking">
          <Typography variant="caption" color="text.secondary">
            Reading the file again with the chosen types…
          </Typography>
          <LinearProgress aria-label={`Checking the chosen types of ${file.name}`} />
        </Box>
      )}
      {failed && (
        <Alert severity="warning" data-testid="preview-recheck-error">
          The file could not be read again with the chosen types ({failed.message}); the rows below are as detected.
        </Alert>
      )}

      {target && <DriftNotice datasource={target} columns={effective} timeColumn={timeColumn} />}

      {errors.length > 0 && (
        <Alert severity="error" data-testid="preview-errors">
          The upload would fail: {errors.map((p) => p.message).join('; ')}
        </Alert>
      )}
      {warnings.length > 0 && (
        <Alert severity="warning" data-testid="preview-warnings">
          {warnings.slice(0, 5).map((p) => p.message).join('; ')}
          {warnings.length > 5 ? ` (and ${warnings.length - 5} more)` : ''}
        </Alert>
      )}

      <TableContainer sx={{ overflowX: 'auto', maxHeight: 420 }}>
        <Table size="small" stickyHeader aria-label={`First rows of ${file.name}`} data-testid="preview-table">
          <TableHead>
            <TableRow>
              <TableCell>Line</TableCell>
              {preview.columns.map((c) => (
                <TableCell key={c.name} sx={{ whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                  <code>{c.name}</code>
                  <Box>
                    {c.name === timeColumn ? (
                      <Chip size="small" color="primary" label="time" />
                    ) : (
                      <TypeSelect name={c.name} detected={detectedOf(c.name, c.type)} value={typeOf(c.name, detectedOf(c.name, c.type))} onPick={setType} />
                    )}
                  </Box>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {preview.rows.map((row) => (
              <TableRow key={row.line} data-testid="preview-row" sx={row.rejected ? { bgcolor: 'error.50', '& td': { color: 'error.main' } } : undefined}>
                <TableCell title={row.rejected ? `Rejected: ${row.rejected}` : undefined}>
                  {row.line}
                  {row.rejected ? (
                    <Typography variant="caption" component="div">
                      rejected: {row.rejected}
                    </Typography>
                  ) : null}
                </TableCell>
                {row.values.map((v, i) => {
                  const name = preview.columns[i]?.name ?? '';
                  const mistyped = row.mistyped?.includes(name);
                  return (
                    <TableCell
                      key={name || i}
                      sx={{ maxWidth: 240, overflowWrap: 'anywhere', color: v === null ? 'text.disabled' : undefined, bgcolor: mistyped ? 'warning.light' : undefined }}
                      title={mistyped ? (name in choices.columnTypes ? 'Does not fit the chosen type: the row is rejected' : 'Does not fit the column’s type: stored as null') : undefined}
                    >
                      {cellText(v)}
                    </TableCell>
                  );
                })}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {preview.rows.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No rows to show.
        </Typography>
      )}
    </Stack>
  );
}

type TypeSelectProps = {
  name: string;
  detected: ColumnType;
  value: ColumnType;
  onPick: (name: string, detected: ColumnType, chosen: ColumnType) => void;
};

/** A column's type: the detected one, or one the person chose. */
function TypeSelect({ name, detected, value, onPick }: TypeSelectProps) {
  return (
    <NativeSelect
      value={value}
      onChange={(e) => onPick(name, detected, e.target.value as ColumnType)}
      inputProps={{ 'aria-label': `Type of ${name}` }}
      sx={{ fontSize: 13 }}
    >
      {(CHOOSABLE.includes(detected) ? CHOOSABLE : [detected, ...CHOOSABLE]).map((t) => (
        <option key={t} value={t}>
          {t}
          {t === detected ? ' (detected)' : ''}
        </option>
      ))}
    </NativeSelect>
  );
}
