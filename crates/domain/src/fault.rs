//! A test aid: named points where the running binary can be made to panic or
//! abort, so the fault tests can stop a real `ingest serve` exactly where a
//! crash hurts most. Set `INGEST_FAULT=point:action[,point:action]` (read once,
//! at start); unset, every `hit` is a no-op. Not a cargo feature and not
//! `cfg(test)`: the tests start the release binary itself. A third part
//! `:once` fires the fault at the first hit only (e.g.
//! `validation:panic:once`: the next task of the same server runs normally).
//! The action `pause=PATH` holds the work at the point until the file PATH
//! exists, then removes it: one release per hit, so a test acts inside the
//! window (e.g. cancel right after the commit point) and then lets the work
//! go on by creating the file, instead of racing a fixed pause. `sleep=MS`
//! holds it for MS milliseconds. Both block their thread, and the points
//! they are meant for run on blocking threads (`validation`,
//! `before_publish`, `after_publish`, `druid_success`).

use std::{
    fmt,
    path::PathBuf,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

/// Where a fault can be injected.
pub const POINTS: [&str; 6] = [
    // inside the blocking validation of a task
    "validation",
    // an upload's object is stored, its task row not yet written
    "after_store",
    // the local sink's new file is written, the datasource not yet switched
    "before_publish",
    // the local sink switched the datasource, the task not yet `succeeded`
    "after_publish",
    // Druid accepted the ingestion task, nothing recorded yet
    "after_submit",
    // Druid reported the task SUCCESS (its commit point), not yet recorded
    "druid_success",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// `panic!` (unwinds: the task must end `failed`, the worker live on).
    Panic,
    /// `std::process::abort()` (like `kill -9`: nothing runs after it).
    Abort,
    /// Holds the calling thread this many milliseconds, then goes on.
    Sleep(u64),
    /// Holds the calling thread until this file exists (at most
    /// `PAUSE_LIMIT`), removes it and goes on.
    Pause(PathBuf),
}

/// A paused point goes on by itself after this long: a test that never
/// releases it fails on its own assertions instead of hanging a worker.
const PAUSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Waits until `release` exists, then removes it for the next hit.
fn pause_until_released(point: &str, release: &std::path::Path) {
    eprintln!(
        "injected fault at {point}: paused until {} exists (INGEST_FAULT)",
        release.display()
    );
    let started = std::time::Instant::now();
    // A file is the one signal both an in-process test and a test driving a
    // separate `ingest serve` can give; looking every 20 ms costs nothing.
    while std::fs::remove_file(release).is_err() {
        if started.elapsed() > PAUSE_LIMIT {
            eprintln!("injected fault at {point}: never released, going on");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[derive(Debug)]
struct Fault {
    point: String,
    action: FaultAction,
    /// `Some` for `:once`: set once it has fired.
    fired: Option<AtomicBool>,
}

/// The faults this process was started with; empty in normal use.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<[Fault]>);

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }

    /// Panics, aborts or sleeps when `point` was named at start; does
    /// nothing otherwise.
    pub fn hit(&self, point: &str) {
        debug_assert!(POINTS.contains(&point), "unknown fault point {point}");
        let Some(fault) = self.0.iter().find(|f| f.point == point) else {
            return;
        };
        if let Some(fired) = &fault.fired {
            if fired.swap(true, Ordering::SeqCst) {
                return;
            }
        }
        match &fault.action {
            FaultAction::Panic => panic!("injected fault at {point} (INGEST_FAULT)"),
            FaultAction::Abort => {
                eprintln!("injected fault at {point}: aborting (INGEST_FAULT)");
                std::process::abort()
            }
            FaultAction::Sleep(ms) => {
                eprintln!("injected fault at {point}: pausing {ms} ms (INGEST_FAULT)");
                std::thread::sleep(std::time::Duration::from_millis(*ms));
            }
            FaultAction::Pause(release) => pause_until_released(point, release),
        }
    }
}

/// `INGEST_FAULT` is malformed: a typo must not silently disable a test.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("INGEST_FAULT: {0:?} is not point:action[:once] with point one of {POINTS:?} and action panic, abort, sleep=MS or pause=PATH")]
pub struct BadFault(String);

impl FromStr for Faults {
    type Err = BadFault;
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let parse = |item: &str| {
            let mut parts = item.trim().split(':');
            let (point, action, once) = (parts.next()?, parts.next()?, parts.next());
            let action = match action {
                "panic" => FaultAction::Panic,
                "abort" => FaultAction::Abort,
                other => match other.strip_prefix("pause=") {
                    Some(path) if !path.is_empty() => FaultAction::Pause(path.into()),
                    Some(_) => return None,
                    None => FaultAction::Sleep(other.strip_prefix("sleep=")?.parse().ok()?),
                },
            };
            let fired = match once {
                None => None,
                Some("once") => Some(AtomicBool::new(false)),
                Some(_) => return None,
            };
            (POINTS.contains(&point) && parts.next().is_none()).then(|| Fault {
                point: point.to_owned(),
                action,
                fired,
            })
        };
        spec.split(',')
            .filter(|item| !item.trim().is_empty())
            .map(|item| parse(item).ok_or_else(|| BadFault(item.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .map(|faults| Self(faults.into()))
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|f| {
                let once = if f.fired.is_some() { ":once" } else { "" };
                let action = match &f.action {
                    FaultAction::Sleep(ms) => format!("sleep={ms}"),
                    FaultAction::Pause(path) => format!("pause={}", path.display()),
                    other => format!("{other:?}").to_lowercase(),
                };
                format!("{}:{action}{once}", f.point)
            })
            .collect();
        f.write_str(&items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_points_and_actions_and_refuses_typos() {
        let faults: Faults = "validation:panic, after_store:abort"
            .parse()
            .expect("parse");
        assert_eq!(faults.to_string(), "validation:panic,after_store:abort");
        assert!("".parse::<Faults>().expect("empty").0.is_empty());
        assert!("validaton:panic".parse::<Faults>().is_err());
        assert!("validation:explode".parse::<Faults>().is_err());
        faults.hit("after_publish"); // not named: nothing happens
        assert!("validation:panic:twice".parse::<Faults>().is_err());
        let sleep: Faults = "after_publish:sleep=5".parse().expect("sleep");
        assert_eq!(sleep.to_string(), "after_publish:sleep=5");
        sleep.hit("after_publish"); // returns after the pause
        assert!("after_publish:sleep=soon".parse::<Faults>().is_err());
    }

    #[test]
    fn a_paused_point_goes_on_once_per_release() {
        let release =
            std::env::temp_dir().join(format!("ingest-fault-release-{}", uuid::Uuid::new_v4()));
        let spec = format!("druid_success:pause={}", release.display());
        let faults: Faults = spec.parse().expect("parse");
        assert_eq!(faults.to_string(), spec);
        assert!("druid_success:pause=".parse::<Faults>().is_err());
        let (reached, held) = std::sync::mpsc::channel();
        let worker = {
            let faults = faults.clone();
            std::thread::spawn(move || {
                for _ in 0..2 {
                    faults.hit("druid_success");
                    reached.send(()).expect("send");
                }
            })
        };
        for _ in 0..2 {
            // Held until released: nothing arrives while the file is absent.
            assert!(held.try_recv().is_err());
            std::fs::write(&release, b"").expect("release");
            held.recv().expect("went on after the release");
        }
        worker.join().expect("joined");
        assert!(!release.exists(), "each release is used up by one hit");
    }

    #[test]
    fn a_once_fault_fires_at_the_first_hit_only() {
        let faults: Faults = "validation:panic:once".parse().expect("parse");
        assert!(std::panic::catch_unwind(|| faults.hit("validation")).is_err());
        faults.hit("validation");
    }

    #[test]
    fn a_panic_fault_panics_with_its_point() {
        let faults: Faults = "validation:panic".parse().expect("parse");
        let caught = std::panic::catch_unwind(|| faults.hit("validation"));
        let message = caught.expect_err("panicked");
        let text = message.downcast_ref::<String>().expect("message");
        assert!(text.contains("validation"), "{text}");
    }
}
