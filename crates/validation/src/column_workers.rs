//! The first pass on several cores, with a report exactly what one thread
//! gives.
//!
//! Why columns and not byte ranges: several things the first pass learns
//! depend on the order of a column's values, not only on the set of them —
//! the Space-Saving top values once a column has more than 64 distinct
//! values, the histogram's bar width (set by a column's first 256 numbers),
//! the time formats tried (seeded by its first value), and the evidence
//! counted until a column is "clearly text" (its first 100 non-numbers).
//! Profiles of byte ranges cannot be merged into what one thread sees
//! without replaying values in order. So the reading thread parses records
//! (and settles everything about a *row*: its line, ragged or undecodable
//! rows, the budget) while each worker owns a set of columns and observes
//! their cells in file order, batch after batch: every column's state sees
//! exactly the sequence it would see on one thread. The reading thread
//! observes the first batch itself, timing each column, and then deals the
//! columns so that the workers' shares cost about the same.
//!
//! Memory stays bounded: batches of at most `BATCH_BYTES` of cell text and
//! spans, at most `QUEUED_BATCHES` waiting per worker.

use std::{
    sync::{
        mpsc::{self, Receiver, SyncSender},
        Arc,
    },
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use crate::infer::{value_of, ColumnState};
use crate::source::{Cell, Record};
use crate::stats::ColumnStatsState;

/// Cell text and spans in one batch, before it is handed to the workers
/// (spans count too: a wide file of empty cells has little text).
const BATCH_BYTES: usize = 512 * 1024;
/// Rows in one batch at most (short rows would make byte-sized batches long).
const BATCH_ROWS: usize = 8 * 1024;
/// Batches queued per worker: the reader runs at most this far ahead. The
/// columns seldom cost each worker the same; with room to run ahead of the
/// slower one, the reader and the faster one share the other core instead
/// of waiting (4 → 16: 1 GiB `--json` ~6 % faster, ~13 MiB more RSS; all
/// workers share each batch, so at most ~18 batches exist).
const QUEUED_BATCHES: usize = 16;
/// A null cell's span.
const NULL: (u32, u32) = (u32::MAX, u32::MAX);

/// Rows read, their cells as spans of one text.
#[derive(Default)]
struct Batch {
    text: String,
    /// `width` spans per row; `NULL` for a `Cell::Null`.
    spans: Vec<(u32, u32)>,
    lines: Vec<u64>,
}

/// One column's state, owned by a worker while the pass runs.
struct Owned {
    index: usize,
    state: ColumnState,
    stats: ColumnStatsState,
}

/// What the reading thread sends a worker: its columns once, then batches.
enum Message {
    Columns(Vec<Owned>),
    Batch(Arc<Batch>),
}

pub struct Workers {
    senders: Vec<SyncSender<Message>>,
    handles: Vec<JoinHandle<Vec<Owned>>>,
    /// Every column until the first batch has shown what each costs.
    unassigned: Option<Vec<Owned>>,
    batch: Batch,
    width: usize,
    /// Where the staged row's text and spans start in `batch`.
    staged: Option<(usize, usize)>,
}

/// Rows a worker observes for each of its columns in turn: a batch is
/// larger than a core's L2 cache (and each row's spans share cache lines
/// with the other columns'), so walking all of it once per column read it
/// from L3 every time; a slice of rows stays in L1/L2 for all columns.
const SLICE_ROWS: usize = 256;

fn work(messages: &Receiver<Message>, width: usize) -> Vec<Owned> {
    let mut owned = Vec::new();
    for message in messages {
        match message {
            Message::Columns(share) => owned.extend(share),
            Message::Batch(batch) => {
                for (slice, lines) in batch.lines.chunks(SLICE_ROWS).enumerate() {
                    for column in &mut owned {
                        observe_slice(&batch, slice * SLICE_ROWS, lines, column, width);
                    }
                }
            }
        }
    }
    owned
}

/// Observes the first batch on the reading thread, a column at a time,
/// and says what each column took: columns cost very different amounts
/// (a time column, a text column of many values), and dealt out by index
/// one worker carried 40 % of the CPU and the other 31 %.
fn calibrate(batch: &Batch, owned: &mut [Owned], width: usize) -> Vec<Duration> {
    owned
        .iter_mut()
        .map(|column| {
            let started = Instant::now();
            observe_slice(batch, 0, &batch.lines, column, width);
            started.elapsed()
        })
        .collect()
}

/// Deals the columns to `hands` workers, dearest first, each to the worker
/// with the least so far (which worker observes a column does not change
/// what it observes: each sees all its cells in file order).
fn deal(owned: Vec<Owned>, costs: Vec<Duration>, hands: usize) -> Vec<Vec<Owned>> {
    let mut dearest_first: Vec<(Duration, Owned)> = costs.into_iter().zip(owned).collect();
    dearest_first.sort_by_key(|(cost, _)| std::cmp::Reverse(*cost));
    let mut load = vec![Duration::ZERO; hands];
    let mut shares: Vec<Vec<Owned>> = (0..hands).map(|_| Vec::new()).collect();
    for (cost, column) in dearest_first {
        let least = (0..hands).min_by_key(|&n| load[n]).unwrap_or(0);
        load[least] += cost;
        shares[least].push(column);
    }
    shares
}

/// Observes `column`'s cells of the rows from `first`, read on `lines`.
fn observe_slice(batch: &Batch, first: usize, lines: &[u64], column: &mut Owned, width: usize) {
    for (row, &line) in (first..).zip(lines) {
        let (start, end) = batch.spans[row * width + column.index];
        // As `observe_at` and `observe` see a `Cell::Text` or a
        // `Cell::Null`, the text read in place and checked once.
        let value = if (start, end) == NULL {
            None
        } else {
            value_of(&batch.text[start as usize..end as usize])
        };
        match value {
            Some(text) => {
                let parsed = column.state.observe_value(text, line);
                column.stats.observe_parsed(text, parsed);
            }
            None => {
                column.state.observe_null();
                column.stats.observe_null();
            }
        }
    }
}

/// Pools started, for tests to tell that the threads were used.
#[cfg(test)]
pub static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Workers {
    /// Starts `threads` workers (no more than there are columns); the
    /// columns are dealt to them after the first batch. `Err` gives them
    /// back when threads cannot be started.
    pub fn start(
        threads: usize,
        states: Vec<ColumnState>,
        stats: Vec<ColumnStatsState>,
    ) -> Result<Self, (Vec<ColumnState>, Vec<ColumnStatsState>)> {
        let width = states.len();
        let threads = threads.min(width).max(1);
        let owned: Vec<Owned> = (0..)
            .zip(states.into_iter().zip(stats))
            .map(|(index, (state, stats))| Owned {
                index,
                state,
                stats,
            })
            .collect();
        let mut workers = Self {
            senders: Vec::with_capacity(threads),
            handles: Vec::with_capacity(threads),
            unassigned: Some(owned),
            batch: Batch::default(),
            width,
            staged: None,
        };
        for n in 0..threads {
            let (sender, receiver) = mpsc::sync_channel(QUEUED_BATCHES);
            let spawned = thread::Builder::new()
                .name(format!("validate-{n}"))
                .spawn(move || work(&receiver, width));
            let Ok(handle) = spawned else {
                // Stop those that started (they hold nothing) and read on one.
                let owned = workers.join();
                return Err(split(owned, width));
            };
            workers.senders.push(sender);
            workers.handles.push(handle);
        }
        #[cfg(test)]
        STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(workers)
    }

    /// Queues one row (fitted to the header) read on `line`.
    pub fn push(&mut self, row: &[Cell], line: u64) {
        for cell in row.iter().take(self.width) {
            let span = match cell {
                Cell::Text(text) => {
                    let start = self.batch.text.len();
                    self.batch.text.push_str(text);
                    (start as u32, self.batch.text.len() as u32)
                }
                // Delimited text has only text and missing cells.
                _ => NULL,
            };
            self.batch.spans.push(span);
        }
        for _ in row.len()..self.width {
            self.batch.spans.push(NULL);
        }
        self.end_row(line);
    }

    /// Queues the fields of a record read as one text (`RowSource::
    /// next_row_or_text`): the text copied once, each of the first `width`
    /// fields a range of it (missing ones null), as `push` queues the
    /// cells the record would give. Pending until `commit` or `discard`.
    pub fn stage(&mut self, text: &str, record: &Record<'_>) {
        let start = self.batch.text.len();
        self.staged = Some((start, self.batch.spans.len()));
        self.batch.text.push_str(text);
        for index in 0..self.width {
            self.batch.spans.push(match record.range(index) {
                Some(range) => ((start + range.start) as u32, (start + range.end) as u32),
                None => NULL,
            });
        }
    }

    /// The staged row, read on `line`, is observed.
    pub fn commit(&mut self, line: u64) {
        if self.staged.take().is_some() {
            self.end_row(line);
        }
    }

    /// The staged row is not observed (ragged or undecodable).
    pub fn discard(&mut self) {
        if let Some((text, spans)) = self.staged.take() {
            self.batch.text.truncate(text);
            self.batch.spans.truncate(spans);
        }
    }

    fn end_row(&mut self, line: u64) {
        self.batch.lines.push(line);
        let spans = self.batch.spans.len() * std::mem::size_of::<(u32, u32)>();
        if self.batch.text.len() + spans >= BATCH_BYTES || self.batch.lines.len() >= BATCH_ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.lines.is_empty() {
            return;
        }
        let batch = std::mem::replace(
            &mut self.batch,
            Batch {
                text: String::with_capacity(BATCH_BYTES + BATCH_BYTES / 8),
                spans: Vec::new(),
                lines: Vec::new(),
            },
        );
        // A worker that is gone panicked: `join` reports it.
        if let Some(mut owned) = self.unassigned.take() {
            let costs = calibrate(&batch, &mut owned, self.width);
            for (sender, share) in self
                .senders
                .iter()
                .zip(deal(owned, costs, self.senders.len()))
            {
                let _ = sender.send(Message::Columns(share));
            }
            return;
        }
        let batch = Arc::new(batch);
        for sender in &self.senders {
            let _ = sender.send(Message::Batch(batch.clone()));
        }
    }

    /// Waits for the workers and gives back every column's state, in order.
    pub fn finish(mut self) -> (Vec<ColumnState>, Vec<ColumnStatsState>) {
        self.flush();
        let width = self.width;
        split(self.join(), width)
    }

    fn join(self) -> Vec<Owned> {
        drop(self.senders);
        // Without a single row, nothing was dealt.
        let mut owned = self.unassigned.unwrap_or_default();
        for handle in self.handles {
            match handle.join() {
                Ok(share) => owned.extend(share),
                // A bug in observing a cell, not in the file: as on one thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        owned
    }
}

fn split(mut owned: Vec<Owned>, width: usize) -> (Vec<ColumnState>, Vec<ColumnStatsState>) {
    debug_assert_eq!(owned.len(), width);
    owned.sort_by_key(|o| o.index);
    owned.into_iter().map(|o| (o.state, o.stats)).unzip()
}
