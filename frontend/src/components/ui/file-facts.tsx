import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { Compression, Sheet, TextEncoding } from '@/lib/api/types';
import { formatBytes, formatNumber } from '@/lib/format';

type Props = {
  encoding?: TextEncoding | null;
  compression?: Compression | null;
  sheets?: readonly Sheet[] | null;
};

const ENCODING_SOURCE: Record<TextEncoding['source'], string> = {
  field: 'named in the upload',
  bom: 'byte order mark',
  utf8: 'valid UTF-8',
  detected: 'detected',
};

function Fact({ label, testId, children }: { label: string; testId: string; children: React.ReactNode }) {
  return (
    <Box data-testid={testId}>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div">
        {children}
      </Typography>
    </Box>
  );
}

/**
 * How a file was read: its text encoding (with how sure and why), its compression (both
 * sizes) and a workbook's sheets (the one read marked). Nothing for a file with none of these.
 */
export function FileFacts({ encoding, compression, sheets }: Props) {
  const sheetList = sheets ?? [];
  if (!encoding && !compression && sheetList.length === 0) return null;
  return (
    <Stack direction="row" spacing={4} useFlexGap sx={{ flexWrap: 'wrap' }} data-testid="file-facts">
      {encoding && (
        <Fact label="Encoding" testId="fact-encoding">
          <code>{encoding.name}</code> ({ENCODING_SOURCE[encoding.source]}
          {encoding.source === 'detected' ? `, ${encoding.confidence}% sure` : ''})
          <Typography variant="caption" color="text.secondary" component="div">
            {encoding.reason}
          </Typography>
        </Fact>
      )}
      {compression && (
        <Fact label="Compression" testId="fact-compression">
          {compression.codec}: {formatBytes(compression.compressed_bytes)} → {formatBytes(compression.uncompressed_bytes)}
        </Fact>
      )}
      {sheetList.length > 0 && (
        <Fact label={`Sheets (${sheetList.length})`} testId="fact-sheets">
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {sheetList.map((s) => (
              <li key={s.name}>
                {s.chosen ? <strong>{s.name}</strong> : s.name} — {formatNumber(s.rows)} rows × {formatNumber(s.columns)} columns
                {s.chosen ? ' (read)' : ''}
              </li>
            ))}
          </Box>
        </Fact>
      )}
    </Stack>
  );
}
