//! `Idempotency-Key` on uploads (issue 8): a client that retries a POST whose
//! answer it never received gets the original task back, and the sink holds
//! the file once.

use ingest_domain::TaskStatus;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::faults::rows_in_sink;
use crate::helpers::{assert_error, csv_data_rows, data_csv, Backends, TestApp};

async fn keyed_upload(app: &TestApp, key: &str, bytes: Vec<u8>, ds: &str) -> reqwest::Response {
    let form = Form::new()
        .part("file", Part::bytes(bytes).file_name("data.csv"))
        .text("datasource_name", ds.to_owned());
    app.client
        .post(format!("{}/api/ingest/upload", app.url))
        .header("Idempotency-Key", key)
        .multipart(form)
        .send()
        .await
        .expect("request sent")
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// How many objects the store holds under the uploads prefix.
async fn stored_objects(app: &TestApp) -> usize {
    app.objects()
        .list("uploads/")
        .await
        .expect("list objects")
        .len()
}

#[tokio::test]
async fn a_sequential_retry_with_the_same_key_returns_the_original_task() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let key = uuid::Uuid::new_v4().to_string();
    let (first, body) = answer(keyed_upload(&app, &key, data_csv(), "keyed").await).await;
    assert_eq!(first, 202, "{body}");
    let id = body["task_id"].as_str().expect("task id").to_owned();
    let objects = stored_objects(&app).await;

    let (again, repeat) = answer(keyed_upload(&app, &key, data_csv(), "keyed").await).await;
    assert_eq!(again, 200, "{repeat}");
    assert_eq!(repeat["task_id"], id.as_str(), "the original task");
    assert_eq!(repeat["status_url"], format!("/api/ingest/status/{id}"));
    assert_eq!(
        stored_objects(&app).await,
        objects,
        "the retry's copy is deleted"
    );

    app.run_workers().await;
    let task = app.task(&id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let page = app.get_json("/api/ingest/tasks?datasource=keyed").await.1;
    assert_eq!(page["total"], 1, "one task: {page}");
    assert_eq!(
        rows_in_sink(&app.client, &app.url, "keyed").await,
        csv_data_rows(&data_csv()),
        "the file once"
    );
}

#[tokio::test]
async fn the_same_key_with_other_content_is_refused() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let key = uuid::Uuid::new_v4().to_string();
    let first = keyed_upload(&app, &key, data_csv(), "keyed2").await;
    assert_eq!(first.status().as_u16(), 202);
    let objects = stored_objects(&app).await;
    let mut other = data_csv();
    other.extend_from_slice(b"2024-01-09 00:49:00,ORD-999999,Asia Pacific,Japan,partner,Computers,Laptop Air 13,1,966.15,0.00,966.15,B. Tanaka\n");
    let refused = keyed_upload(&app, &key, other, "keyed2").await;
    assert_error(refused, 422, "idempotency_key_reused").await;
    let elsewhere = keyed_upload(&app, &key, data_csv(), "keyed3").await;
    assert_error(elsewhere, 422, "idempotency_key_reused").await;
    assert_eq!(
        stored_objects(&app).await,
        objects,
        "nothing of the refused uploads kept"
    );
}

#[tokio::test]
async fn concurrent_retries_with_one_key_make_one_task() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let key = uuid::Uuid::new_v4().to_string();
    let uploads = (0..4).map(|_| keyed_upload(&app, &key, data_csv(), "keyed4"));
    let answers = futures::future::join_all(uploads).await;
    let mut ids = Vec::new();
    for response in answers {
        let (status, body) = answer(response).await;
        match status {
            200 | 202 => ids.push(body["task_id"].as_str().expect("id").to_owned()),
            409 => assert_eq!(body["error"]["code"], "idempotency_key_in_use", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!ids.is_empty(), "one upload got through");
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the one task: {ids:?}");
    app.run_workers().await;
    let page = app.get_json("/api/ingest/tasks?datasource=keyed4").await.1;
    assert_eq!(page["total"], 1, "one task: {page}");
    assert_eq!(
        rows_in_sink(&app.client, &app.url, "keyed4").await,
        csv_data_rows(&data_csv())
    );
    assert_eq!(stored_objects(&app).await, 1, "one object kept");
}

/// The codes and earlier task ids of an upload answer's warnings.
fn duplicate_warnings(body: &Value) -> Vec<String> {
    body["warnings"]
        .as_array()
        .expect("a warnings array")
        .iter()
        .filter(|w| w["code"] == "duplicate_upload")
        .map(|w| {
            w["details"]["earlier_task_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_same_file_appended_again_without_a_key_carries_a_warning() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let (status, first) = answer(app.upload_bytes("data.csv", data_csv(), "dups").await).await;
    assert_eq!(status, 202, "{first}");
    assert!(duplicate_warnings(&first).is_empty(), "{first}");
    let first_id = first["task_id"].as_str().expect("id").to_owned();

    let (status, second) = answer(app.upload_bytes("data.csv", data_csv(), "dups").await).await;
    assert_eq!(status, 202, "{second}");
    assert_eq!(duplicate_warnings(&second), [first_id.as_str()], "{second}");
    // The task keeps the warning, for the dashboard.
    let task = app.task(second["task_id"].as_str().expect("id")).await;
    assert_eq!(task.warnings.len(), 1, "{task:?}");
    assert_eq!(task.warnings[0].code, "duplicate_upload");
    assert_eq!(
        task.warnings[0].details["earlier_task_id"],
        first_id.as_str()
    );

    // Not a duplicate: another datasource, a replace, a keyed upload (the
    // key says whether it is a repeat), other content.
    let (_, elsewhere) = answer(app.upload_bytes("data.csv", data_csv(), "other").await).await;
    assert!(duplicate_warnings(&elsewhere).is_empty(), "{elsewhere}");
    let replace = Form::new()
        .part("file", Part::bytes(data_csv()).file_name("data.csv"))
        .text("datasource_name", "dups")
        .text("mode", "replace");
    let (status, replaced) = answer(app.post_form(replace).await).await;
    assert_eq!(status, 202, "{replaced}");
    assert!(duplicate_warnings(&replaced).is_empty(), "{replaced}");
    let (_, keyed) = answer(keyed_upload(&app, "fresh-key", data_csv(), "dups").await).await;
    assert!(duplicate_warnings(&keyed).is_empty(), "{keyed}");
    let mut changed = data_csv();
    changed.extend_from_slice(b"\n");
    let (_, other) = answer(app.upload_bytes("data.csv", changed, "dups").await).await;
    assert!(duplicate_warnings(&other).is_empty(), "{other}");

    // A cancelled earlier upload left no rows: appending again is no repeat.
    let (_, third) = answer(app.upload_bytes("data.csv", data_csv(), "fresh").await).await;
    let third_id = third["task_id"].as_str().expect("id").to_owned();
    let cancelled = app
        .post(&format!("/api/ingest/tasks/{third_id}/cancel"))
        .await;
    assert_eq!(cancelled.status().as_u16(), 200);
    let (_, fourth) = answer(app.upload_bytes("data.csv", data_csv(), "fresh").await).await;
    assert!(duplicate_warnings(&fourth).is_empty(), "{fourth}");
}
