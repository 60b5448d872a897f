import type { Stage, StageName, Task } from '@/lib/api/types';

export const STAGE_ORDER: readonly StageName[] = ['upload', 'queued', 'validation', 'confirmation', 'ingestion'];

export const STAGE_LABELS: Record<StageName, string> = {
  upload: 'Upload',
  queued: 'Queued',
  validation: 'Validation',
  confirmation: 'Confirmation',
  ingestion: 'Ingestion',
};

/** A stage's duration: the server's value, else finish − start, else (still running) now − start. */
export function stageDurationMs(stage: Stage, now: number = Date.now()): number | null {
  if (stage.duration_ms !== null && stage.duration_ms !== undefined) return stage.duration_ms;
  const start = Date.parse(stage.started_at);
  if (Number.isNaN(start)) return null;
  const end = stage.finished_at ? Date.parse(stage.finished_at) : now;
  return Number.isNaN(end) ? null : Math.max(0, end - start);
}

/** Time from the first stage's start to the last stage's end (or now while running). */
export function taskDurationMs(task: Pick<Task, 'stages'>, now: number = Date.now()): number | null {
  if (task.stages.length === 0) return null;
  const starts = task.stages.map((s) => Date.parse(s.started_at)).filter((n) => !Number.isNaN(n));
  if (starts.length === 0) return null;
  const running = task.stages.some((s) => !s.finished_at);
  const ends = task.stages
    .map((s) => (s.finished_at ? Date.parse(s.finished_at) : now))
    .filter((n) => !Number.isNaN(n));
  const end = running ? now : Math.max(...ends);
  return Math.max(0, end - Math.min(...starts));
}
