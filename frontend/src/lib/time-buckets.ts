import type { TimeUnit } from './format';
import type { TimeZoneMode } from './time-zone';

// Pure time bucketing for the charts: which bucket width suits a range, where a bucket starts
// and ends, and how sparse server buckets become a line that does not invent values across gaps.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Nominal widths; a month is calendar-long where the data is calendar-aligned (see `nextBucket`). */
export const UNIT_MS: Record<TimeUnit, number> = { minute: MINUTE, hour: HOUR, day: DAY, week: 7 * DAY, month: 30 * DAY };

export const UNIT_LABEL: Record<TimeUnit, string> = { minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' };

/** The most buckets a chart is asked to draw across a range. */
export const MAX_CHART_BUCKETS = 400;

/** The finest unit that covers `spanMs` in at most `max` buckets (a month otherwise). */
export function chooseUnit(spanMs: number, max = 120): TimeUnit {
  const units: TimeUnit[] = ['minute', 'hour', 'day', 'week'];
  return units.find((u) => Math.max(0, spanMs) / UNIT_MS[u] <= max) ?? 'month';
}

/** How many buckets of `unit` a range of `spanMs` needs. */
export function bucketCount(spanMs: number, unit: TimeUnit): number {
  return Math.floor(Math.max(0, spanMs) / UNIT_MS[unit]) + 1;
}

function isUtcMonthStart(t: number) {
  const d = new Date(t);
  return d.getUTCDate() === 1 && t % DAY === 0;
}

/**
 * Start of the bucket after the one starting at `t`, as the server buckets: months are
 * calendar months where `t` is a UTC month start (Druid), 30 days otherwise (the local sink's
 * fixed widths); every other unit is fixed-width.
 */
export function nextBucket(t: number, unit: TimeUnit): number {
  if (unit === 'month' && isUtcMonthStart(t)) {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return t + UNIT_MS[unit];
}

/** Start of the bucket before the one starting at `t` (see `nextBucket`). */
export function previousBucket(t: number, unit: TimeUnit): number {
  if (unit === 'month' && isUtcMonthStart(t)) {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  }
  return t - UNIT_MS[unit];
}

export type SeriesPoint = { time: number; rows: number };

/**
 * Sparse buckets (only those with rows, as the API sends them) → the points of a line on which
 * an empty bucket reads 0: around every gap, a 0 at the first and at the last missing bucket,
 * so the line drops to 0, stays there across the gap and rises again, instead of drawing a ramp
 * through buckets that hold nothing. No value is made up; at most two points per gap are added.
 */
export function fillGaps(points: readonly SeriesPoint[], unit: TimeUnit): SeriesPoint[] {
  const sorted = [...points].filter((p) => Number.isFinite(p.time)).sort((a, b) => a.time - b.time);
  const out: SeriesPoint[] = [];
  sorted.forEach((p, i) => {
    const prev = sorted[i - 1];
    if (prev) {
      const firstMissing = nextBucket(prev.time, unit);
      if (firstMissing < p.time) {
        out.push({ time: firstMissing, rows: 0 });
        const lastMissing = previousBucket(p.time, unit);
        if (lastMissing > firstMissing) out.push({ time: lastMissing, rows: 0 });
      }
    }
    out.push(p);
  });
  return out;
}

/** Start of the bucket of `unit` holding `t`, in the zone (weeks start on Monday). */
export function floorTime(t: number, unit: TimeUnit, zone: TimeZoneMode): number {
  const d = new Date(t);
  if (zone === 'utc') {
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    switch (unit) {
      case 'minute':
        return Math.floor(t / MINUTE) * MINUTE;
      case 'hour':
        return Math.floor(t / HOUR) * HOUR;
      case 'day':
        return Date.UTC(y, m, d.getUTCDate());
      case 'week':
        return Date.UTC(y, m, d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      case 'month':
        return Date.UTC(y, m, 1);
    }
  }
  const y = d.getFullYear();
  const m = d.getMonth();
  switch (unit) {
    case 'minute':
      return new Date(y, m, d.getDate(), d.getHours(), d.getMinutes()).getTime();
    case 'hour':
      return new Date(y, m, d.getDate(), d.getHours()).getTime();
    case 'day':
      return new Date(y, m, d.getDate()).getTime();
    case 'week':
      return new Date(y, m, d.getDate() - ((d.getDay() + 6) % 7)).getTime();
    case 'month':
      return new Date(y, m, 1).getTime();
  }
}

/** `t` moved by `n` units in the zone's calendar (a local day is 23 or 25 hours across DST). */
export function addUnits(t: number, unit: TimeUnit, n: number, zone: TimeZoneMode): number {
  if (unit === 'minute' || unit === 'hour') return t + n * UNIT_MS[unit];
  const d = new Date(t);
  if (zone === 'utc') {
    if (unit === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + n * (unit === 'week' ? 7 : 1), d.getUTCHours(), d.getUTCMinutes());
  }
  if (unit === 'month') return new Date(d.getFullYear(), d.getMonth() + n, d.getDate(), d.getHours(), d.getMinutes()).getTime();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n * (unit === 'week' ? 7 : 1), d.getHours(), d.getMinutes()).getTime();
}
