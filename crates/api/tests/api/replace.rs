//! `replace` drops only the time chunks the file covers, and only after
//! someone agreed to the stated effect (local sink, both task stores).

use chrono::{Duration, NaiveDate};
use ingest_domain::{ReplaceConsent, SegmentGranularity, Task, TaskStatus};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, Backends, TestApp};

/// `per_day` rows on each day from `first` for `days` days, skipping `skip`.
fn daily_csv(first: &str, days: i64, per_day: u32, skip: &[&str]) -> Vec<u8> {
    let first: NaiveDate = first.parse().expect("date");
    let mut csv = String::from("time,v\n");
    for d in 0..days {
        let day = first + Duration::days(d);
        if skip.contains(&day.to_string().as_str()) {
            continue;
        }
        for n in 0..per_day {
            csv.push_str(&format!("{day}T{:02}:30:00Z,{n}\n", 1 + n));
        }
    }
    csv.into_bytes()
}

async fn upload(app: &TestApp, bytes: Vec<u8>, ds: &str, mode: &str, confirm: bool) -> String {
    let mut form = Form::new()
        .part("file", Part::bytes(bytes).file_name("f.csv"))
        .text("datasource_name", ds.to_owned())
        .text("mode", mode.to_owned());
    if confirm {
        form = form.text("confirm", "true");
    }
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    body["task_id"].as_str().expect("id").to_owned()
}

async fn rows(app: &TestApp, ds: &str) -> u64 {
    app.get_json(&format!("/api/datasources/{ds}")).await.1["row_count"]
        .as_u64()
        .unwrap_or(0)
}

/// Rows per day, from the API's time series.
async fn days(app: &TestApp, ds: &str) -> Vec<(String, u64)> {
    let (_, series) = app
        .get_json(&format!("/api/datasources/{ds}/timeseries?granularity=day"))
        .await;
    series["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            let day = p["time"].as_str().unwrap_or_default()[..10].to_owned();
            (day, p["rows"].as_u64().unwrap_or(0))
        })
        .collect()
}

/// Jan–Mar, 3 rows a day (273 rows), then a replace with Jan 1–7 minus
/// Jan 4, 2 rows a day: the window is Jan 1–8 (whole days), Jan 4 included.
async fn quarter_then_a_week(app: &TestApp) -> Task {
    let base = upload(
        app,
        daily_csv("2024-01-01", 91, 3, &[]),
        "sales",
        "append",
        false,
    )
    .await;
    app.run_workers().await;
    assert_eq!(app.task(&base).await.status(), TaskStatus::Succeeded);
    assert_eq!(rows(app, "sales").await, 273);
    let week = daily_csv("2024-01-01", 7, 2, &["2024-01-04"]);
    let id = upload(app, week, "sales", "replace", false).await;
    app.run_workers().await;
    app.task(&id).await
}

async fn replace_drops_only_its_chunks_after_confirmation(backends: Backends) {
    let app = TestApp::spawn(backends).await;
    let waiting = quarter_then_a_week(&app).await;
    assert_eq!(waiting.status(), TaskStatus::AwaitingConfirmation);
    let effect = waiting.replace_effect.clone().expect("effect");
    assert_eq!(effect.window.granularity, SegmentGranularity::Day);
    assert_eq!((effect.replaced_rows, effect.kept_rows), (21, 252));
    assert_eq!(
        effect.summary,
        "replaces 21 rows between 2024-01-01 00:00 UTC and 2024-01-08 00:00 UTC in `sales` (whole UTC days); 252 rows outside stay"
    );
    assert_eq!(rows(&app, "sales").await, 273, "nothing dropped yet");
    assert!(
        app.state
            .pipeline
            .run_next()
            .await
            .expect("claim")
            .is_none(),
        "a waiting task is not claimable: no worker sits on it"
    );

    let confirmed = app
        .post(&format!("/api/ingest/tasks/{}/confirm", waiting.task_id))
        .await;
    assert_eq!(confirmed.status().as_u16(), 202);
    app.run_workers().await;
    let done = app.task(&waiting.task_id.to_string()).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.replace_consent, Some(ReplaceConsent::Effect));
    assert_eq!(rows(&app, "sales").await, 252 + 12);
    let days = days(&app, "sales").await;
    let on = |d: &str| days.iter().find(|(day, _)| day == d).map(|(_, n)| *n);
    assert_eq!(on("2024-01-01"), Some(2), "Jan 1–7 hold the file's rows");
    assert_eq!(
        on("2024-01-04"),
        None,
        "a day of the window without file rows is emptied"
    );
    assert_eq!(on("2024-01-08"), Some(3), "the day after the window stays");
    assert_eq!(on("2024-02-15"), Some(3), "February stays");
    assert_eq!(on("2024-03-31"), Some(3), "March stays");
}

#[tokio::test]
async fn replace_drops_only_its_chunks_after_confirmation_embedded() {
    replace_drops_only_its_chunks_after_confirmation(Backends::Embedded).await;
}

#[tokio::test]
async fn replace_drops_only_its_chunks_after_confirmation_postgres() {
    replace_drops_only_its_chunks_after_confirmation(Backends::Real).await;
}

#[tokio::test]
async fn a_waiting_replace_can_be_cancelled_and_drops_nothing() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let waiting = quarter_then_a_week(&app).await;
    let id = waiting.task_id;
    let cancel = app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
    assert_eq!(cancel.status().as_u16(), 200);
    assert_eq!(
        app.task(&id.to_string()).await.status(),
        TaskStatus::Cancelled
    );
    assert_eq!(rows(&app, "sales").await, 273);
    let again = app.post(&format!("/api/ingest/tasks/{id}/confirm")).await;
    assert_error(again, 409, "task_not_awaiting_confirmation").await;
}

#[tokio::test]
async fn a_window_that_changed_since_the_confirmation_asks_again() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let waiting = quarter_then_a_week(&app).await;
    let one_more = b"time,v\n2024-01-02T12:00:00Z,9\n".to_vec();
    upload(&app, one_more, "sales", "append", false).await;
    app.run_workers().await;
    let id = waiting.task_id;
    let confirmed = app.post(&format!("/api/ingest/tasks/{id}/confirm")).await;
    assert_eq!(confirmed.status().as_u16(), 202);
    app.run_workers().await;
    let asked = app.task(&id.to_string()).await;
    assert_eq!(asked.status(), TaskStatus::AwaitingConfirmation);
    assert_eq!(asked.replace_effect.expect("effect").replaced_rows, 22);
    assert_eq!(
        rows(&app, "sales").await,
        274,
        "nothing dropped unconfirmed"
    );
}

#[tokio::test]
async fn confirm_true_skips_the_pause_and_appends_never_wait() {
    let app = TestApp::spawn(Backends::Embedded).await;
    upload(
        &app,
        daily_csv("2024-01-01", 3, 2, &[]),
        "s",
        "append",
        false,
    )
    .await;
    let id = upload(
        &app,
        daily_csv("2024-01-02", 1, 1, &[]),
        "s",
        "replace",
        true,
    )
    .await;
    app.run_workers().await;
    let task = app.task(&id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.replace_consent, Some(ReplaceConsent::Upfront));
    assert_eq!(task.replace_effect.expect("effect").replaced_rows, 2);
    assert_eq!(rows(&app, "s").await, 5);
    let queued = upload(
        &app,
        daily_csv("2024-01-02", 1, 1, &[]),
        "s",
        "append",
        false,
    )
    .await;
    let confirm = app
        .post(&format!("/api/ingest/tasks/{queued}/confirm"))
        .await;
    assert_error(confirm, 409, "task_not_awaiting_confirmation").await;
    let bad = Form::new()
        .part(
            "file",
            Part::bytes(b"time,v\n2024-01-01,1\n".to_vec()).file_name("f.csv"),
        )
        .text("datasource_name", "s")
        .text("confirm", "maybe");
    assert_error(app.post_form(bad).await, 422, "invalid_field").await;
}
