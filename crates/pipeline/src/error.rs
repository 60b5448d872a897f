use ingest_domain::TaskError;

/// Failures of the machinery itself (not of a user's file): the task is
/// retried by another attempt.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Storage(#[from] ingest_storage::StorageError),
    #[error(transparent)]
    Validation(#[from] ingest_validation::ValidationError),
    #[error("validation worker stopped unexpectedly: {0}")]
    Join(String),
    #[error("local file I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A sink's failure, with words for the user and whether trying again later
/// could help.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// Worth another attempt (a service down), as opposed to a verdict.
    pub retryable: bool,
}

impl SinkError {
    pub fn new(code: &str, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            hint: hint.map(str::to_owned),
            retryable: false,
        }
    }

    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    pub fn to_task_error(&self) -> TaskError {
        TaskError::new(&self.code, self.message.clone(), self.hint.clone())
    }
}
