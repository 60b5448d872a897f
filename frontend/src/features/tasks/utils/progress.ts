import type { StageProgress as Progress } from '@/lib/api/types';
import { formatBytes, formatNumber } from '@/lib/format';

/**
 * "42% · 120,000 rows · 12 MB of 30 MB · read 1 of 2": what the worker last
 * published. Validation reads the file twice, so its counts start again for
 * the second read while the percent (over both) goes on.
 */
export function describeProgress(progress: Progress, { bytes = true }: { bytes?: boolean } = {}): string {
  // Nothing runs yet: what it waits for is all there is to say.
  if (progress.waiting) return progress.waiting.message;
  const parts: string[] = [];
  if (progress.percent != null) parts.push(`${Math.floor(progress.percent)}%`);
  if (progress.rows != null) {
    parts.push(
      progress.rows_total != null
        ? `${formatNumber(progress.rows)} of ${formatNumber(progress.rows_total)} rows`
        : `${formatNumber(progress.rows)} rows`,
    );
  }
  if (bytes && progress.bytes_read != null && progress.bytes_total != null) {
    parts.push(`${formatBytes(progress.bytes_read)} of ${formatBytes(progress.bytes_total)}`);
  }
  if (progress.pass) parts.push(progress.pass === 'profiling' ? 'read 1 of 2' : 'read 2 of 2');
  if (progress.phase) parts.push(`Druid: ${progress.phase.toLowerCase().replace(/_/g, ' ')}`);
  return parts.join(' · ');
}
