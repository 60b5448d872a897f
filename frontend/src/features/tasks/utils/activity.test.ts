import { makeTask } from '@/testing/fixtures';
import { bucketActivity, MAX_BUCKETS, stageTimes } from './activity';

describe('bucketActivity', () => {
  it('is empty without finished tasks', () => {
    expect(bucketActivity([makeTask({ status: 'queued' })]).buckets).toEqual([]);
  });

  it('counts files and rows per hour, succeeded vs failed, keeping empty hours', () => {
    const { granularity, buckets } = bucketActivity([
      makeTask({ created_at: '2024-05-01T10:05:00Z', status: 'succeeded', row_count: 100, rejected_row_count: 2 }),
      makeTask({ created_at: '2024-05-01T10:55:00Z', status: 'failed', row_count: null, rejected_row_count: null, rows_in: 50 }),
      makeTask({ created_at: '2024-05-01T12:30:00Z', status: 'succeeded', row_count: 7, rejected_row_count: 0 }),
      makeTask({ created_at: '2024-05-01T12:31:00Z', status: 'ingesting' }),
    ]);
    expect(granularity).toBe('hour');
    expect(buckets.map((b) => new Date(b.start).toISOString())).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
    expect(buckets[0]).toMatchObject({ filesSucceeded: 1, filesFailed: 1, rowsIngested: 100, rowsRejected: 52 });
    expect(buckets[1]).toMatchObject({ filesSucceeded: 0, filesFailed: 0, rowsIngested: 0 });
    expect(buckets[2]).toMatchObject({ filesSucceeded: 1, rowsIngested: 7 });
  });

  it('switches to days over long spans and keeps the latest buckets', () => {
    const tasks = Array.from({ length: 100 }, (_, i) =>
      makeTask({ created_at: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString() }),
    );
    const { granularity, buckets } = bucketActivity(tasks);
    expect(granularity).toBe('day');
    expect(buckets).toHaveLength(MAX_BUCKETS);
    expect(new Date(buckets.at(-1)!.start).toISOString()).toBe(new Date(Date.UTC(2024, 0, 100)).toISOString());
  });
});

describe('stageTimes', () => {
  it('averages finished stages in pipeline order', () => {
    const a = makeTask();
    const b = makeTask({
      stages: [
        { name: 'validation', started_at: '2024-05-01T10:00:00Z', finished_at: '2024-05-01T10:00:04Z', duration_ms: null },
        { name: 'ingestion', started_at: '2024-05-01T10:00:04Z', finished_at: null, duration_ms: null },
      ],
    });
    const times = stageTimes([a, b]);
    expect(times.map((t) => t.stage)).toEqual(['upload', 'queued', 'validation', 'ingestion']);
    const validation = times.find((t) => t.stage === 'validation')!;
    expect(validation).toMatchObject({ count: 2, averageMs: 3000, maxMs: 4000, totalMs: 6000 });
    expect(times.find((t) => t.stage === 'ingestion')!.count).toBe(1);
  });
});

describe('bucketActivity in local time', () => {
  it('buckets by the days of the zone shown (the tests run in America/Los_Angeles)', () => {
    const tasks = ['2024-05-01T06:00:00Z', '2024-05-03T06:00:00Z', '2024-05-04T12:00:00Z'].map((created_at) =>
      makeTask({ created_at }),
    );
    // 06:00 UTC is 23:00 the day before in Los Angeles.
    const local = bucketActivity(tasks, 'local');
    expect(local.granularity).toBe('day');
    // Apr 30, May 1 (none), May 2, May 3 (none), May 4 in Los Angeles.
    expect(local.buckets.map((b) => b.filesSucceeded)).toEqual([1, 0, 1, 0, 1]);
    expect(new Date(local.buckets[0]!.start).toISOString()).toBe('2024-04-30T07:00:00.000Z');
    const utc = bucketActivity(tasks, 'utc');
    expect(utc.buckets.map((b) => b.filesSucceeded)).toEqual([1, 0, 1, 1]);
    expect(new Date(utc.buckets[0]!.start).toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });
});
