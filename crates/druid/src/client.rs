//! HTTP client for Druid: Overlord task API and sampler, Coordinator load
//! status, and Druid SQL with parameters through the router. Each goes to its
//! own URL ([`DruidUrls`]), all of them the router's unless told otherwise.
//! Connection failures are retried with backoff; Druid's own error text is
//! kept for the user.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    urls::{DruidUrls, Process},
    DruidError,
};

/// Basic-auth credentials, when Druid's security extension is on.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
pub struct DruidClient {
    http: reqwest::Client,
    urls: DruidUrls,
    credentials: Option<Credentials>,
    /// Attempts for a request whose connection fails.
    attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TaskStatusCode {
    Running,
    Success,
    Failed,
    #[serde(other)]
    Waiting,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TaskState {
    #[serde(rename = "status")]
    pub code: TaskStatusCode,
    #[serde(rename = "errorMsg")]
    pub error: Option<String>,
}

/// Row counts from Druid's `ingestionStatsAndErrors` report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestionStats {
    pub processed: u64,
    pub processed_with_error: u64,
    pub unparseable: u64,
    pub thrown_away: u64,
}

/// A running task's row counters, from its live report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveRows {
    /// Rows processed so far while building segments (`None` before that
    /// phase has counted any).
    pub processed: Option<u64>,
    /// Druid's `ingestionState`: `DETERMINE_PARTITIONS`, `BUILD_SEGMENTS`,
    /// `COMPLETED`.
    pub phase: Option<String>,
}

impl LiveRows {
    /// Reads a report body: a running task's live report keeps its counters
    /// under `rowStats.totals`, a finished task's report directly under
    /// `rowStats`. Druid 25 answers both for `index_parallel` (in sequential
    /// mode the supervisor's own, in parallel mode the sum of its running
    /// subtasks'), found on the local stack.
    pub fn of_report(body: &Value) -> Self {
        let payload = &body["ingestionStatsAndErrors"]["payload"];
        let build = build_segments_stats(payload);
        Self {
            processed: build["processed"].as_u64(),
            phase: payload["ingestionState"].as_str().map(str::to_owned),
        }
    }
}

/// The `buildSegments` row counters of a report's payload: under
/// `rowStats.totals` in a running task's live report and in the final
/// report of an `index_parallel` task that ran subtasks (several parts),
/// directly under `rowStats` in the final report of one that did not.
fn build_segments_stats(payload: &Value) -> &Value {
    let stats = &payload["rowStats"];
    if stats["totals"].is_object() {
        &stats["totals"]["buildSegments"]
    } else {
        &stats["buildSegments"]
    }
}

#[derive(Debug, Clone, Default)]
pub struct TaskReport {
    pub stats: Option<IngestionStats>,
    pub error: Option<String>,
    /// Messages of rows Druid could not parse, if it logged any.
    pub parse_errors: Vec<String>,
}

impl TaskReport {
    /// Reads a finished task's report body.
    pub fn of_report(body: &Value) -> Self {
        let payload = &body["ingestionStatsAndErrors"]["payload"];
        let build = build_segments_stats(payload);
        let count = |k: &str| build[k].as_u64().unwrap_or(0);
        let stats = build.is_object().then(|| IngestionStats {
            processed: count("processed"),
            processed_with_error: count("processedWithError"),
            unparseable: count("unparseable"),
            thrown_away: count("thrownAway"),
        });
        let parse_errors = payload["unparseableEvents"]["buildSegments"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| {
                        e["details"]["message"]
                            .as_str()
                            .or_else(|| e["message"].as_str())
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
        TaskReport {
            stats,
            error: payload["errorMsg"].as_str().map(str::to_owned),
            parse_errors,
        }
    }
}

/// What the sampler made of the input.
#[derive(Debug, Clone)]
pub struct SamplerOutcome {
    pub rows_read: usize,
    /// Druid's message for each row it could not parse.
    pub unparseable: Vec<String>,
}

fn rejected(what: &'static str, status: u16, body: &str) -> DruidError {
    // Druid wraps errors as {"error": "...", "errorMessage": "..."} or
    // {"errorCode", "persona", "category", "errorMessage"}; keep the words.
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            ["errorMessage", "error", "message"]
                .iter()
                .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_owned))
        })
        .unwrap_or_else(|| body.chars().take(2000).collect());
    DruidError::Rejected {
        what,
        status,
        message,
    }
}

impl DruidClient {
    /// Every API at one URL (a router with its management proxy on, or a
    /// single Overlord for the task API alone).
    pub fn new(base_url: &str, credentials: Option<Credentials>) -> Result<Self, DruidError> {
        Self::with_urls(DruidUrls::new(base_url, None, None)?, credentials)
    }

    pub fn with_urls(
        urls: DruidUrls,
        credentials: Option<Credentials>,
    ) -> Result<Self, DruidError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| DruidError::BadUrl(e.to_string()))?;
        Ok(Self {
            http,
            urls,
            credentials,
            attempts: 4,
        })
    }

    /// Fewer connection retries (for health checks that must answer fast).
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The router's URL (DRUID_URL).
    pub fn base_url(&self) -> &str {
        &self.urls.router
    }

    pub fn urls(&self) -> &DruidUrls {
        &self.urls
    }

    async fn send(
        &self,
        what: &'static str,
        base: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, DruidError> {
        let mut delay = Duration::from_millis(500);
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let mut builder = request();
            if let Some(c) = &self.credentials {
                builder = builder.basic_auth(&c.username, Some(&c.password));
            }
            match builder.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    if (200..300).contains(&status) {
                        return Ok(body);
                    }
                    let error = rejected(what, status, &body);
                    if !error.is_transient() || attempt == self.attempts {
                        return Err(error);
                    }
                    last = error.to_string();
                }
                Err(e) => {
                    last = e.to_string();
                    if let Some(source) = std::error::Error::source(&e) {
                        last = format!("{last}: {source}");
                    }
                }
            }
            if attempt < self.attempts {
                tracing::debug!(what, attempt, error = %last, "Druid request failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(DruidError::Unreachable {
            url: base.to_owned(),
            reason: last,
        })
    }

    async fn get(
        &self,
        what: &'static str,
        process: Process,
        path: &str,
    ) -> Result<String, DruidError> {
        let base = self.urls.of(process);
        let url = format!("{base}{path}");
        self.send(what, base, || self.http.get(&url)).await
    }

    async fn post_json(
        &self,
        what: &'static str,
        process: Process,
        path: &str,
        body: &Value,
    ) -> Result<String, DruidError> {
        let base = self.urls.of(process);
        let url = format!("{base}{path}");
        self.send(what, base, || self.http.post(&url).json(body))
            .await
    }

    fn parse<T: for<'de> Deserialize<'de>>(
        what: &'static str,
        body: &str,
    ) -> Result<T, DruidError> {
        serde_json::from_str(body).map_err(|e| DruidError::Unexpected {
            what,
            reason: e.to_string(),
        })
    }

    /// `GET /status/health` of each configured URL (router, Overlord,
    /// Coordinator), so a wrong one is named.
    pub async fn healthy(&self) -> Result<(), DruidError> {
        for base in self.urls.distinct() {
            let url = format!("{base}/status/health");
            let body = self
                .send("the health check", base, || self.http.get(&url))
                .await?;
            if body.trim() != "true" {
                return Err(DruidError::Unexpected {
                    what: "the health check",
                    reason: format!("{base}: {body}"),
                });
            }
        }
        Ok(())
    }

    /// Artifacts of the extensions the Overlord loaded (`GET /status`): it
    /// runs the sampler and gives its tasks the same load list.
    pub async fn loaded_extensions(&self) -> Result<Vec<String>, DruidError> {
        let status: Value = Self::parse(
            "the status",
            &self.get("the status", Process::Overlord, "/status").await?,
        )?;
        Ok(status["modules"]
            .as_array()
            .map(|modules| {
                modules
                    .iter()
                    .filter_map(|m| m["artifact"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Task slots of all the workers (Indexers, middleManagers) the
    /// Overlord knows (`GET /druid/indexer/v1/workers`).
    pub async fn worker_capacity(&self) -> Result<u64, DruidError> {
        let workers: Value = Self::parse(
            "the workers",
            &self
                .get(
                    "the workers",
                    Process::Overlord,
                    "/druid/indexer/v1/workers",
                )
                .await?,
        )?;
        Ok(workers
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|w| w["worker"]["capacity"].as_u64())
                    .sum()
            })
            .unwrap_or(0))
    }

    /// Submits a task; a task with the same id already there counts as
    /// submitted (a retry after a lost answer).
    pub async fn submit(&self, task: &Value) -> Result<String, DruidError> {
        let id = task["id"].as_str().unwrap_or_default().to_owned();
        match self
            .post_json(
                "the task submission",
                Process::Overlord,
                "/druid/indexer/v1/task",
                task,
            )
            .await
        {
            Ok(body) => {
                let answer: Value = Self::parse("the task submission", &body)?;
                Ok(answer["task"].as_str().map_or(id, str::to_owned))
            }
            Err(DruidError::Rejected { message, .. })
                if message.contains("already exists") && !id.is_empty() =>
            {
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn status(&self, task_id: &str) -> Result<TaskState, DruidError> {
        #[derive(Deserialize)]
        struct Envelope {
            status: TaskState,
        }
        let path = format!("/druid/indexer/v1/task/{}/status", urlencode(task_id));
        let envelope: Envelope = Self::parse(
            "the task status",
            &self
                .get("the task status", Process::Overlord, &path)
                .await?,
        )?;
        Ok(envelope.status)
    }

    /// The `ingestionStatsAndErrors` report, when the task wrote one.
    pub async fn report(&self, task_id: &str) -> Result<TaskReport, DruidError> {
        let path = format!("/druid/indexer/v1/task/{}/reports", urlencode(task_id));
        let body: Value = Self::parse(
            "the task report",
            &self
                .get("the task report", Process::Overlord, &path)
                .await?,
        )?;
        Ok(TaskReport::of_report(&body))
    }

    /// The row counters of a task while it runs (`/reports` answers a
    /// running task with its live report); asked once, no retries: progress
    /// is best effort and the next poll asks again.
    pub async fn live_rows(&self, task_id: &str) -> Result<LiveRows, DruidError> {
        let path = format!("/druid/indexer/v1/task/{}/reports", urlencode(task_id));
        let once = self.clone().with_attempts(1);
        let body: Value = Self::parse(
            "the task's live report",
            &once
                .get("the task's live report", Process::Overlord, &path)
                .await?,
        )?;
        Ok(LiveRows::of_report(&body))
    }

    /// The last `bytes` of the task's log.
    pub async fn log_tail(&self, task_id: &str, bytes: u32) -> Result<String, DruidError> {
        let path = format!(
            "/druid/indexer/v1/task/{}/log?offset=-{bytes}",
            urlencode(task_id)
        );
        self.get("the task log", Process::Overlord, &path).await
    }

    pub async fn shutdown(&self, task_id: &str) -> Result<(), DruidError> {
        let path = format!("/druid/indexer/v1/task/{}/shutdown", urlencode(task_id));
        self.post_json("the task shutdown", Process::Overlord, &path, &json!({}))
            .await
            .map(|_| ())
    }

    /// Runs the sampler: can Druid read the input with this spec?
    pub async fn sample(&self, sampler_spec: &Value) -> Result<SamplerOutcome, DruidError> {
        let body: Value = Self::parse(
            "the sampler",
            &self
                .post_json(
                    "the sampler",
                    Process::Overlord,
                    "/druid/indexer/v1/sampler",
                    sampler_spec,
                )
                .await?,
        )?;
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        let unparseable = rows
            .iter()
            .filter(|r| r["unparseable"].as_bool() == Some(true))
            .map(|r| r["error"].as_str().unwrap_or("unparseable row").to_owned())
            .collect();
        Ok(SamplerOutcome {
            rows_read: rows.len(),
            unparseable,
        })
    }

    /// Percentage of the datasource's segments in `interval` that are loaded
    /// and queryable (Coordinator load status).
    pub async fn load_percent(&self, datasource: &str, interval: &str) -> Result<f64, DruidError> {
        let path = format!(
            "/druid/coordinator/v1/datasources/{}/loadstatus?forceMetadataRefresh=true&interval={}",
            urlencode(datasource),
            urlencode(interval)
        );
        let body = self
            .get("the load status", Process::Coordinator, &path)
            .await?;
        if body.trim().is_empty() {
            return Ok(0.0);
        }
        let value: Value = Self::parse("the load status", &body)?;
        Ok(value[datasource].as_f64().unwrap_or(0.0))
    }

    /// Marks every segment of the datasource unused (Coordinator
    /// `DELETE /druid/coordinator/v1/datasources/{name}`): its rows stop
    /// being queryable once the Historicals drop them; the files stay in
    /// deep storage until a kill task removes them.
    pub async fn mark_unused(&self, datasource: &str) -> Result<(), DruidError> {
        let base = self.urls.of(Process::Coordinator);
        let url = format!(
            "{base}/druid/coordinator/v1/datasources/{}",
            urlencode(datasource)
        );
        self.send("marking segments unused", base, || self.http.delete(&url))
            .await
            .map(|_| ())
    }

    /// Druid SQL with typed parameters; rows as JSON objects.
    pub async fn sql(&self, query: &str, parameters: &[Value]) -> Result<Vec<Value>, DruidError> {
        let body = json!({ "query": query, "parameters": parameters, "resultFormat": "object" });
        Self::parse(
            "the SQL query",
            &self
                .post_json("the SQL query", Process::Router, "/druid/v2/sql", &body)
                .await?,
        )
    }
}

/// Percent-encodes a path or query component.
fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A SQL parameter of type VARCHAR.
pub fn varchar(value: &str) -> Value {
    json!({ "type": "VARCHAR", "value": value })
}

/// A SQL parameter of type TIMESTAMP (Druid reads ISO strings).
pub fn timestamp(value: &str) -> Value {
    json!({ "type": "TIMESTAMP", "value": value })
}

#[cfg(test)]
mod live_rows_tests {
    use super::*;

    #[test]
    fn reads_a_running_and_a_finished_report() {
        // Shapes Druid 25 answered on the local stack for `index_parallel`.
        let running = serde_json::json!({"ingestionStatsAndErrors": {"payload": {
            "ingestionState": "BUILD_SEGMENTS",
            "rowStats": {
                "movingAverages": {"buildSegments": {"1m": {"processed": 14.1}}},
                "totals": {"buildSegments": {"processed": 11381, "processedWithError": 0,
                    "thrownAway": 0, "unparseable": 0}}}}}});
        assert_eq!(
            LiveRows::of_report(&running),
            LiveRows {
                processed: Some(11381),
                phase: Some("BUILD_SEGMENTS".into())
            }
        );
        let finished = serde_json::json!({"ingestionStatsAndErrors": {"payload": {
            "ingestionState": "COMPLETED",
            "rowStats": {"determinePartitions": {"processed": 0},
                "buildSegments": {"processed": 273}}}}});
        assert_eq!(LiveRows::of_report(&finished).processed, Some(273));
        let partitions = serde_json::json!({"ingestionStatsAndErrors": {"payload": {
            "ingestionState": "DETERMINE_PARTITIONS",
            "rowStats": {"totals": {"determinePartitions": {"processed": 5}}}}}});
        assert_eq!(LiveRows::of_report(&partitions).processed, None);
    }

    #[test]
    fn a_finished_parallel_report_keeps_its_counters_under_totals() {
        // Druid 25's final report of an `index_parallel` task that read
        // four parts in subtasks (local stack).
        let finished = serde_json::json!({"ingestionStatsAndErrors": {"payload": {
            "ingestionState": "COMPLETED",
            "unparseableEvents": {"buildSegments": []},
            "rowStats": {"totals": {"buildSegments": {"processed": 24000,
                "processedWithError": 0, "thrownAway": 0, "unparseable": 0}}},
            "errorMsg": null}}});
        let stats = TaskReport::of_report(&finished).stats.expect("stats");
        assert_eq!((stats.processed, stats.unparseable), (24000, 0));
        assert_eq!(LiveRows::of_report(&finished).processed, Some(24000));
    }
}
