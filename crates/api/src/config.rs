//! Every setting in one place, from flags or the environment.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

/// A value that must never be printed: Debug and Display show a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "ingest",
    version,
    about = "Upload CSV, XLSX, Parquet or NDJSON files, validate them, and ingest them into Druid."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and its background workers (the default).
    Serve(Box<Settings>),
    /// Validate and profile a file locally; exits non-zero when it would be rejected.
    Validate(ValidateArgs),
    /// Upload a file to a running server and follow its task to the end.
    Upload(UploadArgs),
    /// Check every configured backend and say what to fix.
    Doctor(Box<Settings>),
    /// Run a failed or cancelled task again from its stored upload and follow it.
    Retry(RetryArgs),
}

/// Backends and server settings.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the server binds.
    #[arg(long, env = "INGEST_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Where the embedded defaults (SQLite, local objects, Parquet sink) keep their files.
    #[arg(long, env = "INGEST_DATA_DIR", default_value = "./.ingest")]
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; default: SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// S3 bucket; unset keeps uploads in a local folder of the data dir.
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 endpoint for S3-compatible servers such as MinIO (path-style addressing).
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Prefix for every object key.
    #[arg(long, env = "S3_PREFIX", default_value = "")]
    pub s3_prefix: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<Secret>,
    /// Druid router (or overlord) URL; unset writes to the local Parquet sink.
    #[arg(long, env = "DRUID_URL")]
    pub druid_url: Option<String>,
    /// Druid basic-auth user, when Druid requires one.
    #[arg(long, env = "DRUID_USERNAME")]
    pub druid_username: Option<String>,
    #[arg(long, env = "DRUID_PASSWORD", hide_env_values = true)]
    pub druid_password: Option<Secret>,
    /// Largest accepted file, in bytes.
    #[arg(long, env = "INGEST_MAX_UPLOAD_BYTES", default_value_t = 10 * 1024 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// Background workers validating and ingesting at once.
    #[arg(long, env = "INGEST_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Seconds a worker's claim on a task lasts without renewal.
    #[arg(long, env = "INGEST_TASK_LEASE_SECS", default_value_t = 60)]
    pub task_lease_secs: u64,
    /// Attempts a task gets when it keeps failing transiently (object store,
    /// database or Druid unreachable) before it is failed with the last error.
    #[arg(long, env = "INGEST_TASK_MAX_ATTEMPTS", default_value_t = 5)]
    pub task_max_attempts: u32,
    /// Milliseconds before the first retry of a transient failure; doubles
    /// with each attempt (with jitter), at most a minute.
    #[arg(long, env = "INGEST_TASK_RETRY_BASE_MS", default_value_t = 1000)]
    pub task_retry_base_ms: u64,
    /// Test aid: `point:action[,point:action]` makes this process panic or
    /// abort at a named point (see `ingest_domain::fault`). Never set it in
    /// production.
    #[arg(long, env = "INGEST_FAULT", hide = true)]
    pub fault: Option<ingest_domain::Faults>,
    /// The built dashboard; served at `/` when present.
    #[arg(long, env = "INGEST_FRONTEND_DIR", default_value = "frontend/dist")]
    pub frontend_dir: PathBuf,
}

impl Settings {
    /// Settings from the environment alone, as `ingest serve` would see them.
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        Only::parse_from(["ingest"]).settings
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("ingest.db").display()),
        }
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Use this column for row times instead of detecting one.
    #[arg(long)]
    pub timestamp_column: Option<String>,
    /// Read the file as this format (csv, xlsx, parquet, ndjson) instead of detecting it.
    #[arg(long)]
    pub format: Option<String>,
    /// Also write the accepted rows here as normalized Parquet.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The task id the upload returned.
    pub task_id: String,
    #[arg(long, env = "INGEST_SERVER", default_value = "http://127.0.0.1:8000")]
    pub server: String,
    /// Return once the task is queued again, without following it.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub datasource: String,
    #[arg(long, env = "INGEST_SERVER", default_value = "http://127.0.0.1:8000")]
    pub server: String,
    #[arg(long, default_value = "append")]
    pub mode: String,
    #[arg(long)]
    pub timestamp_column: Option<String>,
    /// Return once the server has the file, without following the task.
    #[arg(long)]
    pub no_wait: bool,
}
