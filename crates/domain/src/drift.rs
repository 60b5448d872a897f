//! Schema drift: how an upload's validated schema differs from the one its
//! datasource holds, and whether the upload may go ahead with it.
//!
//! Both sides are *our* validated types (long, double, boolean, timestamp,
//! string), never what the sink shows: Druid keeps booleans and timestamps
//! as strings, so comparing with Druid's columns would report drift that is
//! not there. A datasource's schema is that of the newest upload to it that
//! reached (or is reaching) it, kept in the task store with that task.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

use crate::{
    ColumnType, IllegalTransition, Task, TaskError, TaskId, TaskStatus, UnknownValue,
    ValidationReport,
};

/// Columns never compared: the row time as the sink names it, and the
/// column the Druid sink writes into every row to count an upload's rows.
pub const UNCOMPARED_COLUMNS: [&str; 2] = ["__time", "ingest_task_id"];

/// What an upload does when its schema differs from its datasource's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnSchemaChange {
    /// Ingest anyway; the differences are reported on the task.
    #[default]
    Allow,
    /// Fail the task (`schema_drift`) instead of changing the datasource's schema.
    Fail,
}

impl OnSchemaChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Fail => "fail",
        }
    }
}

impl FromStr for OnSchemaChange {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" => Ok(Self::Allow),
            "fail" => Ok(Self::Fail),
            _ => Err(UnknownValue {
                field: "on_schema_change",
                value: s.to_owned(),
                expected: "allow, fail",
            }),
        }
    }
}

impl fmt::Display for OnSchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One column of a schema, with the type validation gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SchemaColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
}

/// A schema as validation saw it: the data columns (the time column, which
/// becomes the row time, and the uncompared columns left out) and the time
/// column (`None`: rows took the upload time).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidatedSchema {
    pub columns: Vec<SchemaColumn>,
    pub time_column: Option<String>,
}

impl ValidatedSchema {
    pub fn of_report(report: &ValidationReport) -> Self {
        let time_column = report.timestamp.column.clone();
        let columns = report
            .columns
            .iter()
            .filter(|c| Some(&c.name) != time_column.as_ref())
            .filter(|c| !UNCOMPARED_COLUMNS.contains(&c.name.as_str()))
            .map(|c| SchemaColumn {
                name: c.name.clone(),
                column_type: c.column_type,
            })
            .collect();
        Self {
            columns,
            time_column,
        }
    }
}

/// A column whose validated type differs from the datasource's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TypeChange {
    pub name: String,
    /// The type the datasource holds.
    pub was: ColumnType,
    /// The type this upload's values have.
    pub now: ColumnType,
}

/// The time column changed (`None`: rows take the upload time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeColumnChange {
    pub was: Option<String>,
    pub now: Option<String>,
}

/// How this upload's schema compares with its datasource's, decided right
/// before it ingests (under the datasource's schema lock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SchemaDrift {
    /// The earlier upload whose schema is the datasource's; `null` when the
    /// datasource had none (this upload sets its schema).
    pub compared_with: Option<TaskId>,
    /// Whether anything below differs.
    pub drifted: bool,
    /// Columns this upload has and the datasource does not.
    pub added: Vec<SchemaColumn>,
    /// Columns the datasource has and this upload does not.
    pub missing: Vec<SchemaColumn>,
    pub type_changed: Vec<TypeChange>,
    pub time_column_changed: Option<TimeColumnChange>,
    /// What this upload asked for when it drifts.
    pub on_schema_change: OnSchemaChange,
}

/// Names listed in a message before the rest are counted.
const NAMED_IN_MESSAGE: usize = 10;

impl SchemaDrift {
    /// Compares `upload` with `current` (the datasource's schema and the task
    /// it came from; `None` for a datasource nothing reached yet).
    pub fn compare(
        upload: &ValidatedSchema,
        current: Option<(TaskId, &ValidatedSchema)>,
        on_schema_change: OnSchemaChange,
    ) -> Self {
        let Some((task_id, held)) = current else {
            return Self {
                compared_with: None,
                drifted: false,
                added: Vec::new(),
                missing: Vec::new(),
                type_changed: Vec::new(),
                time_column_changed: None,
                on_schema_change,
            };
        };
        let find = |columns: &[SchemaColumn], name: &str| {
            columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.column_type)
        };
        let added: Vec<SchemaColumn> = upload
            .columns
            .iter()
            .filter(|c| find(&held.columns, &c.name).is_none())
            .cloned()
            .collect();
        let missing: Vec<SchemaColumn> = held
            .columns
            .iter()
            .filter(|c| find(&upload.columns, &c.name).is_none())
            .cloned()
            .collect();
        let type_changed: Vec<TypeChange> = upload
            .columns
            .iter()
            .filter_map(|c| {
                let was = find(&held.columns, &c.name)?;
                (was != c.column_type).then(|| TypeChange {
                    name: c.name.clone(),
                    was,
                    now: c.column_type,
                })
            })
            .collect();
        let time_column_changed =
            (upload.time_column != held.time_column).then(|| TimeColumnChange {
                was: held.time_column.clone(),
                now: upload.time_column.clone(),
            });
        let drifted = !added.is_empty()
            || !missing.is_empty()
            || !type_changed.is_empty()
            || time_column_changed.is_some();
        Self {
            compared_with: Some(task_id),
            drifted,
            added,
            missing,
            type_changed,
            time_column_changed,
            on_schema_change,
        }
    }

    /// The differences in one sentence, e.g. `added: region (string);
    /// type changed: amount double → string`.
    pub fn describe(&self) -> String {
        let list = |items: Vec<String>| {
            let more = items.len().saturating_sub(NAMED_IN_MESSAGE);
            let mut text = items
                .into_iter()
                .take(NAMED_IN_MESSAGE)
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            text
        };
        let column = |c: &SchemaColumn| format!("{} ({})", c.name, c.column_type.as_str());
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!(
                "added: {}",
                list(self.added.iter().map(column).collect())
            ));
        }
        if !self.missing.is_empty() {
            parts.push(format!(
                "missing: {}",
                list(self.missing.iter().map(column).collect())
            ));
        }
        if !self.type_changed.is_empty() {
            let changes = self
                .type_changed
                .iter()
                .map(|t| format!("{} {} → {}", t.name, t.was.as_str(), t.now.as_str()))
                .collect();
            parts.push(format!("type changed: {}", list(changes)));
        }
        if let Some(change) = &self.time_column_changed {
            let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "(upload time)".into());
            parts.push(format!(
                "time column changed: {} → {}",
                name(&change.was),
                name(&change.now)
            ));
        }
        parts.join("; ")
    }

    /// The failure of an upload that drifted and asked to fail on it.
    pub fn refusal(&self, datasource: &str) -> Option<TaskError> {
        if !self.drifted || self.on_schema_change != OnSchemaChange::Fail {
            return None;
        }
        let earlier = self.compared_with.map_or_else(String::new, |id| {
            format!(" (its schema is that of task {id})")
        });
        Some(TaskError::new(
            "schema_drift",
            format!(
                "the file's schema differs from datasource {datasource}'s{earlier}: {}",
                self.describe()
            ),
            Some(format!(
                "The upload asked on_schema_change=fail. Make the file match the datasource ({}), or upload it with on_schema_change=allow to change the datasource's schema.",
                self.describe()
            )),
        ))
    }
}

impl Task {
    /// The schema gate between validation and ingestion: compares this
    /// validated task's schema with `current` (the datasource's, from the
    /// task that holds it), records the outcome in `schema_drift`, and moves
    /// on to `ingesting`, or to `failed` (`schema_drift`) when it drifted and
    /// asked to fail on that. Legal only while validating.
    pub fn pass_schema_gate(
        &mut self,
        current: Option<&Task>,
        now: DateTime<Utc>,
    ) -> Result<(), IllegalTransition> {
        if self.status() != TaskStatus::Validating {
            return Err(IllegalTransition {
                from: self.status(),
                to: TaskStatus::Ingesting,
            });
        }
        let held = current.and_then(|t| {
            let report = t.validation.as_ref()?;
            Some((t.task_id, ValidatedSchema::of_report(report)))
        });
        if let Some(report) = &self.validation {
            let upload = ValidatedSchema::of_report(report);
            let drift = SchemaDrift::compare(
                &upload,
                held.as_ref().map(|(id, schema)| (*id, schema)),
                self.on_schema_change,
            );
            let refusal = drift.refusal(self.datasource.as_str());
            self.schema_drift = Some(drift);
            if let Some(error) = refusal {
                return self.fail(error, now);
            }
        }
        self.start_ingesting(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(columns: &[(&str, ColumnType)], time: Option<&str>) -> ValidatedSchema {
        ValidatedSchema {
            columns: columns
                .iter()
                .map(|(name, column_type)| SchemaColumn {
                    name: (*name).to_owned(),
                    column_type: *column_type,
                })
                .collect(),
            time_column: time.map(str::to_owned),
        }
    }

    #[test]
    fn a_new_datasource_has_nothing_to_drift_from() {
        let upload = schema(&[("a", ColumnType::Long)], Some("ts"));
        let drift = SchemaDrift::compare(&upload, None, OnSchemaChange::Fail);
        assert!(!drift.drifted && drift.compared_with.is_none());
        assert!(drift.refusal("d").is_none());
    }

    #[test]
    fn every_kind_of_difference_is_named() {
        let held = schema(
            &[
                ("a", ColumnType::Long),
                ("b", ColumnType::String),
                ("c", ColumnType::Boolean),
            ],
            Some("ts"),
        );
        let upload = schema(
            &[
                ("a", ColumnType::Double),
                ("c", ColumnType::Boolean),
                ("d", ColumnType::String),
            ],
            Some("time"),
        );
        let earlier = TaskId::new();
        let drift = SchemaDrift::compare(&upload, Some((earlier, &held)), OnSchemaChange::Allow);
        assert!(drift.drifted);
        assert_eq!(drift.compared_with, Some(earlier));
        assert_eq!(drift.added[0].name, "d");
        assert_eq!(drift.missing[0].name, "b");
        assert_eq!(
            drift.type_changed,
            [TypeChange {
                name: "a".into(),
                was: ColumnType::Long,
                now: ColumnType::Double
            }]
        );
        assert_eq!(
            drift.describe(),
            "added: d (string); missing: b (string); type changed: a long → double; time column changed: ts → time"
        );
        assert!(drift.refusal("d").is_none(), "allow lets it through");
        let strict = SchemaDrift {
            on_schema_change: OnSchemaChange::Fail,
            ..drift
        };
        let error = strict.refusal("sales").expect("refused");
        assert_eq!(error.code, "schema_drift");
        assert!(
            error.message.contains("missing: b (string)"),
            "{}",
            error.message
        );
        assert!(error.hint.expect("hint").contains("on_schema_change=allow"));
    }

    #[test]
    fn the_same_schema_in_another_order_is_no_drift() {
        let held = schema(&[("a", ColumnType::Long), ("b", ColumnType::String)], None);
        let upload = schema(&[("b", ColumnType::String), ("a", ColumnType::Long)], None);
        let drift =
            SchemaDrift::compare(&upload, Some((TaskId::new(), &held)), OnSchemaChange::Fail);
        assert!(!drift.drifted, "{drift:?}");
        assert!(drift.refusal("d").is_none());
    }

    #[test]
    fn on_schema_change_reads_its_two_words() {
        assert_eq!("FAIL".parse(), Ok(OnSchemaChange::Fail));
        assert_eq!(" allow ".parse(), Ok(OnSchemaChange::Allow));
        assert!("strict".parse::<OnSchemaChange>().is_err());
    }
}
