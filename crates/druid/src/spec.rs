//! The native batch (`index_parallel`) task we submit, as typed structs:
//! every value reaches JSON through serde, never through string building.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

/// Druid's column types for dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DimensionType {
    String,
    Long,
    Double,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecColumn {
    pub name: String,
    pub kind: DimensionType,
}

/// Shared with the local sink, so `replace` means the same chunks in both.
pub use ingest_domain::SegmentGranularity;

/// Everything that decides the spec; `build` turns it into Druid's JSON.
#[derive(Debug, Clone)]
pub struct IngestionPlan {
    /// Deterministic, so a retried submit finds the task it already made.
    pub druid_task_id: String,
    pub datasource: String,
    pub bucket: String,
    pub key: String,
    /// Column holding epoch milliseconds (the normalized file's `__time`).
    pub time_column: String,
    pub dimensions: Vec<SpecColumn>,
    pub min_time: DateTime<Utc>,
    pub max_time: DateTime<Utc>,
    pub segment_granularity: SegmentGranularity,
    /// `false` replaces the time chunks the data covers.
    pub append: bool,
    /// Written into every row as `ingest_task_id`, for lineage and an exact
    /// count of this upload's rows.
    pub lineage_id: String,
}

/// Name of the column recording which upload a row came from.
pub const LINEAGE_COLUMN: &str = "ingest_task_id";

impl IngestionPlan {
    /// The interval the data covers, widened to whole segments.
    pub fn interval(&self) -> String {
        let start = self.segment_granularity.floor(self.min_time);
        let end = self.segment_granularity.next(self.max_time);
        format!(
            "{}/{}",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            end.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }

    fn input_source(&self) -> Value {
        json!({
            "type": "s3",
            "objects": [{ "bucket": self.bucket, "path": self.key }]
        })
    }

    fn data_schema(&self) -> Value {
        let mut dimensions: Vec<Value> = self
            .dimensions
            .iter()
            .map(|d| json!({ "type": d.kind, "name": d.name }))
            .collect();
        dimensions.push(json!({ "type": "string", "name": LINEAGE_COLUMN }));
        json!({
            "dataSource": self.datasource,
            "timestampSpec": { "column": self.time_column, "format": "millis" },
            "dimensionsSpec": { "dimensions": dimensions },
            "transformSpec": {
                "transforms": [{
                    "type": "expression",
                    "name": LINEAGE_COLUMN,
                    // A string literal in Druid's expression language; the id is
                    // a UUID, checked when the plan is made, so quoting is safe.
                    "expression": format!("'{}'", self.lineage_id)
                }]
            },
            "granularitySpec": {
                "type": "uniform",
                "segmentGranularity": self.segment_granularity,
                "queryGranularity": "NONE",
                "rollup": false,
                "intervals": [self.interval()]
            }
        })
    }

    fn io_config(&self) -> Value {
        json!({
            "type": "index_parallel",
            "inputSource": self.input_source(),
            // The validator's normalized JSON lines: typed values, `__time` in ms.
            "inputFormat": { "type": "json" },
            "appendToExisting": self.append,
            // A replace drops every segment inside its interval, also the
            // chunks where the file has no rows (Druid writes tombstones
            // there): the whole window is replaced, as in the local sink.
            "dropExisting": !self.append
        })
    }

    /// The task for `POST /druid/indexer/v1/task`.
    pub fn task(&self) -> Value {
        json!({
            "type": "index_parallel",
            "id": self.druid_task_id,
            "spec": {
                "dataSchema": self.data_schema(),
                "ioConfig": self.io_config(),
                "tuningConfig": {
                    "type": "index_parallel",
                    // A row Druid cannot parse fails the task instead of vanishing.
                    "maxParseExceptions": 0,
                    "logParseExceptions": true,
                    "maxNumConcurrentSubTasks": 1,
                    "partitionsSpec": { "type": "dynamic" }
                }
            },
            "context": { "forceTimeChunkLock": true }
        })
    }

    /// The same read, for `POST /druid/indexer/v1/sampler`. Druid 25's
    /// sampler takes only the `index` task type, with the same input.
    pub fn sampler(&self, rows: u32) -> Value {
        let mut io_config = self.io_config();
        io_config["type"] = json!("index");
        json!({
            "type": "index",
            "spec": {
                "dataSchema": self.data_schema(),
                "ioConfig": io_config,
                "tuningConfig": { "type": "index" }
            },
            "samplerConfig": { "numRows": rows, "timeoutMs": 30000 }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bucket_ends_at_the_edge_of_time_do_not_panic() {
        let last = DateTime::<Utc>::MAX_UTC;
        for granularity in [
            SegmentGranularity::Hour,
            SegmentGranularity::Day,
            SegmentGranularity::Month,
            SegmentGranularity::Year,
        ] {
            assert!(granularity.next(last) >= granularity.floor(last));
        }
        assert_eq!(
            SegmentGranularity::for_span(DateTime::<Utc>::MIN_UTC, last),
            SegmentGranularity::Year
        );
    }

    fn plan() -> IngestionPlan {
        IngestionPlan {
            druid_task_id: "ingest-0190".into(),
            datasource: "sales".into(),
            bucket: "ingest".into(),
            key: "normalized/x.json".into(),
            time_column: "__time".into(),
            dimensions: vec![
                SpecColumn {
                    name: "region".into(),
                    kind: DimensionType::String,
                },
                SpecColumn {
                    name: "qty".into(),
                    kind: DimensionType::Long,
                },
            ],
            min_time: Utc
                .with_ymd_and_hms(2024, 1, 1, 0, 49, 0)
                .single()
                .expect("time"),
            max_time: Utc
                .with_ymd_and_hms(2024, 3, 30, 23, 0, 0)
                .single()
                .expect("time"),
            segment_granularity: SegmentGranularity::Day,
            append: false,
            lineage_id: "0190".into(),
        }
    }

    #[test]
    fn spec_reads_the_exact_object_and_never_drops_rows() {
        let task = plan().task();
        assert_eq!(
            task["spec"]["ioConfig"]["inputSource"]["objects"][0]["path"],
            "normalized/x.json"
        );
        assert!(task["spec"]["ioConfig"]["inputSource"]
            .get("prefixes")
            .is_none());
        assert_eq!(task["spec"]["tuningConfig"]["maxParseExceptions"], 0);
        assert_eq!(task["spec"]["ioConfig"]["appendToExisting"], false);
        assert_eq!(
            task["spec"]["dataSchema"]["granularitySpec"]["intervals"][0],
            "2024-01-01T00:00:00Z/2024-03-31T00:00:00Z"
        );
        assert_eq!(
            task["spec"]["dataSchema"]["dimensionsSpec"]["dimensions"][1]["type"],
            "long"
        );
        let text = task.to_string();
        assert!(
            !text.contains("accessKey") && !text.contains("secretKey"),
            "no credentials in specs"
        );
    }

    #[test]
    fn granularity_follows_the_span() {
        let t = |d| {
            Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0)
                .single()
                .expect("time")
        };
        assert_eq!(
            SegmentGranularity::for_span(t(1), t(1)),
            SegmentGranularity::Day
        );
        assert_eq!(
            SegmentGranularity::for_span(t(1), t(31)),
            SegmentGranularity::Day
        );
        assert_eq!(
            SegmentGranularity::Month
                .next(
                    Utc.with_ymd_and_hms(2024, 12, 5, 0, 0, 0)
                        .single()
                        .expect("t")
                )
                .to_rfc3339(),
            "2025-01-01T00:00:00+00:00"
        );
    }
}
