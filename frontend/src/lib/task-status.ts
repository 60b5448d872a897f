import type { TaskStatus } from './api/types';

const DESCRIPTIONS: Record<TaskStatus, string> = {
  queued: 'Waiting for a worker',
  validating: 'Checking and profiling the file',
  ingesting: 'Loading rows into the datasource',
  awaiting_confirmation: 'Validated; the replace waits for someone to confirm what it drops',
  succeeded: 'All done',
  failed: 'Stopped with an error',
  cancelled: 'Cancelled on request',
};

/** What a status means, in words. */
export function statusDescription(status: TaskStatus): string {
  return DESCRIPTIONS[status] ?? status;
}
