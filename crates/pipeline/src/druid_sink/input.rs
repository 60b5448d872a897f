//! What Druid is asked to read: the normalized file stored as parts where
//! Druid can reach them (`DruidInput`), the ingestion plan built from the
//! validation report, and the sampler preflight that fails fast, with
//! Druid's words, when Druid cannot read or parse them.

use ingest_domain::ColumnType;
use ingest_domain::IngestMode;
use ingest_druid::{DimensionType, IngestionPlan, SegmentGranularity, SpecColumn};
use ingest_storage::{
    object::{s3_location, upload_file_range},
    S3Location,
};
use ingest_validation::TIME_COLUMN;
use tracing::info;

use super::{druid_failure, druid_hint, parts, reruns, DruidInput, DruidSink};
use crate::metrics::DruidCall;
use crate::sink::{IngestSink, SinkJob};
use crate::SinkError;

fn dimension_type(column_type: ColumnType) -> DimensionType {
    match column_type {
        ColumnType::Long => DimensionType::Long,
        ColumnType::Double => DimensionType::Double,
        ColumnType::Boolean | ColumnType::Timestamp | ColumnType::String => DimensionType::String,
    }
}

impl DruidInput {
    fn location(&self, key: &str) -> S3Location {
        s3_location(&self.bucket, &self.prefix, key)
    }
}

impl DruidSink {
    /// Where Druid finds `key`, from the configured bucket and prefix.
    pub(super) fn input_location(&self, key: &str) -> Result<S3Location, SinkError> {
        self.config.input.as_ref().map(|input| input.location(key)).ok_or_else(|| {
            SinkError::new(
                "druid_needs_s3",
                "Druid reads uploads from S3, but the object store is a local folder",
                Some("Set S3_BUCKET, S3_ENDPOINT and the AWS_* credentials so the server stores uploads where Druid can read them."),
            )
        })
    }

    pub(super) fn plan(
        &self,
        job: &SinkJob<'_>,
        bucket: String,
        keys: Vec<String>,
    ) -> IngestionPlan {
        let report = job.report;
        let time_column = report.timestamp.column.as_deref();
        let dimensions = report
            .columns
            .iter()
            .filter(|c| Some(c.name.as_str()) != time_column)
            .map(|c| SpecColumn {
                name: c.name.clone(),
                kind: dimension_type(c.column_type),
            })
            .collect();
        let min = report.timestamp.min.unwrap_or(job.task.created_at);
        let max = report.timestamp.max.unwrap_or(min);
        IngestionPlan {
            // The first Druid task of this run; an attempt settles on its
            // own id once it has looked at the earlier ones (`reruns`).
            druid_task_id: reruns::druid_task_id(job.task.task_id, job.task.retries, 0),
            datasource: job.task.datasource.to_string(),
            bucket,
            keys,
            max_subtasks: self.config.max_subtasks.max(1),
            time_column: TIME_COLUMN.to_owned(),
            dimensions,
            min_time: min,
            max_time: max,
            segment_granularity: SegmentGranularity::for_span(min, max),
            append: job.task.mode == IngestMode::Append,
            lineage_id: job.task.task_id.to_string(),
        }
    }

    /// Stores the normalized file as parts of `part_bytes` (one object when
    /// it is smaller); returns the bucket and the keys Druid reads them at.
    pub(super) async fn store_parts(
        &self,
        job: &SinkJob<'_>,
    ) -> Result<(String, Vec<String>), SinkError> {
        let stored = |e: String| {
            SinkError::new(
                "object_store_failed",
                format!("could not store the normalized file: {e}"),
                None,
            )
            .retryable()
        };
        let (path, part_bytes) = (job.normalized.to_owned(), self.config.part_bytes);
        let ranges = tokio::task::spawn_blocking(move || parts::line_ranges(&path, part_bytes))
            .await
            .map_err(|e| stored(e.to_string()))?
            .map_err(|e| stored(e.to_string()))?;
        let extension = self.normalized_format().extension();
        let (mut bucket, mut keys) = (String::new(), Vec::with_capacity(ranges.len()));
        for (index, range) in ranges.iter().enumerate() {
            let key = parts::normalized_key(job.task.task_id, index, ranges.len(), extension);
            let location = self.input_location(&key)?;
            upload_file_range(self.objects.as_ref(), &key, job.normalized, range.clone())
                .await
                .map_err(|e| stored(e.to_string()))?;
            bucket = location.bucket;
            keys.push(location.key);
        }
        if keys.len() > 1 {
            info!(
                parts = keys.len(),
                part_bytes, "normalized file stored in parts"
            );
        }
        Ok((bucket, keys))
    }

    /// Fails fast, with Druid's words, when Druid cannot read the object.
    pub(super) async fn preflight(&self, plan: &IngestionPlan) -> Result<(), SinkError> {
        let outcome = self
            .client
            .sample(&plan.sampler(5))
            .await
            .druid_call("sample")
            .map_err(|e| druid_failure("druid_cannot_read_input", &e))?;
        if let Some(first) = outcome.unparseable.first() {
            return Err(SinkError::new(
                "druid_cannot_parse_input",
                format!("Druid's sampler could not parse the file: {first}"),
                Some(druid_hint(first)),
            ));
        }
        if outcome.rows_read == 0 {
            return Err(SinkError::new(
                "druid_read_nothing",
                "Druid's sampler read no rows from the uploaded file",
                Some("Druid found the object but no rows in it; check that druid_s3_* in druid/environment point at the same S3 server this service writes to."),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn druid_reads_the_keys_the_s3_store_writes() {
        let input = |prefix: &str| crate::DruidInput {
            bucket: "b".into(),
            prefix: prefix.into(),
        };
        for (prefix, key) in [
            ("", "normalized/t.json"),
            ("ingest", "ingest/normalized/t.json"),
            ("/ingest/", "ingest/normalized/t.json"),
            ("a/b/", "a/b/normalized/t.json"),
        ] {
            let location = input(prefix).location("normalized/t.json");
            assert_eq!(
                (location.bucket.as_str(), location.key.as_str()),
                ("b", key)
            );
        }
    }
}
