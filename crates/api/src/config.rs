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
    /// Create, list or revoke API tokens in the configured database.
    Token(TokenArgs),
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
    /// The Overlord's own URL (tasks, sampler), for a router whose management
    /// proxy is off; default: DRUID_URL. Used only when DRUID_URL is set.
    #[arg(long, env = "DRUID_OVERLORD_URL")]
    pub druid_overlord_url: Option<String>,
    /// The Coordinator's own URL (segment load status); default: DRUID_URL.
    #[arg(long, env = "DRUID_COORDINATOR_URL")]
    pub druid_coordinator_url: Option<String>,
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
    #[command(flatten)]
    pub auth: AuthSettings,
}

/// Who may use the API, and from which pages (see README, "Tokens").
#[derive(Debug, Clone, Default, Args)]
pub struct AuthSettings {
    /// `auto`: tokens are required once one exists (or always, off loopback);
    /// `off`: the API is open to anyone who can reach it (a loud warning).
    #[arg(long = "auth", env = "INGEST_AUTH", value_enum, default_value_t = AuthMode::Auto)]
    pub mode: AuthMode,
    /// A token accepted with scope `admin` under the name `env-admin`, for
    /// containers (at least 32 characters).
    #[arg(long, env = "INGEST_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Other origins whose pages may call the API (comma-separated, e.g.
    /// `https://dash.example.com`); also the CORS allow-list.
    #[arg(long, env = "INGEST_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// The URL people reach this server by, when it is not a loopback address
    /// (e.g. behind a proxy): its host is accepted in `Host`, its origin in `Origin`.
    #[arg(long, env = "INGEST_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    #[default]
    Auto,
    Off,
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
    /// Sent as `Authorization: Bearer …` when set.
    #[arg(long, env = "INGEST_TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,
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
    /// Sent as `Authorization: Bearer …` when set.
    #[arg(long, env = "INGEST_TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,
    #[command(flatten)]
    pub settings: Box<Settings>,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once.
    Create {
        /// A name for people and task records: a letter, then letters, digits, `_`, `-`, `.`.
        #[arg(long)]
        name: String,
        /// `read` (status, tasks, datasources), `write` (+ upload, cancel, run again) or `admin`.
        #[arg(long)]
        scope: String,
        /// Lifetime such as `90d`, `12h` or `30m`; none by default.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by name; it stops working at once.
    Revoke { name: String },
}
