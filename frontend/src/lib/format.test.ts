import { formatBucket, formatBucketLabel, formatDateTime, formatTick, formatTimeRange, zoneLabel } from './format';

// vite.config.ts runs the tests in America/Los_Angeles: a time shown in the browser's zone by
// mistake would read 2023-12-31 16:49 here.
const T = '2024-01-01T00:49:00+00:00';
const DAY = 86_400_000;

describe('times', () => {
  it('runs in a zone that is not UTC', () => {
    expect(new Date(T).getTimezoneOffset()).toBe(480);
  });

  it('shows UTC with the zone written out', () => {
    expect(formatDateTime(T, 'utc')).toBe('2024-01-01 00:49 UTC');
    expect(formatDateTime(T, 'utc', { seconds: true })).toBe('2024-01-01 00:49:00 UTC');
    expect(formatDateTime(null, 'utc')).toBe('—');
    expect(formatDateTime('not a time', 'utc')).toBe('not a time');
  });

  it('shows local time with its abbreviation when asked', () => {
    expect(formatDateTime(T, 'local')).toBe('2023-12-31 16:49 PST');
    expect(formatDateTime('2024-07-01T12:00:00Z', 'local')).toBe('2024-07-01 05:00 PDT');
    expect(zoneLabel('utc')).toBe('UTC');
  });

  it('says the zone of a range once', () => {
    expect(formatTimeRange(T, '2024-03-31T23:00:00Z', 'utc')).toBe('2024-01-01 00:49 – 2024-03-31 23:00 UTC');
    expect(formatTimeRange(null, null, 'utc')).toBe('—');
  });

  it('names whole buckets in tooltips', () => {
    const t = Date.UTC(2024, 0, 1, 14);
    expect(formatBucket(t, 'hour', 'utc')).toBe('2024-01-01 14:00 UTC');
    expect(formatBucket(Date.UTC(2024, 0, 1), 'day', 'utc')).toBe('2024-01-01 UTC');
    expect(formatBucket(Date.UTC(2024, 1, 1), 'month', 'utc')).toBe('Feb 2024 UTC');
  });

  it('gives distinct axis labels for hourly, daily and monthly ticks', () => {
    const hours = Array.from({ length: 48 }, (_, i) => Date.UTC(2024, 0, 1, i));
    const hourly = hours.map((t) => formatTick(t, 2 * DAY, 'utc'));
    expect(new Set(hourly).size).toBe(hours.length);
    expect(hourly.slice(0, 3)).toEqual(['Jan 1', 'Jan 1 01:00', 'Jan 1 02:00']);

    const days = Array.from({ length: 40 }, (_, i) => Date.UTC(2024, 0, 1 + i));
    expect(new Set(days.map((t) => formatTick(t, 40 * DAY, 'utc'))).size).toBe(days.length);

    const months = Array.from({ length: 36 }, (_, i) => Date.UTC(2017 + Math.floor(i / 12), i % 12, 1));
    const monthly = months.map((t) => formatTick(t, 3 * 365 * DAY, 'utc'));
    expect(new Set(monthly).size).toBe(months.length);
    expect(monthly.slice(0, 2)).toEqual(['2017', 'Feb 2017']);

    const bands = hours.map((t) => formatBucketLabel(t, 'hour', 'utc'));
    expect(new Set(bands).size).toBe(hours.length);
    expect(bands[0]).toBe('Jan 1 00:00');
  });
});
