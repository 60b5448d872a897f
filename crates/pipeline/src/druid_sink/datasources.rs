//! The reads behind the API's datasource pages (Druid SQL: the list, one
//! datasource's columns and range, rows in a window, a time series, sample
//! rows, size) and the removal of a whole datasource. Never on the ingest
//! path.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ingest_domain::{
    DatasourceColumn, DatasourceName, DatasourceSummary, Granularity, ReplaceWindow, TimePoint,
};
use ingest_druid::varchar;
use serde_json::Value;
use tracing::info;

use super::{druid_failure, DruidSink};
use crate::metrics::DruidCall;
use crate::sink::{DatasourceQuery, Row};
use crate::SinkError;

fn period(granularity: Granularity) -> &'static str {
    match granularity {
        Granularity::Minute => "PT1M",
        Granularity::Hour => "PT1H",
        Granularity::Day => "P1D",
        Granularity::Week => "P1W",
        Granularity::Month => "P1M",
    }
}

fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| s.parse().ok())
}

impl DruidSink {
    /// One Druid SQL read for these pages, counted like the ingest path's
    /// SQL (`ingest_druid_calls_total{call="sql"}`), failing in our error
    /// shape.
    async fn read_sql(&self, query: &str, parameters: &[Value]) -> Result<Vec<Value>, SinkError> {
        self.client
            .sql(query, parameters)
            .await
            .druid_call("sql")
            .map_err(|e| druid_failure("druid_sql_failed", &e))
    }

    /// Marks the segments unused (the rows leave queries as soon as the
    /// Historicals drop them), then a kill task removes them from deep
    /// storage and the metadata store.
    pub(super) async fn delete(&self, name: &DatasourceName) -> Result<bool, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(false);
        }
        self.client
            .mark_unused(name.as_str())
            .await
            .druid_call("mark_unused")
            .map_err(|e| druid_failure("druid_delete_failed", &e))?;
        let kill = self
            .client
            .submit(&kill_task(name))
            .await
            .druid_call("kill")
            .map_err(|e| druid_failure("druid_delete_failed", &e))?;
        info!(datasource = %name, kill_task = %kill, "datasource marked unused; kill task submitted");
        Ok(true)
    }
}

/// A kill task for every unused segment of the datasource, whatever its
/// time: after `mark_unused`, that is all of them.
fn kill_task(datasource: &DatasourceName) -> Value {
    serde_json::json!({
        "type": "kill",
        "id": format!("ingest-kill-{datasource}-{}", uuid::Uuid::new_v4()),
        "dataSource": datasource.as_str(),
        "interval": "1000-01-01T00:00:00Z/3000-01-01T00:00:00Z",
    })
}

#[async_trait]
impl DatasourceQuery for DruidSink {
    async fn datasources(&self) -> Result<Vec<DatasourceSummary>, SinkError> {
        let rows = self
            .read_sql("SELECT TABLE_NAME AS \"name\" FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' ORDER BY 1", &[])
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let Some(name) = row["name"]
                .as_str()
                .and_then(|n| DatasourceName::parse(n).ok())
            else {
                continue;
            };
            if let Some(summary) = self.datasource(&name).await? {
                out.push(summary);
            }
        }
        Ok(out)
    }

    async fn datasource(
        &self,
        name: &DatasourceName,
    ) -> Result<Option<DatasourceSummary>, SinkError> {
        let columns = self
            .read_sql(
                "SELECT COLUMN_NAME AS \"name\", DATA_TYPE AS \"type\" FROM INFORMATION_SCHEMA.COLUMNS \
                 WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                &[varchar(name.as_str())],
            )
            .await?;
        if columns.is_empty() {
            return Ok(None);
        }
        // The name is a DatasourceName (letters, digits, _ and -), so it is
        // safe inside a quoted identifier.
        let query = format!(
            r#"SELECT COUNT(*) AS "rows", MIN(__time) AS "min", MAX(__time) AS "max" FROM "{name}""#
        );
        let stats = self.read_sql(&query, &[]).await?;
        let first = stats.first().cloned().unwrap_or(Value::Null);
        Ok(Some(DatasourceSummary {
            name: name.to_string(),
            row_count: first["rows"].as_u64().unwrap_or(0),
            min_time: time_of(&first["min"]),
            max_time: time_of(&first["max"]),
            columns: columns
                .iter()
                .map(|c| DatasourceColumn {
                    name: c["name"].as_str().unwrap_or_default().to_owned(),
                    column_type: c["type"].as_str().unwrap_or_default().to_ascii_lowercase(),
                })
                .collect(),
        }))
    }

    async fn rows_between(
        &self,
        name: &DatasourceName,
        window: ReplaceWindow,
    ) -> Result<u64, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(0);
        }
        // The name is a DatasourceName, safe inside a quoted identifier.
        let query = format!(
            r#"SELECT COUNT(*) AS "rows" FROM "{name}" WHERE __time >= MILLIS_TO_TIMESTAMP(?) AND __time < MILLIS_TO_TIMESTAMP(?)"#
        );
        let (start, end) = window.millis();
        let bigint = |v: i64| serde_json::json!({ "type": "BIGINT", "value": v });
        let rows = self.read_sql(&query, &[bigint(start), bigint(end)]).await?;
        Ok(rows.first().and_then(|r| r["rows"].as_u64()).unwrap_or(0))
    }

    async fn timeseries(
        &self,
        name: &DatasourceName,
        granularity: Granularity,
    ) -> Result<Option<Vec<TimePoint>>, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(None);
        }
        let query = format!(
            r#"SELECT TIME_FLOOR(__time, '{}') AS "time", COUNT(*) AS "rows" FROM "{name}" GROUP BY 1 ORDER BY 1"#,
            period(granularity)
        );
        let rows = self.read_sql(&query, &[]).await?;
        Ok(Some(
            rows.iter()
                .filter_map(|r| {
                    Some(TimePoint {
                        time: time_of(&r["time"])?,
                        rows: r["rows"].as_u64()?,
                    })
                })
                .collect(),
        ))
    }

    async fn sample(
        &self,
        name: &DatasourceName,
        limit: usize,
    ) -> Result<Option<Vec<Row>>, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(None);
        }
        // The name is a DatasourceName, safe inside a quoted identifier.
        let query = format!(r#"SELECT * FROM "{name}" ORDER BY __time LIMIT {limit}"#);
        let rows = self.read_sql(&query, &[]).await?;
        Ok(Some(
            rows.into_iter()
                .filter_map(|row| match row {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .collect(),
        ))
    }

    async fn size_bytes(&self, name: &DatasourceName) -> Result<Option<u64>, SinkError> {
        let rows = self
            .read_sql(
                "SELECT SUM(\"size\") AS \"bytes\" FROM sys.segments \
                 WHERE \"datasource\" = ? AND is_published = 1 AND is_overshadowed = 0",
                &[varchar(name.as_str())],
            )
            .await?;
        Ok(rows.first().and_then(|r| r["bytes"].as_u64()))
    }
}
