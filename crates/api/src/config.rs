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
    /// Download the rows a task rejected (CSV: line, column, code, reason, record).
    Rejected(RejectedArgs),
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
    /// Milliseconds between two publications of a running task's progress
    /// (bytes and rows read, Druid's row counters) to the task store.
    #[arg(long, env = "INGEST_PROGRESS_INTERVAL_MS", default_value_t = 1000)]
    pub progress_interval_ms: u64,
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
    #[command(flatten)]
    pub validation: ValidationLimits,
    #[command(flatten)]
    pub http: HttpLimits,
    #[command(flatten)]
    pub lifecycle: Lifecycle,
    #[command(flatten)]
    pub database: DatabaseLimits,
    #[command(flatten)]
    pub druid: DruidParallelism,
    #[command(flatten)]
    pub validation_threads: ValidationThreads,
}

/// Bounds on every call to the task database.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DatabaseLimits {
    /// Seconds one statement may run (Postgres `statement_timeout`; SQLite:
    /// how long a write waits for the file's lock) before it fails.
    #[arg(long, env = "INGEST_DB_STATEMENT_TIMEOUT_SECS", default_value_t = 30)]
    pub statement_timeout_secs: u64,
}

impl Default for DatabaseLimits {
    fn default() -> Self {
        Self {
            statement_timeout_secs: 30,
        }
    }
}

impl DatabaseLimits {
    pub fn timeouts(&self) -> ingest_storage::DbTimeouts {
        ingest_storage::DbTimeouts {
            statement: std::time::Duration::from_secs(self.statement_timeout_secs.max(1)),
            ..Default::default()
        }
    }
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

/// Bounds on what one file may make validation read or allocate; each
/// exceeded limit fails the task with its own code (see README, "Limits").
/// The defaults are `ingest_validation::Limits::default()` (a test checks).
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ValidationLimits {
    /// Columns in a header (NDJSON: distinct keys); `too_many_columns`.
    #[arg(long, env = "INGEST_MAX_COLUMNS", default_value_t = 2_048)]
    pub max_columns: usize,
    /// Bytes of one CSV record or NDJSON line; `record_too_large`.
    #[arg(long, env = "INGEST_MAX_RECORD_BYTES", default_value_t = 16 * MIB)]
    pub max_record_bytes: u64,
    /// Bytes of one CSV field; `field_too_large`.
    #[arg(long, env = "INGEST_MAX_FIELD_BYTES", default_value_t = 16 * MIB)]
    pub max_field_bytes: u64,
    /// Entries in an XLSX archive; `xlsx_too_many_entries`.
    #[arg(long, env = "INGEST_XLSX_MAX_ENTRIES", default_value_t = 10_000)]
    pub xlsx_max_entries: usize,
    /// Uncompressed bytes of one XLSX entry; `xlsx_entry_too_large`.
    #[arg(long, env = "INGEST_XLSX_MAX_ENTRY_BYTES", default_value_t = 512 * MIB)]
    pub xlsx_max_entry_bytes: u64,
    /// Uncompressed bytes of all XLSX entries; `xlsx_too_large`.
    #[arg(long, env = "INGEST_XLSX_MAX_TOTAL_BYTES", default_value_t = 1024 * MIB)]
    pub xlsx_max_total_bytes: u64,
    /// Uncompressed/compressed ratio of an XLSX entry over 1 MiB; `xlsx_compression_ratio`.
    #[arg(long, env = "INGEST_XLSX_MAX_COMPRESSION_RATIO", default_value_t = 200)]
    pub xlsx_max_compression_ratio: u64,
    /// Shared strings an XLSX may declare or hold; `xlsx_too_many_shared_strings`.
    #[arg(
        long,
        env = "INGEST_XLSX_MAX_SHARED_STRINGS",
        default_value_t = 4_000_000
    )]
    pub xlsx_max_shared_strings: u64,
    /// Bytes of a Parquet footer; `parquet_footer_too_large`.
    #[arg(long, env = "INGEST_PARQUET_MAX_FOOTER_BYTES", default_value_t = 16 * MIB)]
    pub parquet_max_footer_bytes: u64,
    /// Row groups in a Parquet file; `parquet_too_many_row_groups`.
    #[arg(long, env = "INGEST_PARQUET_MAX_ROW_GROUPS", default_value_t = 100_000)]
    pub parquet_max_row_groups: usize,
    /// Uncompressed/compressed ratio of a gzip or zstd file past its first MiB; `compression_ratio`.
    #[arg(long, env = "INGEST_MAX_COMPRESSION_RATIO", default_value_t = 200)]
    pub max_compression_ratio: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for ValidationLimits {
    fn default() -> Self {
        ingest_validation::Limits::default().into()
    }
}

impl From<ingest_validation::Limits> for ValidationLimits {
    fn from(l: ingest_validation::Limits) -> Self {
        Self {
            max_columns: l.max_columns,
            max_record_bytes: l.max_record_bytes,
            max_field_bytes: l.max_field_bytes,
            xlsx_max_entries: l.xlsx_max_entries,
            xlsx_max_entry_bytes: l.xlsx_max_entry_bytes,
            xlsx_max_total_bytes: l.xlsx_max_total_bytes,
            xlsx_max_compression_ratio: l.xlsx_max_compression_ratio,
            xlsx_max_shared_strings: l.xlsx_max_shared_strings,
            parquet_max_footer_bytes: l.parquet_max_footer_bytes,
            parquet_max_row_groups: l.parquet_max_row_groups,
            max_compression_ratio: l.max_compression_ratio,
        }
    }
}

impl From<&ValidationLimits> for ingest_validation::Limits {
    fn from(l: &ValidationLimits) -> Self {
        Self {
            max_columns: l.max_columns,
            max_record_bytes: l.max_record_bytes,
            max_field_bytes: l.max_field_bytes,
            xlsx_max_entries: l.xlsx_max_entries,
            xlsx_max_entry_bytes: l.xlsx_max_entry_bytes,
            xlsx_max_total_bytes: l.xlsx_max_total_bytes,
            xlsx_max_compression_ratio: l.xlsx_max_compression_ratio,
            xlsx_max_shared_strings: l.xlsx_max_shared_strings,
            parquet_max_footer_bytes: l.parquet_max_footer_bytes,
            parquet_max_row_groups: l.parquet_max_row_groups,
            max_compression_ratio: l.max_compression_ratio,
        }
    }
}

/// How many threads validating one file may use (both passes; files under
/// `ingest_validation::Parallelism::default().min_bytes` use one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ValidationThreads {
    /// Threads for validating one large file; 0: every core.
    #[arg(
        long = "validation-threads",
        env = "INGEST_VALIDATION_THREADS",
        default_value_t = 0
    )]
    pub threads: usize,
}

impl ValidationThreads {
    pub fn parallelism(&self) -> ingest_validation::Parallelism {
        let mut parallelism = ingest_validation::Parallelism::default();
        if self.threads > 0 {
            parallelism.threads = self.threads;
        }
        parallelism
    }
}

/// Bounds on HTTP requests: slow or many uploads cannot hold the server.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct HttpLimits {
    /// Seconds an upload may send nothing before it is cut off (`408`,
    /// `upload_idle_timeout`) and its partial file discarded.
    #[arg(long, env = "INGEST_UPLOAD_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub upload_idle_timeout_secs: u64,
    /// Uploads received at once; more are refused with `429`
    /// (`too_many_uploads`) and `Retry-After`.
    #[arg(long, env = "INGEST_MAX_CONCURRENT_UPLOADS", default_value_t = 8)]
    pub max_concurrent_uploads: usize,
    /// Free bytes the data dir must keep, beyond the upload's declared size,
    /// before a local-store upload is accepted; else `507` (`insufficient_storage`).
    #[arg(long, env = "INGEST_MIN_FREE_DISK_BYTES", default_value_t = 1024 * MIB)]
    pub min_free_disk_bytes: u64,
    /// Seconds a client may take to send a request's line and headers
    /// before its connection is closed.
    #[arg(long, env = "INGEST_HEADER_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub header_read_timeout_secs: u64,
    #[command(flatten)]
    pub preview: PreviewLimits,
}

/// Bounds on previews (`POST /api/ingest/preview`): each parses a file
/// nobody has checked, inside a request, so size, time and how many run at
/// once are all bounded (validation's own `ValidationLimits` apply too).
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PreviewLimits {
    /// Largest file a preview takes, in bytes; larger: `413 preview_too_large`
    /// (the dashboard sends only the start of a CSV/NDJSON file, and says
    /// preview is not available for a larger XLSX or Parquet file).
    #[arg(long, env = "INGEST_MAX_PREVIEW_BYTES", default_value_t = 100 * MIB)]
    pub max_preview_bytes: u64,
    /// Previews parsed at once; more are refused at once with `429
    /// too_many_previews` and `Retry-After`.
    #[arg(long, env = "INGEST_MAX_CONCURRENT_PREVIEWS", default_value_t = 2)]
    pub max_concurrent_previews: usize,
    /// Seconds a preview may parse before it is stopped (`503 preview_timeout`).
    #[arg(long, env = "INGEST_PREVIEW_TIMEOUT_SECS", default_value_t = 60)]
    pub preview_timeout_secs: u64,
}

impl Default for PreviewLimits {
    fn default() -> Self {
        Self {
            max_preview_bytes: 100 * MIB,
            max_concurrent_previews: 2,
            preview_timeout_secs: 60,
        }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            upload_idle_timeout_secs: 30,
            max_concurrent_uploads: 8,
            min_free_disk_bytes: 1024 * MIB,
            header_read_timeout_secs: 30,
            preview: PreviewLimits::default(),
        }
    }
}

/// Shutting down and cleaning up after crashes (see README, "Shutdown and
/// clean-up").
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Lifecycle {
    /// Seconds uploads still arriving at SIGTERM may take to finish; then
    /// they are cut off (`503`, `shutting_down`) and nothing of them is kept.
    /// Workers do not wait for it: they hand their tasks back at once.
    #[arg(long, env = "INGEST_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Seconds between two passes of the reaper, which removes what crashes
    /// leave behind (it also runs at start); `0` turns it off.
    #[arg(long, env = "INGEST_REAPER_INTERVAL_SECS", default_value_t = 900)]
    pub reaper_interval_secs: u64,
    /// Age in seconds before an unfinished upload (open S3 multipart upload,
    /// local `.upload-*` file) or an object no task references is taken for
    /// an orphan. An upload still arriving must never look that old: keep
    /// it far above the longest upload (not just the idle timeout, which
    /// only bounds a pause). At least 10 × INGEST_UPLOAD_IDLE_TIMEOUT_SECS.
    #[arg(long, env = "INGEST_REAPER_MIN_AGE_SECS", default_value_t = 24 * 3600)]
    pub reaper_min_age_secs: u64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            shutdown_grace_secs: 30,
            reaper_interval_secs: 900,
            reaper_min_age_secs: 24 * 3600,
        }
    }
}

/// How a big file is ingested into Druid in parallel, and how many Druid
/// tasks one server runs at once (see druid/README.md, "Parallel ingestion").
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DruidParallelism {
    /// Bytes of each part the normalized file is cut into (whole lines, at
    /// least 1 MiB); each part is its own S3 object, read by its own Druid
    /// subtask.
    #[arg(long, env = "INGEST_DRUID_PART_BYTES", default_value_t = 256 * MIB,
          value_parser = clap::value_parser!(u64).range(MIB..))]
    pub part_bytes: u64,
    /// Parts one Druid task reads at once (`maxNumConcurrentSubTasks`);
    /// each running subtask holds a Druid worker slot.
    #[arg(long, env = "INGEST_DRUID_MAX_SUBTASKS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_subtasks: u32,
    /// Druid tasks this server runs at once; more wait their turn. Druid's
    /// worker capacity must be at least (this × servers) × (1 +
    /// INGEST_DRUID_MAX_SUBTASKS), or parallel tasks can wait on each other
    /// for ever.
    #[arg(long, env = "INGEST_DRUID_MAX_CONCURRENT_TASKS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrent_tasks: u32,
}

impl Default for DruidParallelism {
    fn default() -> Self {
        Self {
            part_bytes: 256 * MIB,
            max_subtasks: 2,
            max_concurrent_tasks: 2,
        }
    }
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
    /// Read a text file in this encoding (e.g. windows-1252, utf-16le) instead of detecting it.
    #[arg(long)]
    pub encoding: Option<String>,
    /// XLSX: read this sheet (name or 1-based number) instead of the first non-empty one.
    #[arg(long)]
    pub sheet: Option<String>,
    /// Column types instead of inferred ones: a JSON object such as
    /// '{"zip":"string","amount":"double"}', or zip=string,amount=double.
    /// Types: string, long, double, boolean. A value that does not fit is
    /// counted in --max-rejected-rows (by default it fails the file).
    #[arg(long)]
    pub column_types: Option<String>,
    /// How the time column's values are written: a strftime pattern such
    /// as '%d/%m/%Y %H:%M', or rfc3339, epoch_seconds, epoch_millis.
    #[arg(long)]
    pub timestamp_format: Option<String>,
    /// Also write the accepted rows here as normalized Parquet.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Rows that cannot be read as they are (wrong number of fields, bytes
    /// the encoding cannot decode, a value breaking --column-types) the
    /// file may lose, as `ingest upload --max-rejected-rows`. Default 0:
    /// one such row fails the file.
    #[arg(long)]
    pub max_rejected_rows: Option<u64>,
    /// The same as a share of the data rows, 0 to 1 (0.01: one in a hundred).
    #[arg(long, value_parser = rejected_ratio)]
    pub max_rejected_ratio: Option<f64>,
    /// Write every rejected row here (CSV: line, column, code, reason,
    /// record), as the server keeps them for `ingest rejected`.
    #[arg(long)]
    pub rejected_output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: ValidationLimits,
    #[command(flatten)]
    pub threads: ValidationThreads,
}

/// `--max-rejected-ratio`: a share from 0 to 1, as the upload field.
fn rejected_ratio(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err("a number from 0 to 1 (e.g. 0.01 for one row in a hundred)".to_owned()),
    }
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
pub struct RejectedArgs {
    /// The task id the upload returned.
    pub task_id: String,
    /// Write the CSV here instead of to standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[arg(long, env = "INGEST_SERVER", default_value = "http://127.0.0.1:8000")]
    pub server: String,
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
    /// `append` adds the file's rows. `replace` drops the datasource's rows
    /// in the time chunks the file covers (whole UTC days; months when the
    /// file spans over 92 days, years over five years), in Druid and in
    /// the local sink alike, and adds the file's; rows outside stay. It
    /// prints what it will drop and asks first (see `--yes`).
    #[arg(long, default_value = "append")]
    pub mode: String,
    #[arg(long)]
    pub timestamp_column: Option<String>,
    /// The text file's encoding (e.g. windows-1252, utf-16le), when detection
    /// cannot tell or gets it wrong.
    #[arg(long)]
    pub encoding: Option<String>,
    /// XLSX: the sheet to ingest, by name or 1-based number (default: the
    /// first non-empty sheet).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Column types instead of inferred ones: a JSON object such as
    /// '{"zip":"string","amount":"double"}', or zip=string,amount=double.
    /// Types: string, long, double, boolean. A value that does not fit is
    /// counted in --max-rejected-rows (by default it fails the file).
    #[arg(long)]
    pub column_types: Option<String>,
    /// How the time column's values are written: a strftime pattern such
    /// as '%d/%m/%Y %H:%M', or rfc3339, epoch_seconds, epoch_millis.
    #[arg(long)]
    pub timestamp_format: Option<String>,
    /// Rows that cannot be read as they are (wrong number of fields, bytes
    /// the encoding cannot decode, a value breaking --column-types) the
    /// file may lose: they are rejected one by one and can be downloaded with `ingest rejected`. Default 0: one
    /// such row fails the file.
    #[arg(long)]
    pub max_rejected_rows: Option<u64>,
    /// The same as a share of the data rows, 0 to 1 (0.01: one in a hundred).
    #[arg(long)]
    pub max_rejected_ratio: Option<f64>,
    /// `fail`: refuse the file (the task fails as `schema_drift`) when its
    /// columns, their types or its time column differ from the
    /// datasource's; `allow` (the server's default) ingests and reports them.
    #[arg(long, value_parser = ["allow", "fail"])]
    pub on_schema_change: Option<String>,
    /// Return once the server has the file, without following the task.
    #[arg(long)]
    pub no_wait: bool,
    /// Replace without asking: the server does not wait for a confirmation.
    #[arg(long)]
    pub yes: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_match_the_library_and_the_environment_overrides_them() {
        let settings = Settings::from_env();
        assert_eq!(settings.validation, ValidationLimits::default());
        assert_eq!(settings.http, HttpLimits::default());
        assert_eq!(settings.lifecycle, Lifecycle::default());
        assert_eq!(settings.druid, DruidParallelism::default());
        let limits: ingest_validation::Limits = (&settings.validation).into();
        assert_eq!(limits, ingest_validation::Limits::default());

        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let parsed = Only::parse_from([
            "ingest",
            "--max-columns",
            "3",
            "--upload-idle-timeout-secs",
            "2",
        ])
        .settings;
        assert_eq!(parsed.validation.max_columns, 3);
        assert_eq!(parsed.http.upload_idle_timeout_secs, 2);
    }

    #[test]
    fn validation_threads_default_to_every_core() {
        let every_core = ValidationThreads { threads: 0 }.parallelism();
        assert_eq!(every_core, ingest_validation::Parallelism::default());
        let three = ValidationThreads { threads: 3 }.parallelism();
        assert_eq!(three.threads, 3);
        assert_eq!(three.min_bytes, every_core.min_bytes);

        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let parsed = Only::parse_from(["ingest", "--validation-threads", "1"]).settings;
        assert_eq!(parsed.validation_threads.parallelism().threads, 1);
    }

    #[test]
    fn druid_parts_are_never_tiny() {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let parse = |bytes: &str| Only::try_parse_from(["ingest", "--part-bytes", bytes]);
        assert!(parse("1000").is_err(), "a part below 1 MiB is refused");
        let parsed = parse("1048576").expect("1 MiB parts").settings;
        assert_eq!(parsed.druid.part_bytes, MIB);
        assert!(Only::try_parse_from(["ingest", "--max-subtasks", "0"]).is_err());
    }
}
