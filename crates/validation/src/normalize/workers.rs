//! The second pass on several threads. This thread reads (a source is a
//! sequential reader); `threads` workers convert whole batches; one writer
//! thread takes the converted batches strictly in the order they were read
//! and applies them (`Ordered`), so what is written and reported is what
//! one thread gives.
//!
//! Memory is bounded: the reader takes a ticket before reading a batch and
//! the writer gives it back once the batch is applied, so at most
//! `in_flight` batches (read, converted or waiting for their turn) exist.
//! Cancelling stops the reader within `CHECK_EVERY_ROWS` rows as on one
//! thread; the workers skip what is queued and the writer applies nothing
//! more. A worker that panics hands the panic to the writer, which stops at
//! that batch; it is raised again here, as one thread's would be.

use std::{
    any::Any,
    collections::BTreeMap,
    panic::{self, AssertUnwindSafe},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc::{self, Receiver},
        Mutex,
    },
    thread,
};

use super::batch::{Converted, RawBatch, Reader};
use super::{Ordered, Plan};
use crate::source::RowSource;
use crate::{Control, ValidationError};

/// Second passes that ran on workers, for tests to tell the threads were used.
#[cfg(test)]
pub static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A batch's number in file order, and the batch.
type Job = (u64, RawBatch);
/// A converted batch, or the panic converting it; `None`: skipped, the
/// validation being cancelled.
type Done = (u64, Option<thread::Result<Converted>>);

/// Why the writer stopped before the last batch.
enum Stop {
    Failed(ValidationError),
    Panicked(Box<dyn Any + Send>),
}

pub(super) fn run(
    threads: usize,
    source: &mut dyn RowSource,
    reader: &mut Reader,
    plan: &Plan<'_>,
    ordered: &mut Ordered<'_>,
    control: &Control,
) -> Result<(), ValidationError> {
    let in_flight = threads + 2;
    let (jobs, queued) = mpsc::sync_channel::<Job>(in_flight);
    let queued = Mutex::new(queued);
    let (done, finished) = mpsc::channel::<Done>();
    let (give_back, tickets) = mpsc::sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = give_back.send(());
    }
    let stop = AtomicBool::new(false);
    let applying = &mut *ordered;

    let outcome = thread::scope(|scope| {
        let mut started = 0;
        for n in 0..threads {
            let (queued, done, stop) = (&queued, done.clone(), &stop);
            let spawned = thread::Builder::new()
                .name(format!("normalize-{n}"))
                .spawn_scoped(scope, move || {
                    convert_jobs(queued, &done, stop, plan, control)
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        drop(done);
        let stop = &stop;
        let writer = (started > 0)
            .then(|| {
                thread::Builder::new()
                    .name("normalize-writer".into())
                    .spawn_scoped(scope, move || {
                        let result = apply_in_order(&finished, give_back, applying, plan, control);
                        stop.store(true, Ordering::Relaxed);
                        result
                    })
                    .ok()
            })
            .flatten();
        let Some(writer) = writer else {
            // No thread could start: nothing was read; read on this one.
            drop(jobs);
            return None;
        };
        #[cfg(test)]
        STARTED.fetch_add(1, Ordering::Relaxed);
        let failure = read_into(&jobs, &tickets, stop, source, reader, control);
        drop(jobs);
        let applied = match writer.join() {
            Ok(joined) => joined,
            // A bug in applying a batch, not in the file: as on one thread.
            Err(panic) => panic::resume_unwind(panic),
        };
        Some((applied, failure))
    });
    let Some((applied, failure)) = outcome else {
        return super::on_this_thread(source, reader, plan, ordered, control);
    };
    // The writer's failure is at an earlier row than the reader's.
    match applied {
        Err(Stop::Panicked(panic)) => panic::resume_unwind(panic),
        Err(Stop::Failed(error)) => Err(error),
        Ok(()) => failure.map_or(Ok(()), Err),
    }
}

/// The reading side: a ticket, a batch, queued; until the source ends,
/// fails, or the writer stops (no tickets come back).
fn read_into(
    jobs: &mpsc::SyncSender<Job>,
    tickets: &Receiver<()>,
    stop: &AtomicBool,
    source: &mut dyn RowSource,
    reader: &mut Reader,
    control: &Control,
) -> Option<ValidationError> {
    let mut seq = 0;
    while !reader.done() {
        if tickets.recv().is_err() || stop.load(Ordering::Relaxed) {
            return None;
        }
        let (batch, failure) = reader.read(source, control);
        if let Some(batch) = batch {
            if jobs.send((seq, batch)).is_err() {
                return failure;
            }
            seq += 1;
        }
        if failure.is_some() {
            return failure;
        }
    }
    None
}

/// A worker: converts queued batches until the queue closes.
fn convert_jobs(
    queued: &Mutex<Receiver<Job>>,
    done: &mpsc::Sender<Done>,
    stop: &AtomicBool,
    plan: &Plan<'_>,
    control: &Control,
) {
    loop {
        // The lock is held only to take a batch; a poisoned lock cannot
        // happen (nothing panics while holding it) but would end the worker.
        let job = match queued.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = job else {
            return;
        };
        // Once cancelled the writer applies nothing more: skip the work,
        // but say so, for the writer to stop and the reader's tickets to end.
        let converted = (!stop.load(Ordering::Relaxed) && !control.is_cancelled())
            .then(|| panic::catch_unwind(AssertUnwindSafe(|| batch.convert(plan))));
        if done.send((seq, converted)).is_err() {
            return;
        }
    }
}

/// The writing side: converted batches applied in the order they were read;
/// each applied batch gives its ticket back.
fn apply_in_order(
    finished: &Receiver<Done>,
    give_back: mpsc::SyncSender<()>,
    ordered: &mut Ordered<'_>,
    plan: &Plan<'_>,
    control: &Control,
) -> Result<(), Stop> {
    let mut waiting: BTreeMap<u64, Option<thread::Result<Converted>>> = BTreeMap::new();
    let mut next = 0;
    for (seq, converted) in finished {
        waiting.insert(seq, converted);
        while let Some(converted) = waiting.remove(&next) {
            next += 1;
            let Some(converted) = converted.filter(|_| !control.is_cancelled()) else {
                return Err(Stop::Failed(ValidationError::Cancelled));
            };
            let converted = converted.map_err(Stop::Panicked)?;
            ordered.apply(converted, plan).map_err(Stop::Failed)?;
            let _ = give_back.send(());
        }
    }
    Ok(())
}
