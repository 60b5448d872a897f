// Thin mapping from the generated OpenAPI schema to the names the app uses.
// When the server's spec renames a schema, only this file needs to change.
import type { components } from './schema';

type Schemas = components['schemas'];

export type ErrorBody = Schemas['ErrorBody'];
export type Task = Schemas['Task'];
export type TaskStatus = Schemas['TaskStatus'];
export type TaskList = Schemas['TaskList'];
export type Stage = Schemas['Stage'];
export type StageName = Schemas['StageName'];
export type ValidationReport = Schemas['ValidationReport'];
export type ColumnProfile = Schemas['ColumnProfile'];
export type TimestampInfo = Schemas['TimestampInfo'];
export type Problem = Schemas['Problem'];
export type DruidState = Schemas['DruidState'];
export type TaskError = Schemas['TaskError'];
export type UploadAccepted = Schemas['UploadAccepted'];
export type IngestMode = Schemas['IngestMode'];
export type FileFormat = Schemas['FileFormat'];
export type Health = Schemas['Health'];
export type HealthCheck = Schemas['Check'];
export type Datasource = Schemas['DatasourceEntry'];
export type DatasourceDetail = Schemas['DatasourceDetail'];
export type DatasourceUpload = Schemas['UploadEntry'];
export type DatasourceList = Schemas['DatasourceList'];
export type Timeseries = Schemas['TimeSeries'];
export type TimeseriesPoint = Schemas['TimePoint'];
export type Granularity = Schemas['Granularity'];
export type WhoAmI = Schemas['WhoAmI'];
export type Scope = Schemas['Scope'];
export type ReplaceEffect = Schemas['ReplaceEffect'];
// Preview before upload, and how a file was read.
export type FilePreview = Schemas['PreviewAnswer'];
export type PreviewRow = Schemas['PreviewRow'];
export type ColumnType = Schemas['ColumnType'];
export type TextEncoding = Schemas['TextEncoding'];
export type Compression = Schemas['Compression'];
export type Sheet = Schemas['Sheet'];
export type TaskSummary = Schemas['TaskSummary'];
export type ColumnStats = Schemas['ColumnStats'];
export type SchemaDrift = Schemas['SchemaDrift'];

/** Every status the API reports, in lifecycle order. */
export const TASK_STATUSES = [
  'queued',
  'validating',
  'ingesting',
  'awaiting_confirmation',
  'succeeded',
  'failed',
  'cancelled',
] as const satisfies readonly TaskStatus[];

/** Statuses after which a task no longer changes. */
export const FINISHED_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isActiveStatus(status: TaskStatus): boolean {
  return !FINISHED_STATUSES.includes(status);
}
// Progress within a running task's stage (its `progress` field).
export type StageProgress = Schemas['TaskProgress'];
