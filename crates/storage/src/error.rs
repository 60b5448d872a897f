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
}

impl StorageError {
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
