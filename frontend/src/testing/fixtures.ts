import type { Task, TaskSummary } from '@/lib/api/types';

let n = 0;

export function makeTask(overrides: Partial<Task> = {}): Task {
  n += 1;
  const created = overrides.created_at ?? '2024-05-01T10:00:00Z';
  const t0 = Date.parse(created);
  const iso = (ms: number) => new Date(t0 + ms).toISOString();
  return {
    task_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    datasource: 'sales',
    file_name: `file_${n}.csv`,
    size_bytes: 2048,
    sha256: 'ab'.repeat(32),
    format: 'csv',
    mode: 'append',
    timestamp_column: null,
    attempts: 1,
    retries: 0,
    status: 'succeeded',
    created_at: created,
    updated_at: iso(5000),
    stages: [
      { name: 'upload', started_at: iso(0), finished_at: iso(1000), duration_ms: 1000 },
      { name: 'queued', started_at: iso(1000), finished_at: iso(1500), duration_ms: 500 },
      { name: 'validation', started_at: iso(1500), finished_at: iso(3500), duration_ms: 2000 },
      { name: 'ingestion', started_at: iso(3500), finished_at: iso(5000), duration_ms: 1500 },
    ],
    rows_in: 1000,
    row_count: 990,
    rejected_row_count: 10,
    validation: {
      format: 'csv',
      delimiter: ',',
      rows_in: 1000,
      rows_accepted: 990,
      rows_rejected: 10,
      columns: [
        {
          name: 'ts',
          type: 'timestamp',
          null_count: 0,
          min: '2024-01-01T00:00:00Z',
          max: '2024-01-31T00:00:00Z',
          type_reason: 'row time: 990 of 1,000 values read as %Y-%m-%d %H:%M:%S',
        },
        { name: 'price', type: 'double', null_count: 3, min: '1.5', max: '99' },
      ],
      timestamp: { column: 'ts', format: '%Y-%m-%d %H:%M:%S', min: '2024-01-01T00:00:00Z', max: '2024-01-31T00:00:00Z', source: 'column' },
      problems: [{ severity: 'error', code: 'ragged_row', message: 'Row has 4 fields, expected 3.', line: 12, column: null }],
    },
    druid: { task_id: 'index_parallel_sales_1', status: 'SUCCESS', error: null, rows_in_druid: 990, processed: 990, unparseable: 0, thrown_away: 0 },
    error: null,
    ...overrides,
  };
}

/** A task as `GET /api/ingest/tasks` lists it: the summary shape, without the validation report. */
export function makeTaskSummary(overrides: Partial<Task> = {}): TaskSummary {
  const task = makeTask(overrides);
  return {
    task_id: task.task_id,
    datasource: task.datasource,
    file_name: task.file_name,
    size_bytes: task.size_bytes,
    sha256: task.sha256,
    format: task.format,
    mode: task.mode,
    status: task.status,
    created_at: task.created_at,
    updated_at: task.updated_at,
    stages: task.stages,
    rows_in: task.rows_in,
    row_count: task.row_count,
    rejected_row_count: task.rejected_row_count,
    rows_accepted: task.validation?.rows_accepted ?? null,
    error: task.error,
    attempts: task.attempts,
    retries: task.retries ?? 0,
    created_by: task.created_by ?? null,
    committed_at: task.committed_at ?? null,
    schema_drifted: task.schema_drift ? task.schema_drift.drifted : null,
    replace_effect: task.replace_effect ?? null,
    ...(task.progress ? { progress: task.progress } : {}),
  };
}
