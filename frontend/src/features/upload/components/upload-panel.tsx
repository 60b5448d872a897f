import CloudUploadIcon from '@mui/icons-material/CloudUpload';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import FormControl from '@mui/material/FormControl';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useId, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { IngestMode } from '@/lib/api/types';
import { datasourceNameProblem, suggestDatasourceName } from '@/lib/datasource-name';
import { formatBytes } from '@/lib/format';
import { useUploadQueue } from '../hooks/use-upload-queue';
import { UploadItem } from './upload-item';

const ACCEPTED_EXTENSIONS = ['.csv', '.tsv', '.txt', '.xlsx', '.parquet', '.ndjson', '.jsonl', '.json'];

type Props = {
  /** Rendered under a file once the server accepted it (e.g. the task's live progress). */
  renderAccepted?: (taskId: string) => ReactNode;
};

export function UploadPanel({ renderAccepted }: Props) {
  const [datasource, setDatasource] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [mode, setMode] = useState<IngestMode>('append');
  const [files, setFiles] = useState<File[]>([]);
  const [dragOver, setDragOver] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = useId();
  const queue = useUploadQueue();

  const nameProblem = datasourceNameProblem(datasource);
  const showNameProblem = nameProblem !== null && (nameTouched || submitted);

  const addFiles = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const added = Array.from(list);
    setFiles((prev) => {
      const key = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;
      const seen = new Set(prev.map(key));
      return [...prev, ...added.filter((f) => !seen.has(key(f)))];
    });
    if (datasource === '' && !nameTouched && added[0]) {
      setDatasource(suggestDatasourceName(added[0].name));
    }
  };

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
    if (nameProblem || files.length === 0) return;
    queue.upload(files, datasource, mode);
    setFiles([]);
    setSubmitted(false);
  };

  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const hasFinished = queue.items.some((it) => it.state !== 'uploading');

  return (
    <Stack spacing={2}>
      <Box component="form" noValidate onSubmit={onSubmit} aria-label="Upload files">
        <Stack spacing={2}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'flex-start' } }}>
            <TextField
              id={`${ids}-datasource`}
              label="Datasource name"
              value={datasource}
              onChange={(e) => setDatasource(e.target.value)}
              onBlur={() => setNameTouched(true)}
              error={showNameProblem}
              helperText={
                showNameProblem
                  ? nameProblem
                  : 'Starts with a letter; then letters, digits, “_” or “-” (at most 128 characters).'
              }
              required
              fullWidth
              autoComplete="off"
              slotProps={{ htmlInput: { spellCheck: false, 'data-testid': 'datasource-input' } }}
              sx={{ flex: 2 }}
            />
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

          {files.length > 0 && (
            <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: 'wrap' }} aria-label="Files to upload">
              {files.map((f) => (
                <Chip
                  key={`${f.name}:${f.size}:${f.lastModified}`}
                  label={`${f.name} (${formatBytes(f.size)})`}
                  onDelete={() => setFiles((prev) => prev.filter((p) => p !== f))}
                  deleteIcon={<DeleteOutlineIcon aria-label={`Remove ${f.name}`} />}
                />
              ))}
            </Stack>
          )}
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
