import { addUnits, bucketCount, chooseUnit, fillGaps, floorTime } from './time-buckets';

const H = 3_600_000;
const D = 24 * H;

describe('fillGaps', () => {
  it('leaves adjacent buckets alone', () => {
    const points = [0, H, 2 * H].map((time) => ({ time, rows: 5 }));
    expect(fillGaps(points, 'hour')).toEqual(points);
  });

  it('drops to 0 across a gap instead of drawing a ramp, inventing no other value', () => {
    const t0 = Date.UTC(2017, 0, 1);
    const t1 = Date.UTC(2026, 0, 1);
    const out = fillGaps([{ time: t1, rows: 900 }, { time: t0, rows: 10 }], 'day');
    expect(out).toEqual([
      { time: t0, rows: 10 },
      { time: t0 + D, rows: 0 },
      { time: t1 - D, rows: 0 },
      { time: t1, rows: 900 },
    ]);
    // Every value is either the server's or 0.
    expect(out.every((p) => p.rows === 0 || p.rows === 10 || p.rows === 900)).toBe(true);
  });

  it('adds one zero for a gap of one bucket', () => {
    expect(fillGaps([{ time: 0, rows: 1 }, { time: 2 * H, rows: 1 }], 'hour').map((p) => p.rows)).toEqual([1, 0, 1]);
  });

  it('steps calendar months for calendar-aligned buckets (Druid) and 30 days otherwise (local sink)', () => {
    const jan = Date.UTC(2024, 0, 1);
    const feb = Date.UTC(2024, 1, 1);
    const apr = Date.UTC(2024, 3, 1);
    expect(fillGaps([{ time: jan, rows: 1 }, { time: feb, rows: 2 }], 'month')).toHaveLength(2);
    expect(fillGaps([{ time: jan, rows: 1 }, { time: apr, rows: 2 }], 'month').map((p) => p.time)).toEqual([
      jan,
      feb,
      Date.UTC(2024, 2, 1),
      apr,
    ]);
    expect(fillGaps([{ time: 30 * D, rows: 1 }, { time: 60 * D, rows: 1 }], 'month')).toHaveLength(2);
  });
});

describe('bucket sizes', () => {
  it('chooses a width that suits the range', () => {
    expect(chooseUnit(30 * 60_000)).toBe('minute');
    expect(chooseUnit(2 * D)).toBe('hour');
    expect(chooseUnit(60 * D)).toBe('day');
    expect(chooseUnit(365 * D)).toBe('week');
    expect(chooseUnit(9 * 365 * D)).toBe('month');
    expect(bucketCount(2 * D, 'hour')).toBe(49);
  });

  it('floors and steps in UTC or in the local zone (tests run in America/Los_Angeles)', () => {
    const t = Date.UTC(2024, 0, 3, 5, 30); // a Wednesday, 2024-01-02 21:30 in Los Angeles
    expect(floorTime(t, 'day', 'utc')).toBe(Date.UTC(2024, 0, 3));
    expect(floorTime(t, 'week', 'utc')).toBe(Date.UTC(2024, 0, 1));
    expect(floorTime(t, 'day', 'local')).toBe(Date.UTC(2024, 0, 2, 8));
    // Across the switch to summer time a local day is 23 hours long.
    expect(addUnits(Date.UTC(2024, 2, 10, 8), 'day', 1, 'local') - Date.UTC(2024, 2, 10, 8)).toBe(23 * H);
  });
});
