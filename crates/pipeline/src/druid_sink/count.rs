//! Counting an upload's rows in Druid SQL by its lineage column: after
//! Druid's `SUCCESS` (segments loaded is not yet queryable, so ask until the
//! count is the validated number or a deadline passes), and before a re-run
//! appends anything (rows already there must not be added twice).

use std::time::Duration;

use ingest_druid::{varchar, IngestionPlan, LINEAGE_COLUMN};

use super::{druid_failure, Backoff, DruidSink};
use crate::metrics::DruidCall;
use crate::SinkError;

/// How long a count of an upload's rows that is neither 0 nor the validated
/// number is asked again before it counts as a mismatch.
const PARTIAL_COUNT_PATIENCE: Duration = Duration::from_secs(30);

impl DruidSink {
    /// How much of the upload's window the coordinator has loaded (0–100).
    pub(super) async fn loaded_percent(&self, plan: &IngestionPlan) -> Result<f64, SinkError> {
        self.client
            .load_percent(&plan.datasource, &plan.interval())
            .await
            .druid_call("load_status")
            .map_err(|e| druid_failure("druid_load_status_failed", &e))
    }

    /// This upload's rows in the datasource (Druid SQL on the lineage column).
    pub(super) async fn rows_of_upload(&self, plan: &IngestionPlan) -> Result<u64, SinkError> {
        let query = format!(
            r#"SELECT COUNT(*) AS "rows" FROM "{}" WHERE "{LINEAGE_COLUMN}" = ?"#,
            plan.datasource
        );
        let rows = self
            .client
            .sql(&query, &[varchar(&plan.lineage_id)])
            .await
            .druid_call("sql")
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(rows.first().and_then(|r| r["rows"].as_u64()).unwrap_or(0))
    }

    /// Before running a task again: an earlier run may have put its rows in
    /// Druid (e.g. it failed only at the count check); appending them again
    /// would count them twice.
    pub(super) async fn ensure_not_ingested_before(
        &self,
        plan: &IngestionPlan,
    ) -> Result<(), SinkError> {
        if !plan.append {
            return Ok(()); // replace overwrites them
        }
        let exists = self
            .client
            .sql(
                "SELECT COUNT(*) AS \"n\" FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ?",
                &[varchar(&plan.datasource)],
            )
            .await
            .druid_call("sql")
            .map_err(|e| druid_failure("druid_sql_failed", &e))?
            .first()
            .and_then(|r| r["n"].as_u64())
            .unwrap_or(0)
            > 0;
        let earlier = if exists {
            self.rows_of_upload(plan).await?
        } else {
            0
        };
        if earlier > 0 {
            return Err(SinkError::new(
                "already_in_druid",
                format!("Druid already holds {earlier} rows of this upload from an earlier run; running it again would add them twice"),
                Some("Upload the file again with mode \"replace\" to overwrite the days it covers."),
            ));
        }
        Ok(())
    }

    /// Waits until the ingested interval is fully loaded, then counts this
    /// upload's rows with Druid SQL.
    pub(super) async fn count_when_queryable(
        &self,
        plan: &IngestionPlan,
        expected: u64,
    ) -> Result<u64, SinkError> {
        let deadline = tokio::time::Instant::now() + self.config.load_timeout;
        let backoff = Backoff::new(&self.config);
        let mut partial_since = None;
        loop {
            let loaded = self.loaded_percent(plan).await?;
            // Loaded is not yet queryable: the broker learns of new segments
            // (and of a new datasource) a moment after the coordinator, and
            // answers "not found" until then. Ask again until the deadline.
            let mut last_error = None;
            if loaded >= 100.0 {
                match self.rows_of_upload(plan).await {
                    Ok(count) if count == expected => return Ok(count),
                    // The broker may know some of the new segments and not
                    // yet the others (a CI run under load counted 1121 of
                    // 1200): a partial count is final only after a while.
                    Ok(count) if count > 0 => {
                        let now = tokio::time::Instant::now();
                        if now > *partial_since.get_or_insert(now) + PARTIAL_COUNT_PATIENCE {
                            return Ok(count);
                        }
                    }
                    Ok(_) => {}
                    Err(error) => last_error = Some(error.message),
                }
            }
            if tokio::time::Instant::now() > deadline {
                let last = last_error
                    .map(|e| format!(" (last answer: {e})"))
                    .unwrap_or_default();
                return Err(SinkError::new(
                    "druid_segments_not_loaded",
                    format!("Druid ingested the data but its segments were not queryable within {:?}{last}", self.config.load_timeout),
                    Some("Check the historical's capacity (druid_segmentCache_locations, druid_server_maxSize) and the coordinator's and broker's logs."),
                )
                .retryable());
            }
            backoff.wait().await;
        }
    }
}
