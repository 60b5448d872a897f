import type { TaskStatus } from './api/types';

const DESCRIPTIONS: Record<TaskStatus, string> = {
  queued: 'Waiting for a worker',
  validating: 'Checking and profiling the file',
  ingesting: 'Loading rows into the datasource',
  succeeded: 'All done',
  failed: 'Stopped with an error',
  cancelled: 'Cancelled on request',
};

/** What a status means, in words. */
export function statusDescription(status: TaskStatus): string {
  return DESCRIPTIONS[status] ?? status;
}
