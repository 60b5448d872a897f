/// Everything that can go wrong talking to a storage backend. Messages name
/// the operation; the source carries the backend's own words for the logs.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object {key} not found")]
    ObjectNotFound { key: String },
    #[error("object store {operation} failed for {key}")]
    Object {
        operation: &'static str,
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("local file I/O failed: {context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database {operation} failed")]
    Database {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored task {id} is corrupt: {reason}")]
    CorruptTask { id: String, reason: String },
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// A change the task's state machine refused (our bug).
    #[error(transparent)]
    Transition(#[from] ingest_domain::IllegalTransition),
}

/// What a storage failure means to a caller, whatever the backend: the
/// HTTP layer maps each kind to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The object or row asked for does not exist.
    NotFound,
    /// The backend refused the write as it stands (a constraint).
    Rejected,
    /// The backend is down or timing out; trying again may work.
    Unavailable,
    /// Our bug, or data we wrote that we cannot read back.
    Internal,
}

impl StorageError {
    pub fn kind(&self) -> StorageErrorKind {
        use StorageErrorKind as K;
        match self {
            Self::ObjectNotFound { .. } => K::NotFound,
            Self::Database { source, .. } => match source {
                sqlx::Error::RowNotFound => K::NotFound,
                sqlx::Error::Database(db) if db.constraint().is_some() => K::Rejected,
                sqlx::Error::ColumnDecode { .. }
                | sqlx::Error::Decode(_)
                | sqlx::Error::ColumnNotFound(_)
                | sqlx::Error::TypeNotFound { .. } => K::Internal,
                _ => K::Unavailable,
            },
            Self::Object { .. } | Self::Migration(_) => K::Unavailable,
            Self::Io { .. } | Self::CorruptTask { .. } | Self::Config(_) | Self::Transition(_) => {
                K::Internal
            }
        }
    }

    pub(crate) fn db(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { operation, source }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    pub(crate) fn object<E>(operation: &'static str, key: &str) -> impl FnOnce(E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let key = key.to_owned();
        move |source| Self::Object {
            operation,
            key,
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_separate_missing_from_down() {
        let missing = StorageError::ObjectNotFound { key: "k".into() };
        assert_eq!(missing.kind(), StorageErrorKind::NotFound);
        let down = StorageError::db("select")(sqlx::Error::PoolTimedOut);
        assert_eq!(down.kind(), StorageErrorKind::Unavailable);
        let corrupt = StorageError::CorruptTask {
            id: "t".into(),
            reason: "bad".into(),
        };
        assert_eq!(corrupt.kind(), StorageErrorKind::Internal);
    }
}
