//! Concurrent `replace` and `append` on one Druid datasource (issue 8): the
//! final content, read back with Druid SQL, is one of the two serial orders
//! — never a mix (part of a file) or a loss (a file's rows dropped by the
//! other's publish). The local-sink variant is in `faults.rs`.

use std::collections::BTreeSet;

use ingest_domain::TaskStatus;

use crate::druid::{druid, unique};
use crate::faults::{numbered_csv, upload};
use crate::helpers::{Backends, TestApp};

/// The `n` of every row in the datasource, from Druid SQL, sorted here
/// (Druid orders a scan by `__time` only).
async fn numbers_in_druid(datasource: &str) -> Vec<u64> {
    let mut numbers: Vec<u64> = druid()
        .sql(&format!(r#"SELECT "n" FROM "{datasource}""#), &[])
        .await
        .expect("Druid SQL")
        .iter()
        .map(|row| row["n"].as_u64().expect("n is a number"))
        .collect();
    numbers.sort_unstable();
    numbers
}

/// Day of the month of row `n` in `numbered_csv`.
fn day(n: u32) -> u32 {
    1 + n % 28
}

#[tokio::test]
async fn concurrent_replace_and_append_in_druid_end_in_a_serial_order() {
    let app = TestApp::spawn(Backends::Druid).await;
    // Base: n 0–6 on Jan 1–7. Replace: n 100–110 on Jan 17–27 (its window).
    // Append: n 200–212 on Jan 5–17, one row (212) inside the window.
    let base: Vec<u32> = (0..7).collect();
    let replace: Vec<u32> = (100..111).collect();
    let append: Vec<u32> = (200..213).collect();
    let window = day(100)..=day(110);
    let replace_then_append: BTreeSet<u64> = base
        .iter()
        .chain(&replace)
        .chain(&append)
        .map(|&n| u64::from(n))
        .collect();
    let append_then_replace: BTreeSet<u64> = base
        .iter()
        .chain(append.iter().filter(|&&n| !window.contains(&day(n))))
        .chain(&replace)
        .map(|&n| u64::from(n))
        .collect();
    assert_ne!(
        replace_then_append, append_then_replace,
        "the orders differ"
    );

    for round in 0..2 {
        let ds = unique("druid_racy");
        let first = upload(&app.client, &app.url, numbered_csv(0, 7), &ds, "append").await;
        app.run_workers().await;
        let task = app.task(&first).await;
        assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);

        let replacing = upload(&app.client, &app.url, numbered_csv(100, 11), &ds, "replace").await;
        let appending = upload(&app.client, &app.url, numbered_csv(200, 13), &ds, "append").await;
        let pipeline = &app.state.pipeline;
        let (a, b) = tokio::join!(pipeline.run_next(), pipeline.run_next());
        assert!(a.expect("run").is_some() && b.expect("run").is_some());
        for id in [&replacing, &appending] {
            let task = app.task(id).await;
            assert_eq!(
                task.status(),
                TaskStatus::Succeeded,
                "round {round}: {:?}",
                task.error
            );
        }
        let numbers = numbers_in_druid(&ds).await;
        let content: BTreeSet<u64> = numbers.iter().copied().collect();
        assert_eq!(numbers.len(), content.len(), "round {round}: no row twice");
        assert!(
            content == replace_then_append || content == append_then_replace,
            "round {round}: {numbers:?} is neither serial order"
        );
    }
}
