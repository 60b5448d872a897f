import type { StageName, Task } from '@/lib/api/types';
import { STAGE_ORDER, stageDurationMs } from './stages';

export type ActivityGranularity = 'hour' | 'day';

export type ActivityBucket = {
  /** Bucket start, epoch ms (UTC). */
  start: number;
  filesSucceeded: number;
  filesFailed: number;
  rowsIngested: number;
  rowsRejected: number;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const MAX_BUCKETS = 60;

function floorTo(t: number, g: ActivityGranularity) {
  return g === 'hour' ? Math.floor(t / HOUR) * HOUR : Math.floor(t / DAY) * DAY;
}

/**
 * Buckets finished tasks by creation time: files and rows, succeeded vs failed.
 * Hourly when the tasks span at most two days, daily otherwise; empty buckets are kept
 * so gaps show, and only the latest MAX_BUCKETS buckets are returned.
 */
export function bucketActivity(tasks: Task[]): { granularity: ActivityGranularity; buckets: ActivityBucket[] } {
  const finished = tasks
    .filter((t) => t.status === 'succeeded' || t.status === 'failed')
    .map((t) => ({ t, at: Date.parse(t.created_at) }))
    .filter(({ at }) => !Number.isNaN(at));
  if (finished.length === 0) return { granularity: 'hour', buckets: [] };
  const min = Math.min(...finished.map((f) => f.at));
  const max = Math.max(...finished.map((f) => f.at));
  const granularity: ActivityGranularity = max - min <= 2 * DAY ? 'hour' : 'day';
  const step = granularity === 'hour' ? HOUR : DAY;
  const last = floorTo(max, granularity);
  const first = Math.max(floorTo(min, granularity), last - (MAX_BUCKETS - 1) * step);
  const buckets = new Map<number, ActivityBucket>();
  for (let s = first; s <= last; s += step) {
    buckets.set(s, { start: s, filesSucceeded: 0, filesFailed: 0, rowsIngested: 0, rowsRejected: 0 });
  }
  for (const { t, at } of finished) {
    const b = buckets.get(floorTo(at, granularity));
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
export function stageTimes(tasks: Task[]): StageTime[] {
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

export function formatBucket(start: number, granularity: ActivityGranularity): string {
  const d = new Date(start);
  return granularity === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}
