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
    /// The normalized file's objects ("parts", each a whole number of
    /// lines), in order; Druid reads each as its own split.
    pub keys: Vec<String>,
    /// Most parts read at once, each by a subtask holding a worker slot
    /// (besides the slot of the task itself).
    pub max_subtasks: u32,
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

    /// Parallel subtasks this task runs: one per part, at most
    /// `max_subtasks`; `1` means the task reads everything itself (no
    /// subtasks), the quickest way for a file of one part.
    pub fn subtasks(&self) -> u32 {
        let parts = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        parts.min(self.max_subtasks).max(1)
    }

    /// Druid worker slots the task holds at most: its own, and one per
    /// subtask running at once.
    pub fn worker_slots(&self) -> u32 {
        match self.subtasks() {
            1 => 1,
            n => 1 + n,
        }
    }

    fn input_source(&self, keys: &[String]) -> Value {
        let objects: Vec<Value> = keys
            .iter()
            .map(|key| json!({ "bucket": self.bucket, "path": key }))
            .collect();
        json!({ "type": "s3", "objects": objects })
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

    fn io_config(&self, keys: &[String]) -> Value {
        json!({
            "type": "index_parallel",
            "inputSource": self.input_source(keys),
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
                "ioConfig": self.io_config(&self.keys),
                "tuningConfig": {
                    "type": "index_parallel",
                    // A row Druid cannot parse fails the task instead of vanishing.
                    "maxParseExceptions": 0,
                    "logParseExceptions": true,
                    "maxNumConcurrentSubTasks": self.subtasks(),
                    // One part per subtask: Druid's default groups objects
                    // into splits of up to 1 GiB, which would hand several
                    // of our parts to one subtask.
                    "splitHintSpec": { "type": "maxSize", "maxNumFiles": 1 },
                    "partitionsSpec": { "type": "dynamic" }
                }
            },
            "context": { "forceTimeChunkLock": true }
        })
    }

    /// The same read of the first part, for `POST /druid/indexer/v1/sampler`
    /// (it proves Druid can read our objects; the other parts are written
    /// the same way). Druid 25's sampler takes only the `index` task type.
    pub fn sampler(&self, rows: u32) -> Value {
        let mut io_config = self.io_config(&self.keys[..self.keys.len().min(1)]);
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
            keys: vec!["normalized/x.json".into()],
            max_subtasks: 4,
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
        assert_eq!(
            task["spec"]["tuningConfig"]["maxNumConcurrentSubTasks"], 1,
            "one part: no subtasks"
        );
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
    fn parts_are_the_objects_of_one_task_read_in_parallel() {
        let keys: Vec<String> = (1..=6)
            .map(|n| format!("normalized/x.part{n:04}.json"))
            .collect();
        let plan = IngestionPlan {
            keys: keys.clone(),
            ..plan()
        };
        let task = plan.task();
        let objects = task["spec"]["ioConfig"]["inputSource"]["objects"]
            .as_array()
            .expect("objects");
        let paths: Vec<&str> = objects.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(paths, keys);
        assert!(objects.iter().all(|o| o["bucket"] == "ingest"));
        let tuning = &task["spec"]["tuningConfig"];
        assert_eq!(
            tuning["maxNumConcurrentSubTasks"], 4,
            "capped by max_subtasks"
        );
        assert_eq!(tuning["splitHintSpec"]["maxNumFiles"], 1);
        assert_eq!(plan.worker_slots(), 5);

        let two = IngestionPlan {
            keys: keys[..2].to_vec(),
            ..plan.clone()
        };
        assert_eq!(two.subtasks(), 2, "never more subtasks than parts");
        // The sampler proves Druid reads the first part.
        let sampler = plan.sampler(5);
        let sampled = &sampler["spec"]["ioConfig"]["inputSource"]["objects"];
        assert_eq!(sampled.as_array().map(Vec::len), Some(1));
        assert_eq!(sampled[0]["path"], keys[0].as_str());
        assert_eq!(sampler["spec"]["ioConfig"]["type"], "index");
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
