import type { StageName, TaskSummary } from '@/lib/api/types';
import { addUnits, floorTime } from '@/lib/time-buckets';
import type { TimeZoneMode } from '@/lib/time-zone';
import { STAGE_ORDER, stageDurationMs } from './stages';

/** What the charts read of a task: a list entry (`TaskSummary`) or a whole task. */
export type ActivityTask = Pick<TaskSummary, 'status' | 'created_at' | 'row_count' | 'rejected_row_count' | 'rows_in' | 'stages'>;

export type ActivityGranularity = 'hour' | 'day';

export type ActivityBucket = {
  /** Bucket start, epoch ms: an hour or a day of the zone the dashboard shows. */
  start: number;
  filesSucceeded: number;
  filesFailed: number;
  rowsIngested: number;
  rowsRejected: number;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const MAX_BUCKETS = 60;

/**
 * Buckets finished tasks by creation time: files and rows, succeeded vs failed.
 * Hourly when the tasks span at most two days, daily otherwise, by the hours and days of
 * `zone`; every bucket in the range is returned, an empty one as 0 (a gap reads as 0, not
 * as a line drawn across it), and only the latest MAX_BUCKETS buckets.
 */
export function bucketActivity(
  tasks: ActivityTask[],
  zone: TimeZoneMode = 'utc',
): { granularity: ActivityGranularity; buckets: ActivityBucket[] } {
  const finished = tasks
    .filter((t) => t.status === 'succeeded' || t.status === 'failed')
    .map((t) => ({ t, at: Date.parse(t.created_at) }))
    .filter(({ at }) => !Number.isNaN(at));
  if (finished.length === 0) return { granularity: 'hour', buckets: [] };
  const min = Math.min(...finished.map((f) => f.at));
  const max = Math.max(...finished.map((f) => f.at));
  const granularity: ActivityGranularity = max - min <= 2 * DAY ? 'hour' : 'day';
  const last = floorTime(max, granularity, zone);
  const first = Math.max(floorTime(min, granularity, zone), addUnits(last, granularity, -(MAX_BUCKETS - 1), zone));
  const buckets = new Map<number, ActivityBucket>();
  for (let s = first; s <= last; s = addUnits(s, granularity, 1, zone)) {
    buckets.set(s, { start: s, filesSucceeded: 0, filesFailed: 0, rowsIngested: 0, rowsRejected: 0 });
  }
  for (const { t, at } of finished) {
    const b = buckets.get(floorTime(at, granularity, zone));
    if (!b) continue;
    if (t.status === 'succeeded') {
      b.filesSucceeded += 1;
      b.rowsIngested += t.row_count ?? 0;
      b.rowsRejected += t.rejected_row_count ?? 0;
    } else {
      b.filesFailed += 1;
      b.rowsRejected += t.rejected_row_count ?? t.rows_in ?? 0;
    }
  }
  return { granularity, buckets: [...buckets.values()] };
}

export type StageTime = { stage: StageName; count: number; averageMs: number; maxMs: number; totalMs: number };

/** Average, max and total time spent in each stage, over finished stages of the given tasks. */
export function stageTimes(tasks: ActivityTask[]): StageTime[] {
  const acc = new Map<StageName, number[]>();
  for (const task of tasks) {
    for (const stage of task.stages) {
      if (!stage.finished_at) continue;
      const ms = stageDurationMs(stage);
      if (ms === null) continue;
      const list = acc.get(stage.name) ?? [];
      list.push(ms);
      acc.set(stage.name, list);
    }
  }
  return STAGE_ORDER.filter((name) => acc.has(name)).map((stage) => {
    const list = acc.get(stage) ?? [];
    const totalMs = list.reduce((a, b) => a + b, 0);
    return { stage, count: list.length, averageMs: totalMs / list.length, maxMs: Math.max(...list), totalMs };
  });
}
