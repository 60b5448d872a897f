use ingest_domain::{IllegalTransition, TaskError};
use ingest_storage::StorageError;

/// What stopped an attempt short of an answer about the file. Every one of
/// them is recorded on the task (its code and message): a transient one is
/// tried again later, a permanent one fails the task at once.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Validation(#[from] ingest_validation::ValidationError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// A panic in the task's work: a bug, and deterministic, so never retried.
    #[error("the worker panicked: {0}")]
    Panic(String),
    #[error("the validation thread stopped unexpectedly: {0}")]
    Join(String),
    #[error("local file I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the task's state machine refused a step: {0}")]
    Illegal(#[from] IllegalTransition),
}

impl PipelineError {
    /// The panic payload of a `JoinError` or `catch_unwind`, as words.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Self::Panic(message)
    }

    /// Whether another attempt later could succeed (a service that is down),
    /// as opposed to a verdict that would only repeat.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Storage(StorageError::Object { .. } | StorageError::Database { .. }) => true,
            Self::Sink(error) => error.retryable,
            _ => false,
        }
    }

    /// The code, message and hint the task records.
    pub fn to_task_error(&self) -> TaskError {
        let (code, hint) = match self {
            Self::Sink(error) => return error.to_task_error(),
            Self::Storage(StorageError::ObjectNotFound { .. }) => (
                "upload_missing",
                "The uploaded file is no longer in the object store; upload it again.",
            ),
            Self::Storage(StorageError::Object { .. }) => (
                "object_store_unavailable",
                "The object store did not answer; the task is retried automatically. Check S3_ENDPOINT and that the S3 server is running.",
            ),
            Self::Storage(StorageError::Database { .. }) => (
                "database_unavailable",
                "The task database did not answer; the task is retried automatically. Check DATABASE_URL and that the database is running.",
            ),
            Self::Storage(StorageError::Io { .. }) | Self::Io(_) => (
                "local_io_failed",
                "Check that the data directory (INGEST_DATA_DIR) is writable and has free space.",
            ),
            Self::Validation(_) => (
                "validation_io_failed",
                "The file could not be read or the validated rows could not be written; check free space in INGEST_DATA_DIR.",
            ),
            Self::Storage(_) | Self::Panic(_) | Self::Join(_) | Self::Illegal(_) => (
                "internal_error",
                "This is a bug in the service, not a problem with your file; the server log has the details.",
            ),
        };
        TaskError::new(code, error_chain(self), Some(hint.to_owned()))
    }
}

/// The error and its causes, so the task says more than "failed".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// What a sink failure means to a caller, whatever the sink: the HTTP
/// layer maps each kind to one status (`crates/api/src/error.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkErrorKind {
    /// The datasource (or what was asked of it) does not exist.
    NotFound,
    /// The sink is down, unreachable or overloaded; trying again may work.
    Unavailable,
    /// The sink answered and refused the request as it stands.
    Rejected,
    /// Our bug, a misconfiguration, or an answer we cannot read.
    Internal,
}

/// A sink's failure, with words for the user and whether trying again later
/// could help.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub code: String,
    /// May quote the sink's own answer and internal URLs: for the task and
    /// the log, never for an HTTP response.
    pub message: String,
    pub hint: Option<String>,
    /// Worth another attempt (a service down), as opposed to a verdict.
    pub retryable: bool,
    pub kind: SinkErrorKind,
}

impl SinkError {
    /// An `Internal` failure until said otherwise (`with_kind`, `retryable`).
    pub fn new(code: &str, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            hint: hint.map(str::to_owned),
            retryable: false,
            kind: SinkErrorKind::Internal,
        }
    }

    /// Worth another attempt: the sink is `Unavailable`.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self.kind = SinkErrorKind::Unavailable;
        self
    }

    pub fn with_kind(mut self, kind: SinkErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn to_task_error(&self) -> TaskError {
        TaskError::new(&self.code, self.message.clone(), self.hint.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_retried_and_verdicts_and_bugs_are_not() {
        let outage = PipelineError::Storage(StorageError::Object {
            operation: "get",
            key: "uploads/a.csv".into(),
            source: Box::new(std::io::Error::other("503 Slow Down")),
        });
        assert!(outage.is_transient());
        let error = outage.to_task_error();
        assert_eq!(error.code, "object_store_unavailable");
        assert!(
            error.message.contains("503 Slow Down"),
            "the cause is kept: {}",
            error.message
        );

        let gone = PipelineError::Storage(StorageError::ObjectNotFound { key: "k".into() });
        assert!(!gone.is_transient());
        assert_eq!(gone.to_task_error().code, "upload_missing");

        let panic = PipelineError::from_panic(&"index out of bounds");
        assert!(!panic.is_transient(), "a panic would only repeat");
        let error = panic.to_task_error();
        assert_eq!(error.code, "internal_error");
        assert!(error.message.contains("index out of bounds"));

        let down = SinkError::new("druid_unreachable", "connection refused", None).retryable();
        assert!(PipelineError::Sink(down).is_transient());
        let verdict = SinkError::new("druid_task_failed", "bad spec", None);
        assert!(!PipelineError::Sink(verdict.clone()).is_transient());
        assert_eq!(
            PipelineError::Sink(verdict).to_task_error().code,
            "druid_task_failed"
        );
    }
}
