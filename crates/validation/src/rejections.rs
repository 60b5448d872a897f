//! Rows of the budgeted kinds (ragged, undecodable, breaking a type the
//! uploader chose) met by the first pass. Whether they fail the file or are
//! rejected one by one is decided once the whole file is read, against the
//! upload's `RejectionBudget` (a ratio needs the total).

use std::path::PathBuf;

use ingest_domain::{RejectionBudget, RejectionKind, Severity};

use crate::profile::{Problems, MAX_LINES_PER_KIND};

/// What to do with rows that cannot be ingested as they are.
#[derive(Debug, Clone, Default)]
pub struct RejectedRowsOptions {
    /// How many rows of the budgeted kinds may be rejected before the file
    /// fails instead (none by default).
    pub budget: RejectionBudget,
    /// Where to write every rejected row (see `quarantine`); not written
    /// when `None` or when no row is rejected.
    pub quarantine: Option<PathBuf>,
}

/// One line-level problem, held until the budget decides its severity.
#[derive(Debug)]
struct Held {
    code: String,
    message: String,
    line: Option<u64>,
    column: Option<String>,
}

/// Budgeted rows met so far, by kind, with the first lines of each.
#[derive(Debug, Default)]
pub struct Budgeted {
    counts: Vec<(RejectionKind, u64)>,
    held: Vec<Held>,
}

impl Budgeted {
    /// Notes one row of `kind`, with the problem that describes it.
    pub fn note(
        &mut self,
        kind: RejectionKind,
        code: &str,
        message: String,
        line: Option<u64>,
        column: Option<&str>,
    ) {
        if self.bump(kind) <= MAX_LINES_PER_KIND as u64 {
            self.held.push(Held {
                code: code.to_owned(),
                message,
                line,
                column: column.map(str::to_owned),
            });
        }
    }

    /// Counts one row of `kind` without listing it again (the second pass
    /// meets the rows the first pass listed).
    pub fn count(&mut self, kind: RejectionKind) {
        self.bump(kind);
    }

    fn bump(&mut self, kind: RejectionKind) -> u64 {
        let count = match self.counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => count,
            None => {
                self.counts.push((kind, 0));
                &mut self.counts.last_mut().expect("just pushed").1
            }
        };
        *count += 1;
        *count
    }

    fn count_of(&self, kind: RejectionKind) -> u64 {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// Settles the budget once more after the second pass, which alone
    /// meets the values breaking `column_types` (whether a row is rejected
    /// for its time first, and whether a column's numbers have a decimal
    /// comma, are known only after the first pass). `self` holds every
    /// budgeted row of the second pass: the kinds the first pass listed and
    /// settled (counted), and the type breaks (listed here). They share one
    /// budget: the first pass's summary is replaced by one for all, and
    /// beyond the budget the file fails. Returns whether they are within it.
    pub fn settle_type_breaks(
        self,
        budget: &RejectionBudget,
        rows_in: u64,
        problems: &mut Problems,
    ) -> bool {
        let breaks = self.count_of(RejectionKind::TypeOverride);
        if breaks == 0 {
            return true;
        }
        let total = self.total();
        let allowed = budget.allows(total, rows_in);
        problems.listed.retain(|p| p.code != WITHIN_BUDGET);
        // Rows of the other kinds, within the budget alone, were listed by
        // the first pass as warnings; a failure's first error counts them.
        self.report(allowed, budget, rows_in, problems, |kind| {
            kind == RejectionKind::TypeOverride
        });
        allowed
    }

    /// Lists the rows met: as warnings when `budget` allows them out of
    /// `rows_in` (they will be rejected one by one), else as errors (the
    /// file fails), led by what the budget was when one was given.
    pub fn settle(self, budget: &RejectionBudget, rows_in: u64, problems: &mut Problems) {
        if self.total() == 0 {
            return;
        }
        let allowed = budget.allows(self.total(), rows_in);
        self.report(allowed, budget, rows_in, problems, |_| true);
    }

    /// Lists the rows held, the count of each kind `summarised` accepts
    /// beyond the lines listed, and the verdict.
    fn report(
        self,
        allowed: bool,
        budget: &RejectionBudget,
        rows_in: u64,
        problems: &mut Problems,
        summarised: impl Fn(RejectionKind) -> bool,
    ) {
        let total = self.total();
        let severity = if allowed {
            Severity::Warning
        } else {
            Severity::Error
        };
        if !allowed && budget.is_set() {
            problems.error(
                "too_many_rejected_rows",
                format!(
                    "{total} of {rows_in} rows cannot be ingested as they are ({}), more than the upload allows ({})",
                    breakdown(&self.counts),
                    budget.describe()
                ),
                None,
                None,
            );
        }
        for held in self.held {
            problems.push(
                severity,
                &held.code,
                held.message,
                held.line,
                held.column.as_deref(),
            );
        }
        for (kind, count) in &self.counts {
            if *count > MAX_LINES_PER_KIND as u64 && summarised(*kind) {
                let (code, what) = summary(*kind);
                problems.push(
                    severity,
                    code,
                    format!("{count} rows in all {what}"),
                    None,
                    None,
                );
            }
        }
        if allowed {
            problems.push(
                Severity::Warning,
                WITHIN_BUDGET,
                format!(
                    "{total} rows were rejected one by one ({}), within what the upload allows ({}); download them from the task's rejected rows",
                    breakdown(&self.counts),
                    budget.describe()
                ),
                None,
                None,
            );
        }
    }
}

/// The warning that rows were rejected one by one within the budget.
const WITHIN_BUDGET: &str = "rows_rejected_within_budget";

/// "2 have a different number …, 1 cannot be read …".
fn breakdown(counts: &[(RejectionKind, u64)]) -> String {
    counts
        .iter()
        .map(|(kind, n)| format!("{n} {}", summary(*kind).1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A kind's summary problem code, and what its rows do, in words.
fn summary(kind: RejectionKind) -> (&'static str, &'static str) {
    match kind {
        RejectionKind::Ragged => (
            "ragged_rows",
            "have a different number of fields than the header",
        ),
        RejectionKind::Undecodable => ("undecodable_rows", "cannot be read (encoding or syntax)"),
        RejectionKind::TypeOverride => (
            "values_breaking_column_types",
            "hold a value that does not fit the type chosen for its column",
        ),
        RejectionKind::NoTime | RejectionKind::TimeOutOfRange => {
            ("rows_without_time", "have no usable time")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ragged(n: u64) -> Budgeted {
        let mut budgeted = Budgeted::default();
        for line in 2..2 + n {
            budgeted.note(
                RejectionKind::Ragged,
                "ragged_row",
                format!("line {line} has 3 fields but the header has 2"),
                Some(line),
                None,
            );
        }
        budgeted
    }

    #[test]
    fn without_a_budget_the_rows_are_errors_as_before() {
        let mut problems = Problems::default();
        ragged(2).settle(&RejectionBudget::default(), 10, &mut problems);
        let codes: Vec<_> = problems.listed.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["ragged_row", "ragged_row"]);
        assert!(problems.has_errors());
    }

    #[test]
    fn within_the_budget_they_are_warnings() {
        let mut problems = Problems::default();
        let budget = RejectionBudget {
            max_rows: Some(2),
            max_ratio: None,
        };
        ragged(2).settle(&budget, 10, &mut problems);
        assert!(!problems.has_errors());
        let last = problems.listed.last().expect("a summary");
        assert_eq!(last.code, "rows_rejected_within_budget");
        assert!(
            last.message.starts_with("2 rows were rejected"),
            "{}",
            last.message
        );
    }

    #[test]
    fn over_a_given_budget_the_first_error_names_it() {
        let mut problems = Problems::default();
        let budget = RejectionBudget {
            max_rows: None,
            max_ratio: Some(0.1),
        };
        ragged(30).settle(&budget, 100, &mut problems);
        let first = problems.listed.first().expect("an error");
        assert_eq!(first.code, "too_many_rejected_rows");
        assert!(
            first.message.contains("30 of 100 rows"),
            "{}",
            first.message
        );
        assert!(
            first.message.contains("max_rejected_ratio=0.1"),
            "{}",
            first.message
        );
        // The first lines, then the count of the rest.
        assert_eq!(problems.listed.len(), 1 + MAX_LINES_PER_KIND + 1);
        assert_eq!(
            problems.listed.last().map(|p| p.code.as_str()),
            Some("ragged_rows")
        );
    }
}
