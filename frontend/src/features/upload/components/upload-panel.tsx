import CloudUploadIcon from '@mui/icons-material/CloudUpload';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import FormControl from '@mui/material/FormControl';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { Datasource, IngestMode } from '@/lib/api/types';
import { datasourceNameProblem, suggestDatasourceName } from '@/lib/datasource-name';
import { formatBytes, formatNumber, formatTimeRange } from '@/lib/format';
import { useUploadQueue } from '../hooks/use-upload-queue';
import { DatasourceCue } from './datasource-cue';
import { NO_CHOICES } from '../api/upload-file';
import { FilePreview, type PreviewChoices } from './file-preview';
import { parseRejectedAllowed } from '../utils/rejected-allowed';
import { UploadItem } from './upload-item';

const ACCEPTED_EXTENSIONS = ['.csv', '.tsv', '.txt', '.xlsx', '.parquet', '.ndjson', '.jsonl', '.json', '.gz', '.zst'];

type Props = {
  /** Rendered under a file once the server accepted it (e.g. the task's live progress). */
  renderAccepted?: (taskId: string) => ReactNode;
  /** Datasources that exist, suggested as names and used to say "new" or "appends to existing". */
  existing?: readonly Datasource[];
};

/** A chosen file, the datasource it goes to (its own, so a batch can go to several) and its preview's choices. */
type Staged = { key: string; file: File; datasource: string; choices: PreviewChoices };

const keyOf = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;

/** `value`, once it has stayed the same for `ms` (so typing a number does not read the file at each key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function UploadPanel({ renderAccepted, existing = [] }: Props) {
  // The name typed before any file is chosen; the next single file takes it.
  const [draft, setDraft] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [mode, setMode] = useState<IngestMode>('append');
  const [files, setFiles] = useState<Staged[]>([]);
  const [dragOver, setDragOver] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [rejectedAllowed, setRejectedAllowed] = useState('');
  const budget = parseRejectedAllowed(rejectedAllowed);
  const previewBudget = useSettled(budget.value, 400);
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = useId();
  const queue = useUploadQueue();

  const draftProblem = datasourceNameProblem(draft);
  const showDraftProblem = draftProblem !== null && (nameTouched || submitted);
  const anyNameProblem = files.some((f) => datasourceNameProblem(f.datasource) !== null);

  const addFiles = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const seen = new Set(files.map((f) => f.key));
    const fresh = Array.from(list).filter((f) => !seen.has(keyOf(f)));
    // A name typed first belongs to a single file; in a batch each file is named after itself.
    const typed = files.length === 0 && fresh.length === 1 && draft !== '';
    const staged = fresh.map((file) => ({ key: keyOf(file), file, datasource: typed ? draft : suggestDatasourceName(file.name), choices: NO_CHOICES }));
    setFiles((prev) => [...prev, ...staged]);
    if (typed) setDraft('');
  };

  const rename = (key: string, datasource: string) =>
    setFiles((prev) => prev.map((f) => (f.key === key ? { ...f, datasource } : f)));
  const choose = (key: string, choices: PreviewChoices) =>
    setFiles((prev) => prev.map((f) => (f.key === key ? { ...f, choices } : f)));

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragOver(false);
    addFiles(e.dataTransfer.files);
  };

  const openPicker = () => inputRef.current?.click();
  const onZoneKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openPicker();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (anyNameProblem || files.length === 0 || budget.problem) return;
    queue.upload(
      files.map((f) => ({ file: f.file, datasource: f.datasource, choices: { ...f.choices, maxRejectedRows: budget.value } })),
      mode,
    );
    // Nothing of this batch sticks to the next file.
    setFiles([]);
    setDraft('');
    setNameTouched(false);
    setSubmitted(false);
  };

  const totalBytes = files.reduce((n, f) => n + f.file.size, 0);
  const hasFinished = queue.items.some((it) => it.state !== 'uploading');

  return (
    <Stack spacing={2}>
      <Box component="form" noValidate onSubmit={onSubmit} aria-label="Upload files">
        <Stack spacing={2}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'flex-start' } }}>
            {files.length === 0 ? (
              <TextField
                id={`${ids}-datasource`}
                label="Datasource name"
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                onBlur={() => setNameTouched(true)}
                error={showDraftProblem}
                helperText={
                  showDraftProblem ? (
                    draftProblem
                  ) : draft === '' ? (
                    'Starts with a letter; then letters, digits, “_” or “-” (at most 128 characters). Or choose files first: each is named after itself.'
                  ) : (
                    <DatasourceCue name={draft} mode={mode} existing={existing} />
                  )
                }
                required
                fullWidth
                autoComplete="off"
                slotProps={{ htmlInput: { spellCheck: false, list: `${ids}-existing`, 'data-testid': 'datasource-input' } }}
                sx={{ flex: 2 }}
              />
            ) : (
              <Stack spacing={1.5} sx={{ flex: 2, minWidth: 0 }} component="ul" aria-label="Files to upload" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
                {files.map((f) => {
                  const problem = datasourceNameProblem(f.datasource);
                  return (
                    <Stack component="li" key={f.key} spacing={1} data-testid="staged-file" data-file={f.file.name}>
                    <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
                      <TextField
                        size="small"
                        label={`Datasource for ${f.file.name} (${formatBytes(f.file.size)})`}
                        value={f.datasource}
                        onChange={(e) => rename(f.key, e.target.value)}
                        error={problem !== null && submitted}
                        helperText={problem !== null ? problem : <DatasourceCue name={f.datasource} mode={mode} existing={existing} />}
                        required
                        fullWidth
                        autoComplete="off"
                        slotProps={{ htmlInput: { spellCheck: false, list: `${ids}-existing`, 'data-testid': 'file-datasource-input' } }}
                      />
                      <IconButton aria-label={`Remove ${f.file.name}`} onClick={() => setFiles((prev) => prev.filter((p) => p.key !== f.key))}>
                        <DeleteOutlineIcon />
                      </IconButton>
                    </Stack>
                    <FilePreview
                      file={f.file}
                      datasource={f.datasource}
                      existing={existing}
                      choices={f.choices}
                      onChange={(c) => choose(f.key, c)}
                      maxRejectedRows={budget.problem ? null : previewBudget}
                    />
                    </Stack>
                  );
                })}
              </Stack>
            )}
            <datalist id={`${ids}-existing`} data-testid="existing-datasources">
              {existing.map((ds) => (
                <option key={ds.name} value={ds.name} label={`${formatNumber(ds.row_count)} rows · ${formatTimeRange(ds.min_time, ds.max_time, 'utc')}`} />
              ))}
            </datalist>
            <FormControl sx={{ flex: 1, minWidth: 220 }}>
              <FormLabel id={`${ids}-mode`} sx={{ fontSize: 12, mb: 0.5 }}>
                Mode
              </FormLabel>
              <ToggleButtonGroup
                exclusive
                size="small"
                color="primary"
                value={mode}
                onChange={(_, v: IngestMode | null) => v && setMode(v)}
                aria-labelledby={`${ids}-mode`}
              >
                <ToggleButton value="append">Append</ToggleButton>
                <ToggleButton value="replace">Replace</ToggleButton>
              </ToggleButtonGroup>
              <FormHelperText sx={{ mx: 0 }} data-testid="mode-help">
                {mode === 'append'
                  ? 'Add rows to the datasource.'
                  : 'Drops the datasource’s rows in the whole UTC days the file covers (months if it spans over 92 days, years over five years) and adds the file’s; rows outside stay. You confirm the exact effect after validation.'}
              </FormHelperText>
            </FormControl>
            <TextField
              id={`${ids}-rejected`}
              size="small"
              label="Rejected rows allowed"
              value={rejectedAllowed}
              onChange={(e) => setRejectedAllowed(e.target.value)}
              error={budget.problem !== null}
              helperText={
                budget.problem ??
                'Rows with the wrong number of fields, unreadable bytes or a value that breaks a chosen type: up to this many are left out (and can be downloaded), the rest is ingested. Empty: one such row fails the file.'
              }
              placeholder="0"
              autoComplete="off"
              slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'rejected-allowed-input' } }}
              sx={{ flex: 1, minWidth: 200 }}
            />
          </Stack>

          <Box
            role="button"
            tabIndex={0}
            aria-label="Choose files to upload, or drop them here"
            aria-describedby={`${ids}-formats`}
            onClick={openPicker}
            onKeyDown={onZoneKey}
            onDragOver={(e) => {
              e.preventDefault();
              setDragOver(true);
            }}
            onDragLeave={() => setDragOver(false)}
            onDrop={onDrop}
            data-testid="dropzone"
            sx={{
              border: 2,
              borderStyle: 'dashed',
              borderColor: dragOver ? 'primary.main' : 'divider',
              bgcolor: dragOver ? 'action.hover' : 'transparent',
              borderRadius: 2,
              p: { xs: 2, sm: 4 },
              textAlign: 'center',
              cursor: 'pointer',
              outline: 'none',
              '&:focus-visible': { borderColor: 'primary.main', boxShadow: 3 },
            }}
          >
            <CloudUploadIcon color="primary" sx={{ fontSize: 40 }} aria-hidden />
            <Typography variant="subtitle1">Drag and drop files here, or click to choose</Typography>
            <Typography variant="body2" color="text.secondary" id={`${ids}-formats`}>
              CSV, XLSX, Parquet or NDJSON — several files at once
            </Typography>
          </Box>
          <input
            ref={inputRef}
            type="file"
            multiple
            hidden
            accept={ACCEPTED_EXTENSIONS.join(',')}
            data-testid="file-input"
            onChange={(e) => {
              addFiles(e.target.files);
              e.target.value = '';
            }}
          />

          {submitted && files.length === 0 && (
            <Typography color="error" variant="body2" role="alert">
              Choose at least one file first.
            </Typography>
          )}

          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Button type="submit" variant="contained" startIcon={<CloudUploadIcon />} data-testid="upload-button">
              {files.length > 1 ? `Upload ${files.length} files` : 'Upload'}
            </Button>
            {files.length > 0 && (
              <Typography variant="body2" color="text.secondary">
                {formatBytes(totalBytes)} in total
              </Typography>
            )}
            <Box sx={{ flex: 1 }} />
            {hasFinished && (
              <Button size="small" color="inherit" onClick={queue.clearFinished}>
                Clear finished
              </Button>
            )}
          </Stack>
        </Stack>
      </Box>

      {queue.items.length > 0 && (
        <Stack spacing={1.5} aria-label="Uploads" component="ul" sx={{ listStyle: 'none', p: 0, m: 0 }}>
          {queue.items.map((item) => (
            <li key={item.id}>
              <UploadItem
                item={item}
                onCancel={queue.cancel}
                onRetry={queue.retry}
                onRemove={queue.remove}
                renderAccepted={renderAccepted}
              />
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
