//! Builds the configured backends: the embedded defaults unless Postgres,
//! S3 or Druid are configured.

use std::sync::Arc;

use ingest_druid::{Credentials, DruidClient, DruidUrls};
use ingest_pipeline::{DruidInput, DruidSink, DruidSinkConfig, LocalParquetSink, Sinks};
use ingest_storage::{
    object::{LocalObjectStore, S3Config, S3ObjectStore},
    ObjectStore, PostgresTaskStore, PostgresTokenStore, SqliteTaskStore, SqliteTokenStore,
    StorageError, TaskStore, TokenStore,
};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot open the task database ({backend})")]
    Database {
        backend: &'static str,
        #[source]
        source: StorageError,
    },
    #[error("cannot open the object store ({backend})")]
    Objects {
        backend: &'static str,
        #[source]
        source: StorageError,
    },
    #[error("DATABASE_URL must start with postgres:// or sqlite://")]
    UnknownDatabase,
    #[error("invalid Druid configuration: {0}")]
    Druid(String),
}

pub struct Backends {
    pub tasks: Arc<dyn TaskStore>,
    pub objects: Arc<dyn ObjectStore>,
    /// One sink in its three roles (ingest, query, probe).
    pub sinks: Sinks,
    pub tokens: Arc<dyn TokenStore>,
}

/// The two task-database dialects, told apart by `DATABASE_URL`.
enum Database {
    Postgres,
    Sqlite,
}

impl Database {
    fn of(url: &str) -> Result<Self, BackendError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(BackendError::UnknownDatabase)
        }
    }

    fn error(&self) -> impl FnOnce(StorageError) -> BackendError {
        let backend = match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        };
        move |source| BackendError::Database { backend, source }
    }
}

pub async fn task_store(settings: &Settings) -> Result<Arc<dyn TaskStore>, BackendError> {
    let url = settings.database_url();
    let timeouts = settings.database.timeouts();
    let db = Database::of(&url)?;
    Ok(match db {
        Database::Postgres => Arc::new(
            PostgresTaskStore::connect_with(&url, timeouts)
                .await
                .map_err(db.error())?,
        ),
        Database::Sqlite => Arc::new(
            SqliteTaskStore::connect_with(&url, timeouts)
                .await
                .map_err(db.error())?,
        ),
    })
}

/// API tokens live in the task database.
pub async fn token_store(settings: &Settings) -> Result<Arc<dyn TokenStore>, BackendError> {
    let url = settings.database_url();
    let timeouts = settings.database.timeouts();
    let db = Database::of(&url)?;
    Ok(match db {
        Database::Postgres => Arc::new(
            PostgresTokenStore::connect_with(&url, timeouts)
                .await
                .map_err(db.error())?,
        ),
        Database::Sqlite => Arc::new(
            SqliteTokenStore::connect_with(&url, timeouts)
                .await
                .map_err(db.error())?,
        ),
    })
}

pub async fn object_store(settings: &Settings) -> Result<Arc<dyn ObjectStore>, BackendError> {
    match &settings.s3_bucket {
        Some(bucket) => {
            let credentials = match (&settings.aws_access_key_id, &settings.aws_secret_access_key) {
                (Some(key), Some(secret)) => Some((key.clone(), secret.expose().to_owned())),
                _ => None,
            };
            let store = S3ObjectStore::connect(S3Config {
                bucket: bucket.clone(),
                endpoint: settings.s3_endpoint.clone(),
                region: settings.s3_region.clone(),
                prefix: settings.s3_prefix.clone(),
                credentials,
            })
            .await
            .map_err(|source| BackendError::Objects {
                backend: "s3",
                source,
            })?;
            Ok(Arc::new(store))
        }
        None => {
            let store = LocalObjectStore::open(settings.data_dir.join("objects"))
                .await
                .map_err(|source| BackendError::Objects {
                    backend: "local",
                    source,
                })?;
            Ok(Arc::new(store))
        }
    }
}

/// The Druid client the settings describe, if DRUID_URL is set (the
/// Overlord and Coordinator URLs default to it).
pub fn druid_client(settings: &Settings) -> Result<Option<DruidClient>, BackendError> {
    let Some(url) = &settings.druid_url else {
        return Ok(None);
    };
    let credentials = settings
        .druid_username
        .as_ref()
        .map(|username| Credentials {
            username: username.clone(),
            password: settings
                .druid_password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
        });
    DruidUrls::new(
        url,
        settings.druid_overlord_url.as_deref(),
        settings.druid_coordinator_url.as_deref(),
    )
    .and_then(|urls| DruidClient::with_urls(urls, credentials))
    .map(Some)
    .map_err(|e| BackendError::Druid(e.to_string()))
}

/// The Druid sink reads from the bucket and prefix the S3 store writes to.
pub fn druid_sink_config(settings: &Settings) -> DruidSinkConfig {
    DruidSinkConfig {
        input: settings.s3_bucket.clone().map(|bucket| DruidInput {
            bucket,
            prefix: settings.s3_prefix.clone(),
        }),
        part_bytes: settings.druid.part_bytes,
        max_subtasks: settings.druid.max_subtasks,
        max_concurrent_tasks: settings.druid.max_concurrent_tasks as usize,
        ..DruidSinkConfig::default()
    }
}

pub fn sink(settings: &Settings, objects: &Arc<dyn ObjectStore>) -> Result<Sinks, BackendError> {
    match druid_client(settings)? {
        Some(client) => Ok(Sinks::of(DruidSink::new(
            client,
            Arc::clone(objects),
            druid_sink_config(settings),
        ))),
        None => Ok(Sinks::of(LocalParquetSink::new(&settings.data_dir))),
    }
}

pub async fn build(settings: &Settings) -> Result<Backends, BackendError> {
    let tasks = task_store(settings).await?;
    let objects = object_store(settings).await?;
    let sinks = sink(settings, &objects)?;
    let tokens = token_store(settings).await?;
    Ok(Backends {
        tasks,
        objects,
        sinks,
        tokens,
    })
}
