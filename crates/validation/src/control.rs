//! One handle on a running validation: the limits it enforces, a way to
//! cancel it, and counters a caller can read while it runs. Cheap to clone
//! (an `Arc`), so the caller keeps one copy and the blocking work another.

use std::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering},
    Arc,
};

const MIB: u64 = 1024 * 1024;

/// Every bound on what a file may make us allocate or read. Each exceeded
/// limit fails validation with its own code (see `crate::hint_for`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Columns in the header (NDJSON: distinct keys). `too_many_columns`.
    pub max_columns: usize,
    /// Bytes of one CSV record or NDJSON line. `record_too_large`.
    pub max_record_bytes: u64,
    /// Bytes of one CSV field. `field_too_large`.
    pub max_field_bytes: u64,
    /// Entries in an XLSX archive. `xlsx_too_many_entries`.
    pub xlsx_max_entries: usize,
    /// Uncompressed bytes of one XLSX entry. `xlsx_entry_too_large`.
    pub xlsx_max_entry_bytes: u64,
    /// Uncompressed bytes of all XLSX entries. `xlsx_too_large`.
    pub xlsx_max_total_bytes: u64,
    /// Uncompressed/compressed ratio of an entry larger than 1 MiB.
    /// `xlsx_compression_ratio`.
    pub xlsx_max_compression_ratio: u64,
    /// Declared or present shared strings. `xlsx_too_many_shared_strings`.
    pub xlsx_max_shared_strings: u64,
    /// Bytes of a Parquet footer. `parquet_footer_too_large`.
    pub parquet_max_footer_bytes: u64,
    /// Row groups in a Parquet file. `parquet_too_many_row_groups`.
    pub parquet_max_row_groups: usize,
    /// Uncompressed/compressed ratio of a gzip or zstd text file, checked
    /// once it has produced 1 MiB. `compression_ratio`.
    pub max_compression_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_columns: 2_048,
            max_record_bytes: 16 * MIB,
            max_field_bytes: 16 * MIB,
            xlsx_max_entries: 10_000,
            xlsx_max_entry_bytes: 512 * MIB,
            xlsx_max_total_bytes: 1024 * MIB,
            xlsx_max_compression_ratio: 200,
            xlsx_max_shared_strings: 4_000_000,
            parquet_max_footer_bytes: 16 * MIB,
            parquet_max_row_groups: 100_000,
            max_compression_ratio: 200,
        }
    }
}

/// Which pass a validation is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    NotStarted,
    /// Reading every row to learn types and the time column.
    Profiling,
    /// Reading again and writing the accepted rows.
    Writing,
    Done,
}

/// What a running validation has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub pass: Pass,
    /// Bytes of the input read in this pass (text formats; XLSX and Parquet
    /// count only rows).
    pub bytes_read: u64,
    /// Size of the input file.
    pub bytes_total: u64,
    /// Rows read in this pass.
    pub rows: u64,
}

/// How many threads the first pass may use, and from what file size: a
/// small file is read faster than threads start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parallelism {
    /// Threads observing columns (besides the one reading); 1 reads alone.
    pub threads: usize,
    /// Files smaller than this (bytes on disk) are read on one thread.
    pub min_bytes: u64,
}

impl Default for Parallelism {
    /// Every core, for files from 8 MiB.
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            min_bytes: 8 * MIB,
        }
    }
}

impl Parallelism {
    /// Threads for a file of `size` bytes.
    pub(crate) fn threads_for(&self, size: u64) -> usize {
        if size >= self.min_bytes {
            self.threads.max(1)
        } else {
            1
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    limits: Limits,
    parallelism: Parallelism,
    cancelled: AtomicBool,
    pass: AtomicU8,
    bytes_read: AtomicU64,
    bytes_total: AtomicU64,
    rows: AtomicU64,
}

/// The handle: clone it, give one copy to `validate`, keep the other to
/// cancel or watch.
#[derive(Debug, Clone, Default)]
pub struct Control {
    inner: Arc<Inner>,
}

/// Rows between two looks at the cancel flag (and progress updates).
pub(crate) const CHECK_EVERY_ROWS: u64 = 1_024;

impl Control {
    pub fn new(limits: Limits) -> Self {
        Self {
            inner: Arc::new(Inner {
                limits,
                ..Inner::default()
            }),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The same limits, read with `parallelism`; call it before sharing
    /// the handle (a fresh one is made, its counters at zero).
    #[must_use]
    pub fn with_parallelism(self, parallelism: Parallelism) -> Self {
        Self {
            inner: Arc::new(Inner {
                limits: self.inner.limits.clone(),
                parallelism,
                ..Inner::default()
            }),
        }
    }

    pub fn parallelism(&self) -> &Parallelism {
        &self.inner.parallelism
    }

    /// Asks the validation to stop; it ends with `ValidationError::Cancelled`
    /// within `CHECK_EVERY_ROWS` rows (or one bounded read).
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    pub fn progress(&self) -> Progress {
        let pass = match self.inner.pass.load(Ordering::Relaxed) {
            1 => Pass::Profiling,
            2 => Pass::Writing,
            3 => Pass::Done,
            _ => Pass::NotStarted,
        };
        Progress {
            pass,
            bytes_read: self.inner.bytes_read.load(Ordering::Relaxed),
            bytes_total: self.inner.bytes_total.load(Ordering::Relaxed),
            rows: self.inner.rows.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn start_pass(&self, pass: Pass, bytes_total: u64) {
        let code = match pass {
            Pass::NotStarted => 0,
            Pass::Profiling => 1,
            Pass::Writing => 2,
            Pass::Done => 3,
        };
        self.inner.pass.store(code, Ordering::Relaxed);
        self.inner.bytes_total.store(bytes_total, Ordering::Relaxed);
        self.inner.bytes_read.store(0, Ordering::Relaxed);
        self.inner.rows.store(0, Ordering::Relaxed);
    }

    /// Marks the validation finished, keeping the last pass's counts.
    pub(crate) fn finish(&self) {
        self.inner.pass.store(3, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.inner.bytes_read.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records `rows` read so far in this pass; `true` when cancelled.
    pub(crate) fn rows_read(&self, rows: u64) -> bool {
        self.inner.rows.store(rows, Ordering::Relaxed);
        self.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_the_counters() {
        let control = Control::default();
        let watcher = control.clone();
        control.start_pass(Pass::Profiling, 100);
        control.add_bytes(40);
        assert!(!control.rows_read(7));
        watcher.cancel();
        assert!(control.rows_read(8));
        assert_eq!(
            watcher.progress(),
            Progress {
                pass: Pass::Profiling,
                bytes_read: 40,
                bytes_total: 100,
                rows: 8
            }
        );
    }
}
