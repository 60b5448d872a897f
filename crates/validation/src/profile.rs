//! First pass: read every row once, learn each column's type and range,
//! find the time column, and list what is wrong, with lines.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ingest_domain::{
    ColumnProfile, ColumnType, Problem, RejectionKind, Severity, TimestampInfo, TimestampSource,
};

use crate::column_workers::Workers;
use crate::infer::{value_of, ColumnState};
use crate::rejections::Budgeted;
use crate::source::{Cell, ReadFailure, RowSource};
use crate::stats::ColumnStatsState;
use crate::timestamp::{self, TimeFormat};
use crate::types::{self, Steering};
use crate::{control::CHECK_EVERY_ROWS, Control, TIME_COLUMN};

/// Problems itemised in a report; the rest are counted.
pub const MAX_LISTED_PROBLEMS: usize = 100;
/// Lines listed for one kind of problem before it is summarised.
pub const MAX_LINES_PER_KIND: usize = 20;
/// Share of a column's values that must read as times for it to be chosen.
const TIME_PARSE_RATE: f64 = 0.95;

/// Collects problems, keeping the list short enough to read.
#[derive(Debug, Default)]
pub struct Problems {
    pub listed: Vec<Problem>,
    pub not_listed: u64,
}

impl Problems {
    pub fn push(
        &mut self,
        severity: Severity,
        code: &str,
        message: String,
        line: Option<u64>,
        column: Option<&str>,
    ) {
        if self.listed.len() >= MAX_LISTED_PROBLEMS {
            self.not_listed += 1;
            return;
        }
        self.listed.push(Problem {
            severity,
            code: code.to_owned(),
            message,
            line,
            column: column.map(str::to_owned),
        });
    }

    pub fn error(&mut self, code: &str, message: String, line: Option<u64>, column: Option<&str>) {
        self.push(Severity::Error, code, message, line, column);
    }

    pub fn has_errors(&self) -> bool {
        self.listed.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Where each row's time comes from.
#[derive(Debug, Clone)]
pub struct TimePlan {
    pub column: Option<(usize, TimeFormat)>,
    /// Used for every row when there is no time column.
    pub constant: i64,
}

pub struct Profile {
    pub columns: Vec<String>,
    pub states: Vec<ColumnState>,
    /// Distinct estimate, top values, histogram: one per column, beside `states`.
    pub stats: Vec<ColumnStatsState>,
    pub rows_in: u64,
    pub time: TimePlan,
    pub problems: Problems,
    /// Rows of the budgeted rejection kinds, not yet listed in `problems`:
    /// the budget decides whether they are errors (see `rejections`).
    pub budgeted: Budgeted,
    /// How many rows `budgeted` met (it is taken to be settled).
    pub budgeted_rows: u64,
}

pub fn check_header(columns: &[String], problems: &mut Problems, header_line: u64) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, name) in columns.iter().enumerate() {
        let position = index + 1;
        if name.is_empty() {
            problems.error(
                "empty_column_name",
                format!("column {position} has no name in the header"),
                Some(header_line),
                None,
            );
        } else if let Some(first) = seen.insert(name.as_str(), position) {
            problems.error(
                "duplicate_column_name",
                format!("column name {name:?} appears twice in the header, at columns {first} and {position}"),
                Some(header_line),
                Some(name),
            );
        }
    }
    let looks_like_data = !columns.is_empty()
        && columns
            .iter()
            .all(|c| c.parse::<f64>().is_ok() || !TimeFormat::candidates_for(c).is_empty());
    if looks_like_data {
        problems.error(
            "missing_header",
            "the first line holds numbers or dates, not column names: the file seems to have no header".into(),
            Some(header_line),
            None,
        );
    }
}

/// Reads the whole source once; delimited text with `threads` > 1 has its
/// columns observed on that many threads (see `column_workers`).
pub fn profile(
    source: &mut dyn RowSource,
    requested_time_column: Option<&str>,
    fallback: DateTime<Utc>,
    steering: &Steering,
    control: &Control,
    threads: usize,
) -> Profile {
    let mut problems = Problems::default();
    check_header(source.columns(), &mut problems, source.header_line());
    // European spreadsheets separate fields with `;` (or tabs) because
    // their numbers have a decimal comma; with `,` as the delimiter a comma
    // in a number is a thousands separator, never a decimal one.
    let seed = match source.delimiter() {
        Some(delimiter) if delimiter != b',' => ColumnState::allowing_decimal_comma(),
        _ => ColumnState::default(),
    };
    let mut states: Vec<ColumnState> = source
        .columns()
        .iter()
        .map(|name| steering.seed(&seed, name))
        .collect();
    let comma = source.delimiter().is_some_and(|d| d != b',');
    let mut stats = vec![ColumnStatsState::new(comma); source.columns().len()];
    let mut row: Vec<Cell> = Vec::new();
    let mut rows_in = 0u64;
    let mut budgeted = Budgeted::default();
    // Only delimited text: its columns are fixed by the header, and its
    // cells are all text (see `Workers::push`).
    let mut workers = None;
    if threads > 1 && source.delimiter().is_some() && states.len() > 1 {
        match Workers::start(
            threads,
            std::mem::take(&mut states),
            std::mem::take(&mut stats),
        ) {
            Ok(started) => workers = Some(started),
            Err(back) => (states, stats) = back,
        }
    }
    loop {
        // With workers, a row that is one text goes to them as it is (no
        // copy of each cell): `staged`, then committed or discarded below.
        let read = match &mut workers {
            Some(workers) => {
                source.next_row_or_text(&mut row, &mut |text, record| workers.stage(text, record))
            }
            None => source
                .next_row(&mut row)
                .map(|meta| meta.map(|meta| (meta, false))),
        };
        let (meta, staged) = match read {
            Ok(Some(read)) => read,
            Ok(None) => break,
            Err(failure) => {
                report_failure(&mut problems, &failure);
                break;
            }
        };
        let unusable = source.row_defect().is_some()
            || (source.checks_field_count() && meta.field_count != source.columns().len());
        if let (Some(workers), true) = (&mut workers, staged && unusable) {
            workers.discard();
        }
        rows_in += 1;
        if rows_in.is_multiple_of(CHECK_EVERY_ROWS) && control.rows_read(rows_in) {
            if let Some(workers) = &mut workers {
                workers.discard();
            }
            break;
        }
        // NDJSON learns columns as it goes; earlier rows lacked them.
        while workers.is_none() && states.len() < source.columns().len() {
            let name = &source.columns()[states.len()];
            let fresh = ColumnState::with_leading_nulls(rows_in - 1);
            states.push(steering.seed(&fresh, name));
        }
        while workers.is_none() && stats.len() < source.columns().len() {
            stats.push(ColumnStatsState::with_leading_nulls(rows_in - 1, comma));
        }
        if let Some(defect) = source.row_defect() {
            budgeted.note(
                RejectionKind::Undecodable,
                defect.code,
                defect.message,
                defect.line.or(Some(meta.line)),
                None,
            );
            continue;
        }
        if source.checks_field_count() && meta.field_count != source.columns().len() {
            budgeted.note(
                RejectionKind::Ragged,
                RejectionKind::Ragged.code(),
                format!(
                    "line {} has {} fields but the header has {}",
                    meta.line,
                    meta.field_count,
                    source.columns().len()
                ),
                Some(meta.line),
                None,
            );
            continue;
        }
        if let Some(workers) = &mut workers {
            if staged {
                workers.commit(meta.line);
            } else {
                workers.push(&row, meta.line);
            }
            continue;
        }
        for ((state, stat), cell) in states.iter_mut().zip(stats.iter_mut()).zip(&row) {
            // Text checked for null and trimmed once for both.
            match cell {
                Cell::Text(text) => match value_of(text) {
                    Some(value) => {
                        let parsed = state.observe_value(value, meta.line);
                        stat.observe_parsed(value, parsed);
                    }
                    None => {
                        state.observe_null();
                        stat.observe_null();
                    }
                },
                _ => {
                    state.observe_at(cell, meta.line);
                    stat.observe(cell);
                }
            }
        }
    }
    if let Some(workers) = workers {
        (states, stats) = workers.finish();
    }
    if rows_in == 0 && !problems.has_errors() {
        problems.error(
            "no_data_rows",
            "the file has a header but no data rows".into(),
            None,
            None,
        );
    }
    let columns = source.columns().to_vec();
    check_steering(&columns, steering, requested_time_column, &mut problems);
    let time = choose_time(
        &columns,
        &states,
        requested_time_column,
        fallback,
        &mut problems,
    );
    control.rows_read(rows_in);
    check_reserved_names(&columns, &time, &mut problems);
    let profile = Profile {
        columns,
        states,
        stats,
        rows_in,
        time,
        problems,
        budgeted_rows: budgeted.total(),
        budgeted,
    };
    profile.with_type_warnings(requested_time_column, steering)
}

/// `column_types` must name columns of the file, and not the time column.
fn check_steering(
    columns: &[String],
    steering: &Steering,
    requested_time_column: Option<&str>,
    problems: &mut Problems,
) {
    let unknown: Vec<&str> = steering
        .column_types
        .keys()
        .map(String::as_str)
        .filter(|name| !columns.iter().any(|c| c == name))
        .collect();
    if !unknown.is_empty() {
        problems.error(
            "column_types_unknown_column",
            format!(
                "column_types names {} not in the file: {}; its columns are: {}",
                if unknown.len() == 1 {
                    "a column"
                } else {
                    "columns"
                },
                unknown
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                columns.join(", ")
            ),
            None,
            unknown.first().copied(),
        );
    }
    if let Some(time) = requested_time_column.filter(|t| steering.column_types.contains_key(*t)) {
        problems.error(
            "column_types_time_column",
            format!("column_types gives a type to {time:?}, the time column named in timestamp_column; the row time is always a timestamp"),
            None,
            Some(time),
        );
    }
}

/// Written into every row by the Druid sink (`ingest_druid::LINEAGE_COLUMN`)
/// to count an upload's rows; a file's own column of that name would be
/// overwritten there.
const LINEAGE_COLUMN: &str = "ingest_task_id";

/// The normalized file names its row time `__time`, as Druid does; another
/// column of that name would collide with it (two columns of one name in
/// the output, which Polars refuses), so it is refused unless it is the time
/// column itself. The lineage column is refused likewise.
fn check_reserved_names(columns: &[String], time: &TimePlan, problems: &mut Problems) {
    let chosen = time.column.as_ref().map(|(index, _)| *index);
    for (index, name) in columns.iter().enumerate() {
        let why = if name == TIME_COLUMN && Some(index) != chosen {
            format!(
                "the name the row time gets, but it is not the time column{}",
                chosen.map_or(String::new(), |c| format!(" ({:?} is)", columns[c]))
            )
        } else if name == LINEAGE_COLUMN {
            "the name of the column recording which upload each row came from".to_owned()
        } else {
            continue;
        };
        problems.error(
            "reserved_column_name",
            format!("column {} is named {name:?}, {why}", index + 1),
            None,
            Some(name),
        );
    }
}

fn report_failure(problems: &mut Problems, failure: &ReadFailure) {
    problems.error(failure.code, failure.message.clone(), failure.line, None);
}

fn choose_time(
    columns: &[String],
    states: &[ColumnState],
    requested: Option<&str>,
    fallback: DateTime<Utc>,
    problems: &mut Problems,
) -> TimePlan {
    let constant = fallback.timestamp_millis();
    // Set when the uploader named the format (every state has it alone).
    let requested_format = states
        .first()
        .filter(|s| s.forced_time())
        .and_then(|s| s.times.first())
        .map(|c| c.format.describe());
    if let Some(wanted) = requested {
        let found = columns
            .iter()
            .position(|c| c == wanted)
            .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(wanted)));
        let Some(index) = found else {
            problems.error(
                "timestamp_column_not_found",
                format!(
                    "the requested time column {wanted:?} is not in the file; its columns are: {}",
                    columns.join(", ")
                ),
                None,
                Some(wanted),
            );
            return TimePlan {
                column: None,
                constant,
            };
        };
        return match states[index].best_time() {
            Some(best) => TimePlan {
                column: Some((index, best.format)),
                constant,
            },
            None => {
                problems.error(
                    "timestamp_column_unparseable",
                    format!(
                        "no value of column {wanted:?} reads as a date or time{}",
                        requested_format.as_ref().map_or(String::new(), |f| format!(
                            " written as {f} (timestamp_format)"
                        ))
                    ),
                    None,
                    Some(wanted),
                );
                TimePlan {
                    column: None,
                    constant,
                }
            }
        };
    }
    let best = states
        .iter()
        .enumerate()
        // A column the uploader gave a type is not a time column.
        .filter(|(_, state)| state.wanted().is_none())
        .filter_map(|(index, state)| {
            let candidate = state.best_time()?;
            let score = timestamp::name_score(&columns[index]);
            let epoch = matches!(
                candidate.format,
                TimeFormat::EpochSeconds | TimeFormat::EpochMillis
            );
            let rate = candidate.parsed as f64 / state.values.max(1) as f64;
            let named = requested_format.is_some();
            (rate >= TIME_PARSE_RATE && !(epoch && score == 0 && !named)).then_some((
                score,
                rate,
                index,
                candidate.format,
            ))
        })
        .max_by(|a, b| {
            (a.0, a.1)
                .partial_cmp(&(b.0, b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.2.cmp(&a.2))
        });
    if let (None, Some(format)) = (&best, &requested_format) {
        problems.error(
            "timestamp_format_unmatched",
            format!("no column's values read as {format} (timestamp_format)"),
            None,
            None,
        );
    }
    TimePlan {
        column: best.map(|(_, _, index, format)| (index, format)),
        constant,
    }
}

impl Profile {
    /// Each column's type and why (the row-time column is a timestamp).
    pub fn decisions(&self) -> Vec<types::Decision> {
        self.columns
            .iter()
            .zip(&self.states)
            .enumerate()
            .map(|(index, (name, state))| match &self.time.column {
                Some((t, format)) if *t == index => {
                    let rows = state.best_time().map(|b| (b.parsed, state.values));
                    types::decide(state, name, Some(format), rows)
                }
                _ => types::decide(state, name, None, None),
            })
            .collect()
    }

    /// Warns of columns read as text that are nearly all numbers, and of a
    /// file whose rows all get the upload time.
    fn with_type_warnings(
        mut self,
        requested_time_column: Option<&str>,
        steering: &Steering,
    ) -> Self {
        for ((name, state), decision) in self.columns.iter().zip(&self.states).zip(self.decisions())
        {
            if let Some(message) = types::near_numeric(state, name, &decision) {
                let line = state.evidence.other_examples.first().map(|e| e.line);
                self.problems.push(
                    Severity::Warning,
                    "mostly_numeric",
                    message,
                    line,
                    Some(name),
                );
            }
        }
        let asked = requested_time_column.is_some() || steering.time_format.is_some();
        if self.time.column.is_none() && !asked && !self.problems.has_errors() {
            let at = timestamp::millis_to_utc(self.time.constant)
                .map_or_else(String::new, |t| format!(" ({})", t.to_rfc3339()));
            self.problems.push(
                Severity::Warning,
                "no_time_column",
                format!("no column reads as dates or times, so every row gets the upload time{at}; name the time column in timestamp_column (and its format in timestamp_format) to use it"),
                None,
                None,
            );
        }
        self
    }

    /// The rows the second pass would accept, when the first pass already
    /// proves it accepts every row it reads apart from the budgeted ones
    /// (ragged, undecodable: counted here): every row has a time (every
    /// value of the time column read with the chosen format, in range; or
    /// the upload time) and every value fits its column's type (so none is
    /// stored as null with a warning, or breaks `column_types`). Then the
    /// second pass adds no problem and its counts are known. `None` when
    /// that is not certain, or when no row would be accepted (its error
    /// is the second pass's to word).
    pub fn accepted_without_reading_again(&self) -> Option<u64> {
        let observed = self.rows_in.checked_sub(self.budgeted_rows)?;
        let timed = match &self.time.column {
            None => timestamp::in_range(self.time.constant),
            Some((index, format)) => self.states[*index].best_time().is_some_and(|best| {
                // Each row records at most one result per format: `parsed`
                // equal to the rows read means every row had its time.
                best.format == *format
                    && best.failed == 0
                    && best.parsed == observed
                    && timestamp::in_range(best.min)
                    && timestamp::in_range(best.max)
            }),
        };
        let time_index = self.time.column.as_ref().map(|(index, _)| *index);
        let fit = self
            .states
            .iter()
            .zip(self.decisions())
            .enumerate()
            .filter(|(index, _)| Some(*index) != time_index)
            .all(|(_, (state, decision))| {
                // As `column_profiles` sets `decimal_separator`, which the
                // second pass reads.
                let comma =
                    decision.column_type == ColumnType::Double && state.decimal_comma().is_some();
                state.all_fit(decision.column_type, comma)
            });
        (timed && fit && observed > 0).then_some(observed)
    }

    pub fn column_profiles(&self) -> Vec<ColumnProfile> {
        let decisions = self.decisions();
        self.columns
            .iter()
            .zip(&self.states)
            .zip(decisions)
            .enumerate()
            .map(|(index, ((name, state), decision))| {
                let column_type = decision.column_type;
                let (min, max) = state.min_max(column_type);
                let comma = state
                    .decimal_comma()
                    .filter(|_| column_type == ColumnType::Double);
                ColumnProfile {
                    name: name.clone(),
                    column_type,
                    null_count: state.nulls,
                    min,
                    max,
                    decimal_separator: comma.map(|_| ",".to_owned()),
                    thousands_separator: comma.and_then(|c| c.thousands).map(String::from),
                    type_reason: Some(decision.reason),
                    stats: self.stats.get(index).map(|s| s.finish(column_type)),
                }
            })
            .collect()
    }

    pub fn timestamp_info(&self) -> TimestampInfo {
        let text = |t| timestamp::millis_to_utc(t);
        match &self.time.column {
            Some((index, format)) => {
                let index = *index;
                let best = self.states[index].best_time();
                TimestampInfo {
                    column: Some(self.columns[index].clone()),
                    format: Some(format.describe()),
                    min: best
                        .as_ref()
                        .filter(|b| b.parsed > 0)
                        .and_then(|b| text(b.min)),
                    max: best
                        .as_ref()
                        .filter(|b| b.parsed > 0)
                        .and_then(|b| text(b.max)),
                    source: TimestampSource::Column,
                }
            }
            None => TimestampInfo {
                column: None,
                format: None,
                min: text(self.time.constant),
                max: text(self.time.constant),
                source: TimestampSource::UploadTime,
            },
        }
    }
}
