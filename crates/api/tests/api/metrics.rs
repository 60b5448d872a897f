//! `GET /metrics` scraped from a real `ingest serve`: its own process, so no
//! other test's uploads move its counters (the `metrics` recorder is per
//! process). The figures move by exactly what one upload does.

use std::collections::BTreeMap;

use ingest_domain::TaskStatus;

use crate::{
    druid::unique,
    faults::{serve_with, upload, wait_until_finished},
    helpers::{data_csv, required_env},
};

/// One scrape, parsed.
struct Scrape(Vec<(String, BTreeMap<String, String>, f64)>);

impl Scrape {
    /// The sum of the samples called `name` whose labels include `labels`;
    /// `None` when there is none.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .0
            .iter()
            .filter(|(n, have, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| have.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, value)| *value)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }

    /// As `get`, with a counter that was never touched reading 0.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }
}

/// `name{k="v",…} value` (label values here never hold `,` or `"`).
fn sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}')?),
        None => (series, ""),
    };
    let labels = labels
        .split(',')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.to_owned(), v.trim_matches('"').to_owned()))
        })
        .collect();
    Some((name.to_owned(), labels, value))
}

async fn scrape(client: &reqwest::Client, base: &str) -> (String, Scrape) {
    let response = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("body");
    let samples = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| sample(line).unwrap_or_else(|| panic!("not a sample: {line}")))
        .collect();
    (text, Scrape(samples))
}

const ACCEPTED: &[(&str, &str)] = &[("outcome", "accepted")];

#[tokio::test]
async fn counters_move_by_what_one_upload_does() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let csv = data_csv();
    let size = csv.len() as f64;

    // No workers: the upload waits in the queue.
    let mut idle = serve_with(data_dir.path(), None, &[("INGEST_WORKERS", "0")]).await;
    let (_, before) = scrape(&client, &idle.url).await;
    let first = upload(&client, &idle.url, csv.clone(), "metered", "append").await;
    let (_, queued) = scrape(&client, &idle.url).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        queued.value(name, labels) - before.value(name, labels)
    };
    assert_eq!(moved("ingest_uploads_total", ACCEPTED), 1.0);
    assert_eq!(moved("ingest_upload_bytes_total", ACCEPTED), size);
    assert_eq!(queued.get("ingest_queue_depth", &[]), Some(1.0));
    assert!(queued
        .get("ingest_oldest_queued_age_seconds", &[])
        .is_some_and(|age| age >= 0.0));
    assert_eq!(queued.get("ingest_live_workers", &[]), Some(0.0));
    idle.child.kill().await.expect("stopped");

    // A server with a worker on the same data takes the queued task over;
    // then one more upload, start to end.
    let busy = serve_with(data_dir.path(), None, &[]).await;
    let done = wait_until_finished(&client, &busy.url, &first).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    let (_, before) = scrape(&client, &busy.url).await;
    let second = upload(&client, &busy.url, csv.clone(), "metered", "append").await;
    let done = wait_until_finished(&client, &busy.url, &second).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    let (text, after) = scrape(&client, &busy.url).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    assert_eq!(moved("ingest_uploads_total", ACCEPTED), 1.0);
    assert_eq!(moved("ingest_upload_bytes_total", ACCEPTED), size);
    assert_eq!(
        moved("ingest_tasks_finished_total", &[("status", "succeeded")]),
        1.0
    );
    assert_eq!(
        moved("ingest_tasks_finished_total", &[("status", "failed")]),
        0.0
    );
    for stage in ["upload", "queued", "validation", "ingestion"] {
        assert_eq!(
            moved("ingest_stage_duration_seconds_count", &[("stage", stage)]),
            1.0,
            "{stage}"
        );
    }
    assert_eq!(after.get("ingest_queue_depth", &[]), Some(0.0));
    assert_eq!(
        after.get("ingest_oldest_queued_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(after.get("ingest_live_workers", &[]), Some(1.0));
    for name in [
        "ingest_uploads_total",
        "ingest_upload_bytes_total",
        "ingest_tasks_finished_total",
        "ingest_stage_duration_seconds",
        "ingest_queue_depth",
        "ingest_oldest_queued_age_seconds",
        "ingest_live_workers",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "help for {name}");
    }
}

/// The Druid calls of one upload into the real Druid, and the datasource
/// page's Druid SQL reads, counted by call and outcome.
#[tokio::test]
async fn druid_calls_are_counted_while_ingesting_and_for_the_datasource_pages() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let mut env = vec![("S3_PREFIX", prefix.clone())];
    for name in [
        "S3_BUCKET",
        "S3_ENDPOINT",
        "S3_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "DRUID_URL",
    ] {
        env.push((name, required_env(name)));
    }
    for optional in ["DRUID_OVERLORD_URL", "DRUID_COORDINATOR_URL"] {
        if let Ok(url) = std::env::var(optional) {
            env.push((optional, url));
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = serve_with(data_dir.path(), None, &env).await;
    let datasource = unique("metered_druid");

    let (_, before) = scrape(&client, &server.url).await;
    let id = upload(&client, &server.url, data_csv(), &datasource, "append").await;
    let done = wait_until_finished(&client, &server.url, &id).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    let (_, ingested) = scrape(&client, &server.url).await;
    let moved = |call: &str, outcome: &str| {
        let labels = [("call", call), ("outcome", outcome)];
        ingested.value(DRUID_CALLS, &labels) - before.value(DRUID_CALLS, &labels)
    };
    assert_eq!(moved("sample", "ok"), 1.0, "the preflight");
    assert_eq!(moved("submit", "ok"), 1.0);
    assert!(moved("status", "ok") >= 1.0);
    assert!(moved("sql", "ok") >= 1.0, "the count of the upload's rows");

    let page = client
        .get(format!("{}/api/datasources/{datasource}", server.url))
        .send()
        .await
        .expect("datasource page");
    assert_eq!(page.status().as_u16(), 200);
    let (_, paged) = scrape(&client, &server.url).await;
    let sql = |scrape: &Scrape, outcome: &str| {
        scrape.value(DRUID_CALLS, &[("call", "sql"), ("outcome", outcome)])
    };
    assert!(
        sql(&paged, "ok") > sql(&ingested, "ok"),
        "the page's Druid SQL reads are counted"
    );
    assert_eq!(sql(&paged, "error"), sql(&before, "error"));
}

const DRUID_CALLS: &str = "ingest_druid_calls_total";
