import type { TimeZoneMode } from './time-zone';

const numberFormat = new Intl.NumberFormat('en-US');

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : numberFormat.format(n);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m} min ${rest} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** "5 s ago", "3 min ago", … relative to now. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.max(0, now - t) / 1000;
  if (diff < 5) return 'just now';
  if (diff < 60) return `${Math.floor(diff)} s ago`;
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)} h ago`;
  return `${Math.floor(diff / 86400)} d ago`;
}

// ---- Times. Every time on screen goes through these, in UTC unless the user chose local time,
// and always with the zone written next to it.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const zoneNameFormat = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });

export type TimeParts = { year: number; month: number; day: number; hour: number; minute: number; second: number };

/** Calendar fields of instant `t` (epoch ms) in the given zone; `month` is 1–12. */
export function timeParts(t: number, zone: TimeZoneMode): TimeParts {
  const d = new Date(t);
  return zone === 'utc'
    ? { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() }
    : { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "UTC", or the browser zone's abbreviation or offset at that instant ("PST", "GMT+2"). */
export function zoneLabel(zone: TimeZoneMode, at: number = Date.now()): string {
  if (zone === 'utc') return 'UTC';
  return zoneNameFormat.formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName')?.value ?? 'local time';
}

function toMillis(value: string | number | Date): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
}

/** "2024-01-01" in the zone, without a zone label (for callers that add one once). */
export function formatDay(t: number, zone: TimeZoneMode): string {
  const p = timeParts(t, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "2024-01-01 00:49 UTC" (with `:ss` when `seconds`); "—" when absent; unparseable text as is. */
export function formatDateTime(
  value: string | number | Date | null | undefined,
  zone: TimeZoneMode,
  { seconds = false }: { seconds?: boolean } = {},
): string {
  if (value === null || value === undefined || value === '') return '—';
  const t = toMillis(value);
  if (Number.isNaN(t)) return String(value);
  const p = timeParts(t, zone);
  const time = `${pad(p.hour)}:${pad(p.minute)}${seconds ? `:${pad(p.second)}` : ''}`;
  return `${formatDay(t, zone)} ${time} ${zoneLabel(zone, t)}`;
}

/** A range of two times with the zone said once: "2024-01-01 00:49 – 2024-01-07 23:00 UTC". */
export function formatTimeRange(
  min: string | null | undefined,
  max: string | null | undefined,
  zone: TimeZoneMode,
): string {
  if (!min && !max) return '—';
  const a = formatDateTime(min, zone);
  const b = formatDateTime(max, zone);
  const label = ` ${zoneLabel(zone, toMillis(min ?? max ?? ''))}`;
  // Drop the first label when both ends carry the same one.
  return a.endsWith(label) && b.endsWith(label) ? `${a.slice(0, -label.length)} – ${b}` : `${a} – ${b}`;
}

/** Bucket widths the charts use. */
export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** What one bucket starting at `t` covers: "2024-01-01 14:00 UTC (1 hour)", "Jan 2024 UTC (1 month)". */
export function formatBucket(t: number, unit: TimeUnit, zone: TimeZoneMode): string {
  const p = timeParts(t, zone);
  const z = zoneLabel(zone, t);
  switch (unit) {
    case 'minute':
    case 'hour':
      return `${formatDay(t, zone)} ${pad(p.hour)}:${pad(p.minute)} ${z}`;
    case 'day':
      return `${formatDay(t, zone)} ${z}`;
    case 'week':
      return `week of ${formatDay(t, zone)} ${z}`;
    case 'month':
      return `${MONTHS[p.month - 1]} ${p.year} ${z}`;
  }
}

/**
 * A short axis label for instant `t` on an axis spanning `spanMs`: the hour shows when the
 * tick is not at midnight, the year when the axis is long, so labels on one axis stay distinct.
 * The zone is written once, in the axis title (see `zoneLabel`).
 */
export function formatTick(t: number, spanMs: number, zone: TimeZoneMode): string {
  const p = timeParts(t, zone);
  const midnight = p.hour === 0 && p.minute === 0 && p.second === 0;
  const mon = MONTHS[p.month - 1];
  if (!midnight) return `${mon} ${p.day} ${pad(p.hour)}:${pad(p.minute)}`;
  if (spanMs > 2 * 365 * 86_400_000 && p.month === 1 && p.day === 1) return `${p.year}`;
  if (spanMs > 60 * 86_400_000) return p.day === 1 ? `${mon} ${p.year}` : `${mon} ${p.day}, ${p.year}`;
  return `${mon} ${p.day}`;
}

/** A short band label for a bucket (zone in the axis title): "Jan 1 14:00", "Jan 1", "Jan 2024". */
export function formatBucketLabel(t: number, unit: TimeUnit, zone: TimeZoneMode): string {
  const p = timeParts(t, zone);
  const mon = MONTHS[p.month - 1];
  if (unit === 'minute' || unit === 'hour') return `${mon} ${p.day} ${pad(p.hour)}:${pad(p.minute)}`;
  if (unit === 'month') return `${mon} ${p.year}`;
  return `${mon} ${p.day}`;
}
