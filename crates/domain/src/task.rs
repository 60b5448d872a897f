use std::{collections::BTreeMap, fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    ColumnType, DatasourceName, FileFormat, IngestMode, OnSchemaChange, RejectedRows,
    RejectionBudget, ReplaceEffect, SchemaDrift, TaskProgress, UnknownValue, ValidationReport,
    Warning,
};

/// Identifies one upload and everything that happens to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Uuid)]
pub struct TaskId(pub Uuid);

impl TaskId {
    /// Time-ordered, so ids sort like creation times.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for TaskId {
    fn default() -> Self {
        Self::new()
    }
}

impl FromStr for TaskId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Queued,
    Validating,
    Ingesting,
    /// A replace, validated, waits for a person to confirm what it drops
    /// (`replace_effect`); no worker holds it.
    AwaitingConfirmation,
    Succeeded,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 7] = [
        Self::Queued,
        Self::Validating,
        Self::Ingesting,
        Self::AwaitingConfirmation,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Validating => "validating",
            Self::Ingesting => "ingesting",
            Self::AwaitingConfirmation => "awaiting_confirmation",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Statuses a worker may still be working on (or may claim).
    pub const UNFINISHED: [TaskStatus; 3] = [Self::Queued, Self::Validating, Self::Ingesting];
    /// Statuses that never change again, except by a person's "run again".
    pub const TERMINAL: [TaskStatus; 3] = [Self::Succeeded, Self::Failed, Self::Cancelled];
    /// Statuses waiting for a person; no worker claims them.
    pub const WAITING: [TaskStatus; 1] = [Self::AwaitingConfirmation];
    /// Statuses a person may cancel.
    pub const CANCELLABLE: [TaskStatus; 4] = [
        Self::Queued,
        Self::Validating,
        Self::Ingesting,
        Self::AwaitingConfirmation,
    ];

    pub fn is_terminal(self) -> bool {
        Self::TERMINAL.contains(&self)
    }
}

/// A status change the state machine refuses (e.g. `succeeded` → `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} task cannot become {to}")]
pub struct IllegalTransition {
    pub from: TaskStatus,
    pub to: TaskStatus,
}

impl FromStr for TaskStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownValue {
                field: "status",
                value: s.to_owned(),
                expected: "queued, validating, ingesting, awaiting_confirmation, succeeded, failed, cancelled",
            })
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Upload,
    Queued,
    Validation,
    /// A replace waiting for a person to confirm its effect.
    Confirmation,
    Ingestion,
}

/// One step of a task's life, with its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stage {
    pub name: StageName,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

/// Why a task failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskError {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl TaskError {
    pub fn new(code: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            hint,
        }
    }
}

/// What Druid did with the task, when Druid is the sink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DruidState {
    pub task_id: String,
    /// Druid's own status word: RUNNING, SUCCESS, FAILED.
    pub status: Option<String>,
    pub error: Option<String>,
    /// Rows Druid SQL counts for the ingested interval once segments are queryable.
    pub rows_in_druid: Option<u64>,
    pub processed: Option<u64>,
    pub unparseable: Option<u64>,
    pub thrown_away: Option<u64>,
}

/// An upload and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub task_id: TaskId,
    #[schema(value_type = String)]
    pub datasource: DatasourceName,
    pub file_name: String,
    /// Where the uploaded bytes live in the object store.
    #[serde(skip)]
    pub object_key: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: FileFormat,
    pub mode: IngestMode,
    /// The time column the uploader asked for, if any.
    pub timestamp_column: Option<String>,
    /// The text encoding the uploader named (`encoding` field), overriding
    /// detection; a WHATWG label such as `windows-1252` or `utf-16le`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The XLSX sheet the uploader chose (`sheet` field): a name or a
    /// 1-based number; the first non-empty sheet when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Column types the uploader chose (`column_types` field), overriding
    /// inference; a value that does not fit is a rejected row.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_types: BTreeMap<String, ColumnType>,
    /// How the time column's values are written (`timestamp_format` field):
    /// a chrono strftime pattern, or `rfc3339`, `epoch_seconds`, `epoch_millis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_format: Option<String>,
    /// Changed only by the transitions below (`start_validation`, …); the
    /// store decodes it from its column.
    status: TaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stages: Vec<Stage>,
    /// Data rows read from the file.
    pub rows_in: Option<u64>,
    /// Rows accepted and written to the sink.
    pub row_count: Option<u64>,
    pub rejected_row_count: Option<u64>,
    pub validation: Option<ValidationReport>,
    pub druid: Option<DruidState>,
    pub error: Option<TaskError>,
    /// How many times a worker has picked this task up (since the last retry).
    pub attempts: u32,
    /// How many times a person asked to run it again after it ended.
    #[serde(default)]
    pub retries: u32,
    /// The name of the API token that uploaded it; `null` when the API was open.
    #[serde(default)]
    pub created_by: Option<String>,
    /// The token that last cancelled it, if any.
    #[serde(default)]
    pub cancelled_by: Option<String>,
    /// The token that last ran it again, if any.
    #[serde(default)]
    pub retried_by: Option<String>,
    /// When this run reached the sink's commit point (local sink: recorded
    /// under the datasource lock right before the manifest switch; Druid:
    /// when Druid reported `SUCCESS`). From then on the task stays
    /// `ingesting` until it is `succeeded`, and cannot be cancelled: its
    /// rows are (or are about to be) visible.
    #[serde(default)]
    pub committed_at: Option<DateTime<Utc>>,
    /// A replace: what it drops, as last computed (after validation, and
    /// again right before ingesting).
    #[serde(default)]
    pub replace_effect: Option<ReplaceEffect>,
    /// A replace: who agreed to its effect; `null` until someone did.
    #[serde(default)]
    pub replace_consent: Option<ReplaceConsent>,
    /// The token that confirmed it, if any.
    #[serde(default)]
    pub confirmed_by: Option<String>,
    /// What did not stop the task but deserves a look, e.g.
    /// `duplicate_upload` (the same file was appended before).
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// How many ragged, undecodable or mistyped rows the file may lose
    /// (`max_rejected_rows` / `max_rejected_ratio`); kept for "Run again".
    #[serde(default, skip_serializing_if = "is_unset")]
    pub rejection_budget: RejectionBudget,
    /// This run's rejected rows, when it had any and they were kept:
    /// download them from `GET /api/ingest/tasks/{task_id}/rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_rows: Option<RejectedRows>,
    /// What the upload does when its schema differs from its datasource's
    /// (`on_schema_change` field): `allow` (default) or `fail`.
    #[serde(default)]
    pub on_schema_change: OnSchemaChange,
    /// How its validated schema compared with its datasource's, decided
    /// right before ingesting; `null` until then.
    #[serde(default)]
    pub schema_drift: Option<SchemaDrift>,
    /// How far the running stage has got (validating or ingesting), as its
    /// worker last published it; absent otherwise. Stored apart from the
    /// task's body (see `TaskProgress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<TaskProgress>,
}

fn is_unset(budget: &RejectionBudget) -> bool {
    !budget.is_set()
}

/// How a replace was agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceConsent {
    /// `confirm=true` came with the upload: whatever the replace drops.
    Upfront,
    /// A person confirmed `replace_effect`: exactly those rows. If what the
    /// window holds has changed by the time the task ingests, it waits for
    /// a confirmation again.
    Effect,
}

/// What is known of an upload once its bytes are stored: the file, not yet
/// its rows.
#[derive(Debug, Clone)]
pub struct StoredUpload {
    pub task_id: TaskId,
    pub datasource: DatasourceName,
    pub file_name: String,
    pub object_key: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: FileFormat,
    pub mode: IngestMode,
    pub timestamp_column: Option<String>,
}

impl Task {
    /// A task waiting for a worker, created at `now`; its history starts with
    /// the upload stage (from `upload_started` to `now`) and an open queue stage.
    pub fn queued(upload: StoredUpload, upload_started: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let StoredUpload {
            task_id,
            datasource,
            file_name,
            object_key,
            size_bytes,
            sha256,
            format,
            mode,
            timestamp_column,
        } = upload;
        let mut task = Self {
            task_id,
            datasource,
            file_name,
            object_key,
            size_bytes,
            sha256,
            format,
            mode,
            timestamp_column,
            encoding: None,
            sheet: None,
            column_types: BTreeMap::new(),
            timestamp_format: None,
            status: TaskStatus::Queued,
            created_at: now,
            updated_at: now,
            stages: vec![Stage {
                name: StageName::Upload,
                started_at: upload_started,
                finished_at: None,
                duration_ms: None,
            }],
            rows_in: None,
            row_count: None,
            rejected_row_count: None,
            validation: None,
            druid: None,
            error: None,
            attempts: 0,
            retries: 0,
            created_by: None,
            cancelled_by: None,
            retried_by: None,
            committed_at: None,
            replace_effect: None,
            replace_consent: None,
            confirmed_by: None,
            warnings: Vec::new(),
            rejection_budget: RejectionBudget::default(),
            rejected_rows: None,
            on_schema_change: OnSchemaChange::default(),
            schema_drift: None,
            progress: None,
        };
        task.enter_stage(Some(StageName::Queued), now);
        task
    }

    pub fn status(&self) -> TaskStatus {
        self.status
    }

    /// Whether this upload's rows would be counted twice if `earlier`
    /// (the same file, to the same datasource) holds them: appends add
    /// rows, a replace takes the place of what the file covers.
    pub fn could_duplicate(&self) -> bool {
        self.mode == IngestMode::Append
    }

    /// Notes that `earlier` uploaded the same content to the same
    /// datasource: appended again, its rows are in the datasource twice.
    pub fn warn_duplicate_of(&mut self, earlier: TaskId) {
        self.warnings.push(Warning::new(
            "duplicate_upload",
            format!(
                "the same file (SHA-256 {}) was already uploaded to {} by task {earlier}; appended again, its rows are counted twice",
                self.sha256, self.datasource
            ),
            serde_json::json!({
                "earlier_task_id": earlier,
                "sha256": self.sha256,
                "hint": "If this upload was a mistake, cancel it; to make retries safe, send an Idempotency-Key with each upload.",
            }),
        ));
    }

    /// Whether a person may run this task again (it failed or was cancelled;
    /// the uploaded file is still stored).
    pub fn can_retry(&self) -> bool {
        self.check(
            &[TaskStatus::Failed, TaskStatus::Cancelled],
            TaskStatus::Queued,
        )
        .is_ok()
    }

    /// The one place that decides whether `self.status` may become `to`.
    fn check(&self, from: &[TaskStatus], to: TaskStatus) -> Result<(), IllegalTransition> {
        if from.contains(&self.status) {
            Ok(())
        } else {
            Err(IllegalTransition {
                from: self.status,
                to,
            })
        }
    }

    /// Moves to `to` (legal from `from`), closing the open stage and opening
    /// `stage` at `now`.
    fn move_to(
        &mut self,
        from: &[TaskStatus],
        to: TaskStatus,
        stage: Option<StageName>,
        now: DateTime<Utc>,
    ) -> Result<(), IllegalTransition> {
        self.check(from, to)?;
        self.status = to;
        self.enter_stage(stage, now);
        Ok(())
    }

    /// A worker starts (or, after a takeover, restarts) validating: legal
    /// from any unfinished status, since a claim of an expired lease begins
    /// the work again from the stored upload.
    pub fn start_validation(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(
            &TaskStatus::UNFINISHED,
            TaskStatus::Validating,
            Some(StageName::Validation),
            now,
        )
    }

    /// Validation passed; the rows go to the sink.
    pub fn start_ingesting(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(
            &[TaskStatus::Validating],
            TaskStatus::Ingesting,
            Some(StageName::Ingestion),
            now,
        )
    }

    /// The sink holds `rows` rows of this upload.
    pub fn succeed(&mut self, rows: u64, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(&[TaskStatus::Ingesting], TaskStatus::Succeeded, None, now)?;
        self.row_count = Some(rows);
        self.error = None;
        Ok(())
    }

    /// Ends an unfinished task as failed, with why.
    pub fn fail(&mut self, error: TaskError, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(&TaskStatus::UNFINISHED, TaskStatus::Failed, None, now)?;
        self.error = Some(error);
        Ok(())
    }

    /// A person stops an unfinished (or waiting) task that has not reached
    /// its sink's commit point (after it, its rows are visible: cancel has
    /// nothing left to stop, and refusing keeps "cancelled" meaning
    /// "nothing visible").
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        if self.committed_at.is_some() {
            return Err(IllegalTransition {
                from: self.status,
                to: TaskStatus::Cancelled,
            });
        }
        self.move_to(&TaskStatus::CANCELLABLE, TaskStatus::Cancelled, None, now)
    }

    /// Whether a replace may go ahead dropping what `effect` describes.
    pub fn consents_to(&self, effect: &ReplaceEffect) -> bool {
        match self.replace_consent {
            Some(ReplaceConsent::Upfront) => true,
            Some(ReplaceConsent::Effect) => self
                .replace_effect
                .as_ref()
                .is_some_and(|agreed| agreed.drops_the_same(effect)),
            None => false,
        }
    }

    /// A validated replace stops until a person confirms `effect`: no
    /// worker holds it meanwhile. Any earlier consent is void (it was for
    /// another effect).
    pub fn await_confirmation(
        &mut self,
        effect: ReplaceEffect,
        now: DateTime<Utc>,
    ) -> Result<(), IllegalTransition> {
        self.move_to(
            &[TaskStatus::Validating],
            TaskStatus::AwaitingConfirmation,
            Some(StageName::Confirmation),
            now,
        )?;
        self.replace_effect = Some(effect);
        self.replace_consent = None;
        Ok(())
    }

    /// A person agrees to `replace_effect`: the task is queued again (a
    /// worker validates the stored upload again, then ingests if the
    /// effect still holds), with a fresh attempt budget.
    pub fn confirm(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(
            &[TaskStatus::AwaitingConfirmation],
            TaskStatus::Queued,
            Some(StageName::Queued),
            now,
        )?;
        self.replace_consent = Some(ReplaceConsent::Effect);
        self.attempts = 0;
        Ok(())
    }

    /// The run reaches its sink's commit point: legal only while ingesting;
    /// recording it again keeps the first time. The status stays `ingesting`.
    pub fn commit(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.check(&[TaskStatus::Ingesting], TaskStatus::Succeeded)?;
        self.committed_at.get_or_insert(now);
        self.updated_at = now;
        Ok(())
    }

    /// Whether the run has passed its sink's commit point.
    pub fn is_committed(&self) -> bool {
        self.committed_at.is_some()
    }

    /// Queues a failed or cancelled task again: what the last run found is
    /// cleared, its stages stay as history, and the attempt count restarts.
    pub fn requeue(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        self.move_to(
            &[TaskStatus::Failed, TaskStatus::Cancelled],
            TaskStatus::Queued,
            Some(StageName::Queued),
            now,
        )?;
        self.rows_in = None;
        self.row_count = None;
        self.rejected_row_count = None;
        self.rejected_rows = None;
        self.validation = None;
        self.druid = None;
        self.error = None;
        self.committed_at = None;
        self.schema_drift = None;
        self.attempts = 0;
        self.retries += 1;
        Ok(())
    }

    /// A worker stopping for a server shutdown gives an unfinished task back
    /// before its sink's commit point: queued again at once, and the attempt
    /// it had begun is not counted (it did not fail). Refused once committed:
    /// a committed run must finish (or be taken over when its lease runs
    /// out), never start again from scratch.
    pub fn hand_back(&mut self, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        if self.committed_at.is_some() {
            return Err(IllegalTransition {
                from: self.status,
                to: TaskStatus::Queued,
            });
        }
        self.move_to(
            &TaskStatus::UNFINISHED,
            TaskStatus::Queued,
            Some(StageName::Queued),
            now,
        )?;
        self.attempts = self.attempts.saturating_sub(1);
        Ok(())
    }

    /// Records why the last attempt did not finish, without changing the
    /// status (the task will be tried again).
    pub fn record_error(&mut self, error: TaskError, now: DateTime<Utc>) {
        self.error = Some(error);
        self.updated_at = now;
    }

    /// Closes the open stage (if any) and opens `next` (if any) at `now`.
    fn enter_stage(&mut self, next: Option<StageName>, now: DateTime<Utc>) {
        if let Some(open) = self
            .stages
            .iter_mut()
            .rev()
            .find(|s| s.finished_at.is_none())
        {
            open.finished_at = Some(now);
            open.duration_ms = Some((now - open.started_at).num_milliseconds());
        }
        if let Some(name) = next {
            self.stages.push(Stage {
                name,
                started_at: now,
                finished_at: None,
                duration_ms: None,
            });
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    fn task_in(status: TaskStatus) -> Task {
        let now = Utc::now();
        let upload = StoredUpload {
            task_id: TaskId::new(),
            datasource: DatasourceName::parse("t").expect("name"),
            file_name: "f.csv".into(),
            object_key: "k".into(),
            size_bytes: 1,
            sha256: String::new(),
            format: FileFormat::Csv,
            mode: IngestMode::Append,
            timestamp_column: None,
        };
        let mut task = Task::queued(upload, now, now);
        task.status = status;
        task
    }

    fn effect(replaced: u64) -> ReplaceEffect {
        let now = Utc::now();
        ReplaceEffect::new("t", crate::ReplaceWindow::covering(now, now), replaced, 10)
    }

    #[test]
    fn a_replace_waits_for_consent_to_exactly_its_effect() {
        let mut task = task_in(Validating);
        assert!(!task.consents_to(&effect(5)), "no consent yet");
        task.await_confirmation(effect(5), Utc::now())
            .expect("await");
        assert_eq!(
            task.stages.last().map(|s| s.name),
            Some(StageName::Confirmation)
        );
        task.attempts = 1;
        task.confirm(Utc::now()).expect("confirm");
        assert_eq!((task.status(), task.attempts), (Queued, 0));
        assert!(task.consents_to(&effect(5)));
        assert!(!task.consents_to(&effect(6)), "the window changed since");
        task.start_validation(Utc::now()).expect("validate");
        task.await_confirmation(effect(6), Utc::now())
            .expect("await again");
        assert!(!task.consents_to(&effect(6)), "asked again");
        task.replace_consent = Some(ReplaceConsent::Upfront);
        assert!(task.consents_to(&effect(99)), "confirm=true agrees to any");
    }

    #[test]
    fn serialized_statuses_are_their_names() {
        for status in TaskStatus::ALL {
            let json = serde_json::to_value(status).expect("serialize");
            assert_eq!(json, status.as_str(), "{status:?}");
        }
    }

    #[test]
    fn a_waiting_task_is_neither_claimable_nor_finished() {
        assert!(!TaskStatus::UNFINISHED.contains(&AwaitingConfirmation));
        assert!(!AwaitingConfirmation.is_terminal());
        assert_eq!(
            "awaiting_confirmation".parse::<TaskStatus>(),
            Ok(AwaitingConfirmation)
        );
    }

    type Move = fn(&mut Task, DateTime<Utc>) -> Result<(), IllegalTransition>;

    /// Every transition, the statuses it is legal from, and where it leads.
    fn moves() -> Vec<(&'static str, Move, Vec<TaskStatus>, TaskStatus)> {
        vec![
            (
                "start_validation",
                Task::start_validation,
                vec![Queued, Validating, Ingesting],
                Validating,
            ),
            (
                "start_ingesting",
                Task::start_ingesting,
                vec![Validating],
                Ingesting,
            ),
            (
                "succeed",
                |t, now| t.succeed(7, now),
                vec![Ingesting],
                Succeeded,
            ),
            (
                "fail",
                |t, now| t.fail(TaskError::new("boom", "it broke", None), now),
                vec![Queued, Validating, Ingesting],
                Failed,
            ),
            (
                "cancel",
                Task::cancel,
                vec![Queued, Validating, Ingesting, AwaitingConfirmation],
                Cancelled,
            ),
            (
                "await_confirmation",
                |t, now| t.await_confirmation(effect(5), now),
                vec![Validating],
                AwaitingConfirmation,
            ),
            ("confirm", Task::confirm, vec![AwaitingConfirmation], Queued),
            ("requeue", Task::requeue, vec![Failed, Cancelled], Queued),
        ]
    }

    #[test]
    fn every_transition_is_legal_exactly_where_the_table_says() {
        for (name, apply, legal_from, to) in moves() {
            for from in TaskStatus::ALL {
                let mut task = task_in(from);
                let before = task.clone();
                let outcome = apply(&mut task, Utc::now());
                if legal_from.contains(&from) {
                    assert_eq!(outcome, Ok(()), "{name} from {from}");
                    assert_eq!(task.status(), to, "{name} from {from}");
                } else {
                    assert_eq!(
                        outcome,
                        Err(IllegalTransition { from, to }),
                        "{name} from {from} must be refused"
                    );
                    assert_eq!(task, before, "a refused {name} changes nothing");
                }
            }
        }
    }

    #[test]
    fn a_full_run_records_its_stages_and_outcome() {
        let mut task = task_in(Queued);
        task.start_validation(Utc::now()).expect("validate");
        task.start_ingesting(Utc::now()).expect("ingest");
        task.succeed(42, Utc::now()).expect("succeed");
        assert_eq!(task.row_count, Some(42));
        let names: Vec<StageName> = task.stages.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                StageName::Upload,
                StageName::Queued,
                StageName::Validation,
                StageName::Ingestion
            ]
        );
        assert!(task.stages.iter().all(|s| s.finished_at.is_some()));
    }

    #[test]
    fn requeue_clears_the_last_run_and_counts_the_retry() {
        let mut task = task_in(Queued);
        task.attempts = 3;
        task.row_count = Some(1);
        task.fail(TaskError::new("boom", "it broke", None), Utc::now())
            .expect("fail");
        assert!(task.can_retry());
        task.requeue(Utc::now()).expect("requeue");
        assert_eq!(task.status(), Queued);
        assert_eq!((task.attempts, task.retries), (0, 1));
        assert!(task.error.is_none() && task.row_count.is_none());
        assert!(!task.can_retry());
    }

    #[test]
    fn a_committed_task_refuses_cancel_and_still_succeeds() {
        for from in TaskStatus::ALL {
            let outcome = task_in(from).commit(Utc::now());
            assert_eq!(outcome.is_ok(), from == Ingesting, "commit from {from}");
        }
        let mut task = task_in(Ingesting);
        task.commit(Utc::now()).expect("commit");
        let first = task.committed_at;
        task.commit(Utc::now()).expect("commit again");
        assert_eq!(task.committed_at, first, "the first commit time stays");
        let before = task.clone();
        assert_eq!(
            task.cancel(Utc::now()),
            Err(IllegalTransition {
                from: Ingesting,
                to: Cancelled
            })
        );
        assert_eq!(task, before, "a refused cancel changes nothing");
        task.succeed(3, Utc::now()).expect("succeed");
        assert_eq!(task.status(), Succeeded);
    }

    #[test]
    fn hand_back_queues_an_uncommitted_task_without_counting_the_attempt() {
        for from in TaskStatus::ALL {
            let mut task = task_in(from);
            task.attempts = 2;
            let outcome = task.hand_back(Utc::now());
            // Only a status a worker holds can be handed back: not a
            // terminal one, nor a replace waiting for a person (no lease).
            let held = matches!(from, Queued | Validating | Ingesting);
            assert_eq!(outcome.is_ok(), held, "hand back from {from}");
            if outcome.is_ok() {
                assert_eq!((task.status(), task.attempts), (Queued, 1));
            }
        }
        let mut task = task_in(Ingesting);
        task.commit(Utc::now()).expect("commit");
        let before = task.clone();
        assert!(
            task.hand_back(Utc::now()).is_err(),
            "a committed run is never handed back"
        );
        assert_eq!(task, before);
    }

    #[test]
    fn requeue_forgets_the_last_runs_commit() {
        let mut task = task_in(Ingesting);
        task.commit(Utc::now()).expect("commit");
        task.fail(TaskError::new("boom", "it broke", None), Utc::now())
            .expect("fail");
        task.requeue(Utc::now()).expect("requeue");
        assert!(!task.is_committed());
    }

    #[test]
    fn status_lists_split_every_status_once() {
        for status in TaskStatus::ALL {
            let lists = [
                &TaskStatus::UNFINISHED[..],
                &TaskStatus::TERMINAL[..],
                &TaskStatus::WAITING[..],
            ];
            let holding = lists.iter().filter(|l| l.contains(&status)).count();
            assert_eq!(holding, 1, "{status}");
        }
    }

    #[test]
    fn a_repeated_append_is_warned_and_the_warning_outlives_a_rerun() {
        let mut task = task_in(Failed);
        assert!(task.could_duplicate(), "appends add rows");
        let earlier = TaskId::new();
        task.warn_duplicate_of(earlier);
        task.requeue(Utc::now()).expect("a failed task runs again");
        assert_eq!(task.warnings.len(), 1);
        assert_eq!(task.warnings[0].code, "duplicate_upload");
        assert_eq!(
            task.warnings[0].details["earlier_task_id"],
            earlier.to_string()
        );
        assert!(task.warnings[0].message.contains(&earlier.to_string()));
        task.mode = IngestMode::Replace;
        assert!(
            !task.could_duplicate(),
            "a replace takes the place of its data"
        );
    }
}
