//! What `ingest upload` shows while it follows a task: a bar with an ETA
//! when the server publishes the running stage's progress (validation: bytes
//! of both reads of the file; ingestion into Druid: rows Druid processed of
//! those accepted), a spinner with the status otherwise.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ingest_domain::{Task, TaskProgress, TaskStatus, ValidationPass};

/// What the bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Rows,
}

/// One drawing of the bar: `position` of `length` in `unit`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    unit: Unit,
    length: u64,
    position: u64,
    message: String,
}

/// The bar for `progress`, when it can be drawn as one. Validation reads the
/// file twice, so its bar spans twice the file: the first read is its first
/// half, and the ETA covers both.
fn shown(progress: &TaskProgress) -> Option<Shown> {
    if progress.waiting.is_some() {
        return None; // nothing runs yet: the spinner with what it waits for
    }
    match (progress.pass, progress.bytes_read, progress.bytes_total) {
        (Some(pass), Some(read), Some(total)) if total > 0 => {
            let (done, step) = match pass {
                ValidationPass::Profiling => (0, "1/2 profiling"),
                ValidationPass::Writing => (total, "2/2 writing"),
            };
            Some(Shown {
                unit: Unit::Bytes,
                length: total * 2,
                position: done + read.min(total),
                message: format!("validating ({step}, {} rows)", progress.rows.unwrap_or(0)),
            })
        }
        _ => match (progress.rows, progress.rows_total) {
            (Some(rows), Some(total)) if total > 0 => Some(Shown {
                unit: Unit::Rows,
                length: total,
                position: rows.min(total),
                message: match &progress.phase {
                    Some(phase) => format!("ingesting ({})", phase.to_lowercase()),
                    None => "ingesting".to_owned(),
                },
            }),
            _ => None,
        },
    }
}

/// The spinner's words: what the task waits for (a Druid task slot, its
/// datasource's turn), else its status.
fn spinner_message(status: TaskStatus, progress: Option<&TaskProgress>) -> String {
    match progress.and_then(|p| p.waiting.as_ref()) {
        Some(wait) => format!("{status}: {}", wait.message),
        None => status.to_string(),
    }
}

fn style(unit: Option<Unit>) -> ProgressStyle {
    let template = match unit {
        Some(Unit::Bytes) => "{msg} [{bar:40}] {percent}% {bytes}/{total_bytes} eta {eta}",
        Some(Unit::Rows) => "{msg} [{bar:40}] {percent}% {human_pos}/{human_len} rows eta {eta}",
        None => "{spinner} {msg} {elapsed}",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The bar (or spinner) following one task.
pub(super) struct TaskBar {
    bar: ProgressBar,
    /// What it draws now: `None` is the spinner.
    unit: Option<Unit>,
    /// The stage its ETA belongs to; a new stage starts the ETA again.
    stage: Option<ingest_domain::StageName>,
}

impl TaskBar {
    pub fn new() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(style(None));
        bar.enable_steady_tick(Duration::from_millis(120));
        Self {
            bar,
            unit: None,
            stage: None,
        }
    }

    pub fn println(&self, line: String) {
        self.bar.println(line);
    }

    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }

    /// Draws where `task` stands.
    pub fn show(&mut self, task: &Task) {
        let progress = task.progress.as_ref();
        let Some(shown) = progress.and_then(shown) else {
            if self.unit.take().is_some() {
                self.bar.set_style(style(None));
            }
            self.bar
                .set_message(spinner_message(task.status(), progress));
            return;
        };
        let stage = progress.map(|p| p.stage);
        if self.unit != Some(shown.unit) || self.stage != stage {
            self.bar.set_style(style(Some(shown.unit)));
            self.bar.set_position(0);
            self.bar.reset_eta();
            self.unit = Some(shown.unit);
            self.stage = stage;
        }
        self.bar.set_length(shown.length);
        self.bar.set_position(shown.position);
        self.bar.set_message(shown.message);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn validation_spans_both_reads_and_ingestion_counts_rows() {
        let now = Utc::now();
        let first = TaskProgress::validation(ValidationPass::Profiling, Some(30), 100, 5, now);
        let second = TaskProgress::validation(ValidationPass::Writing, Some(30), 100, 5, now);
        let (a, b) = (shown(&first).expect("bar"), shown(&second).expect("bar"));
        assert_eq!((a.unit, a.length, a.position), (Unit::Bytes, 200, 30));
        assert_eq!((b.length, b.position), (200, 130));
        assert!(b.message.contains("5 rows"), "{}", b.message);

        let druid = TaskProgress::ingestion(Some(40), 80, Some("BUILD_SEGMENTS".into()), now);
        let c = shown(&druid).expect("bar");
        assert_eq!((c.unit, c.length, c.position), (Unit::Rows, 80, 40));
        assert_eq!(c.message, "ingesting (build_segments)");
    }

    #[test]
    fn nothing_countable_falls_back_to_the_spinner() {
        let now = Utc::now();
        // XLSX and Parquet count rows only; Druid before its first report.
        let rows_only = TaskProgress::validation(ValidationPass::Profiling, None, 100, 5, now);
        assert_eq!(shown(&rows_only), None);
        assert_eq!(shown(&TaskProgress::ingestion(None, 80, None, now)), None);
    }

    #[test]
    fn an_upload_waiting_for_druid_says_what_for() {
        let wait = ingest_domain::IngestionWait::druid_task_slot(2, 1);
        let progress = TaskProgress::ingestion_waiting(wait, 80, Utc::now());
        assert_eq!(shown(&progress), None, "nothing to count yet");
        assert_eq!(
            spinner_message(TaskStatus::Ingesting, Some(&progress)),
            "ingesting: waiting for a Druid task slot (2 ahead; this server runs at most 1 Druid task at once)"
        );
    }
}
