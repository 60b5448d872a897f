//! Schema drift between uploads (`schema_drift`, `on_schema_change`) and the
//! per-column profile, through the real server on the local sink.

use ingest_domain::{ColumnType, OnSchemaChange, Task, TaskStatus};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, Backends, TestApp};

/// Uploads `csv` to `datasource` with `on_schema_change` (when given);
/// expects 202 and returns the task id.
async fn upload(app: &TestApp, csv: &str, datasource: &str, on_change: Option<&str>) -> String {
    let mut form = Form::new()
        .part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("file.csv"),
        )
        .text("datasource_name", datasource.to_owned());
    if let Some(value) = on_change {
        form = form.text("on_schema_change", value.to_owned());
    }
    let response = app.post_form(form).await;
    assert_eq!(
        response.status().as_u16(),
        202,
        "{:?}",
        response.text().await
    );
    let body: Value = response.json().await.expect("JSON");
    body["task_id"].as_str().expect("task id").to_owned()
}

async fn ingest(app: &TestApp, csv: &str, datasource: &str, on_change: Option<&str>) -> Task {
    let id = upload(app, csv, datasource, on_change).await;
    app.run_workers().await;
    app.task(&id).await
}

async fn rows_in(app: &TestApp, datasource: &str) -> u64 {
    let (status, body) = app
        .get_json(&format!("/api/datasources/{datasource}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["row_count"].as_u64().expect("row count")
}

const FIRST: &str = "ts,amount,region\n2024-01-01,1,north\n2024-01-02,2,south\n";
/// `amount` became a double, `region` is gone, `returned` is new.
const DRIFTED: &str = "ts,amount,returned\n2024-01-03,1.5,true\n";

#[tokio::test]
async fn drift_is_reported_on_the_task_and_allowed_by_default() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let first = ingest(&app, FIRST, "drifting", None).await;
    assert_eq!(first.status(), TaskStatus::Succeeded, "{:?}", first.error);
    let drift = first.schema_drift.expect("compared");
    assert!(
        !drift.drifted && drift.compared_with.is_none(),
        "a new datasource: {drift:?}"
    );

    let second = ingest(&app, DRIFTED, "drifting", None).await;
    assert_eq!(second.status(), TaskStatus::Succeeded, "{:?}", second.error);
    let drift = second.schema_drift.expect("compared");
    assert!(drift.drifted);
    assert_eq!(drift.on_schema_change, OnSchemaChange::Allow);
    assert_eq!(drift.compared_with, Some(first.task_id));
    let names = |columns: &[ingest_domain::SchemaColumn]| {
        columns
            .iter()
            .map(|c| (c.name.clone(), c.column_type))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&drift.added),
        [("returned".into(), ColumnType::Boolean)]
    );
    assert_eq!(
        names(&drift.missing),
        [("region".into(), ColumnType::String)]
    );
    assert_eq!(drift.type_changed.len(), 1);
    assert_eq!(
        (drift.type_changed[0].was, drift.type_changed[0].now),
        (ColumnType::Long, ColumnType::Double)
    );
    assert!(drift.time_column_changed.is_none(), "ts both times");
    assert_eq!(rows_in(&app, "drifting").await, 3);

    // The third compares with the second, the datasource's schema now.
    let third = ingest(&app, DRIFTED, "drifting", Some("fail")).await;
    assert_eq!(third.status(), TaskStatus::Succeeded, "{:?}", third.error);
    let drift = third.schema_drift.expect("compared");
    assert_eq!(drift.compared_with, Some(second.task_id));
    assert!(!drift.drifted, "{drift:?}");
}

#[tokio::test]
async fn on_schema_change_fail_refuses_a_drifted_file_cleanly() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let first = ingest(&app, FIRST, "strict", Some("fail")).await;
    assert_eq!(
        first.status(),
        TaskStatus::Succeeded,
        "nothing to drift from"
    );

    let refused = ingest(&app, DRIFTED, "strict", Some("fail")).await;
    assert_eq!(refused.status(), TaskStatus::Failed);
    assert_eq!(refused.attempts, 1, "a verdict, not retried");
    let error = refused.error.expect("error");
    assert_eq!(error.code, "schema_drift");
    for named in [
        "added: returned (boolean)",
        "missing: region (string)",
        "amount long → double",
    ] {
        assert!(
            error.message.contains(named),
            "{named} in {}",
            error.message
        );
    }
    assert!(error.hint.expect("hint").contains("on_schema_change=allow"));
    assert!(refused.schema_drift.expect("recorded").drifted);
    assert_eq!(
        rows_in(&app, "strict").await,
        2,
        "nothing of the refused file"
    );

    // A time column that changed is drift too.
    let renamed = "when,amount,region\n2024-01-04,3,east\n";
    let refused = ingest(&app, renamed, "strict", Some("fail")).await;
    assert_eq!(refused.status(), TaskStatus::Failed);
    let drift = refused.schema_drift.expect("recorded");
    let change = drift.time_column_changed.expect("time column");
    assert_eq!(
        (change.was.as_deref(), change.now.as_deref()),
        (Some("ts"), Some("when"))
    );

    // The same schema passes (failed tasks never hold the schema).
    let same = ingest(
        &app,
        "ts,region,amount\n2024-01-05,west,4\n",
        "strict",
        Some("fail"),
    )
    .await;
    assert_eq!(same.status(), TaskStatus::Succeeded, "{:?}", same.error);
    assert_eq!(
        same.schema_drift.expect("compared").compared_with,
        Some(first.task_id)
    );
}

/// A datasource deleted and created again under its name starts a new
/// schema: its earlier tasks no longer hold one, so a strict upload with
/// other columns passes, compared with nothing; the next compares with it.
async fn deleting_a_datasource_resets_its_schema(backends: Backends) {
    let app = TestApp::spawn(backends).await;
    let first = ingest(&app, FIRST, "reborn", None).await;
    assert_eq!(first.status(), TaskStatus::Succeeded, "{:?}", first.error);
    let deleted = app
        .client
        .delete(format!("{}/api/datasources/reborn", app.url))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status().as_u16(), 204);

    let again = ingest(&app, DRIFTED, "reborn", Some("fail")).await;
    assert_eq!(again.status(), TaskStatus::Succeeded, "{:?}", again.error);
    let drift = again.schema_drift.expect("compared");
    assert!(
        !drift.drifted && drift.compared_with.is_none(),
        "no drift against the deleted datasource: {drift:?}"
    );
    assert_eq!(rows_in(&app, "reborn").await, 1);

    // The new datasource's own schema holds from now on.
    let third = ingest(&app, FIRST, "reborn", Some("fail")).await;
    assert_eq!(third.status(), TaskStatus::Failed);
    let drift = third.schema_drift.expect("compared");
    assert_eq!(drift.compared_with, Some(again.task_id));
}

#[tokio::test]
async fn deleting_a_datasource_resets_its_schema_on_sqlite() {
    deleting_a_datasource_resets_its_schema(Backends::Embedded).await;
}

#[tokio::test]
async fn deleting_a_datasource_resets_its_schema_on_postgres() {
    deleting_a_datasource_resets_its_schema(Backends::Real).await;
}

#[tokio::test]
async fn an_unknown_on_schema_change_is_refused_at_upload() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let form = Form::new()
        .part(
            "file",
            Part::bytes(FIRST.as_bytes().to_vec()).file_name("f.csv"),
        )
        .text("datasource_name", "x")
        .text("on_schema_change", "strict");
    let body = assert_error(app.post_form(form).await, 422, "invalid_field").await;
    assert_eq!(body["error"]["details"]["field"], "on_schema_change");
}

/// Two strict uploads with different columns into an empty datasource,
/// worked on at the same time: the gate lets one through, the other sees
/// it and fails. Without the per-datasource lock both could find no schema.
async fn concurrent_strict_uploads_cannot_both_pass(backends: Backends) {
    let app = TestApp::spawn(backends).await;
    for round in 0..3 {
        let datasource = format!("race{round}");
        let a = upload(&app, "ts,a\n2024-01-01,1\n", &datasource, Some("fail")).await;
        let b = upload(&app, "ts,b\n2024-01-01,x\n", &datasource, Some("fail")).await;
        let pipeline = &app.state.pipeline;
        let (one, two) = tokio::join!(pipeline.run_next(), pipeline.run_next());
        assert!(one.expect("claim").is_some() && two.expect("claim").is_some());
        app.run_workers().await;
        let (a, b) = (app.task(&a).await, app.task(&b).await);
        let mut statuses = [a.status(), b.status()];
        statuses.sort_by_key(|s| s.as_str());
        assert_eq!(
            statuses,
            [TaskStatus::Failed, TaskStatus::Succeeded],
            "round {round}: {:?} / {:?}",
            a.error,
            b.error
        );
        let failed = if a.status() == TaskStatus::Failed {
            a
        } else {
            b
        };
        assert_eq!(failed.error.expect("error").code, "schema_drift");
        assert_eq!(rows_in(&app, &datasource).await, 1);
    }
}

#[tokio::test]
async fn concurrent_strict_uploads_cannot_both_pass_on_sqlite() {
    concurrent_strict_uploads_cannot_both_pass(Backends::Embedded).await;
}

#[tokio::test]
async fn concurrent_strict_uploads_cannot_both_pass_on_postgres() {
    concurrent_strict_uploads_cannot_both_pass(Backends::Real).await;
}

#[tokio::test]
async fn the_status_has_column_profiles_and_the_list_a_summary_without_them() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let mut csv = String::from("ts,amount,city,note\n");
    for i in 0..300 {
        let city = ["Paris", "Oslo", "Lima"][i % 3];
        let note = if i % 4 == 0 { "NA" } else { "ok" };
        csv.push_str(&format!(
            "2024-01-01T00:{:02}:00Z,{i},{city},{note}\n",
            i % 60
        ));
    }
    let task = ingest(&app, &csv, "profiled", None).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);

    let (_, status) = app
        .get_json(&format!("/api/ingest/status/{}", task.task_id))
        .await;
    let column = |name: &str| -> Value {
        status["validation"]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("column {name}"))["stats"]
            .clone()
    };
    let amount = column("amount");
    assert_eq!(amount["distinct_estimate"], 300);
    assert_eq!(amount["null_ratio"], 0.0);
    let bars = amount["histogram"].as_array().expect("histogram");
    assert!(!bars.is_empty() && bars.len() <= 20, "{amount}");
    let counted: u64 = bars
        .iter()
        .map(|b| b["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(counted, 300);
    assert!(
        amount.get("top_values").is_none(),
        "numbers get a histogram"
    );

    let city = column("city");
    assert_eq!(city["distinct_estimate"], 3);
    assert_eq!(city["top_values_exact"], true);
    assert_eq!(city["top_values"][0]["count"], 100);
    assert!(city.get("histogram").is_none());
    assert_eq!(column("note")["null_ratio"], 0.25);

    let (status, list) = app.get_json("/api/ingest/tasks?datasource=profiled").await;
    assert_eq!(status, 200);
    let summary = &list["tasks"][0];
    assert_eq!(summary["task_id"], task.task_id.to_string());
    assert_eq!(summary["row_count"], 300);
    assert_eq!(summary["schema_drifted"], false);
    assert!(
        summary.get("validation").is_none(),
        "no report in the list: {summary}"
    );
    assert!(!summary.to_string().contains("histogram"));
}

/// Druid keeps booleans as strings: a second upload with the same validated
/// schema (a boolean column included) is no drift, and a drifted strict one
/// fails before anything reaches Druid.
#[tokio::test]
async fn drift_in_druid_compares_our_validated_types() {
    let app = TestApp::spawn(Backends::Druid).await;
    let datasource = format!("drift_{}", uuid::Uuid::new_v4().simple());
    let csv = "ts,amount,returned\n2024-01-01,1,true\n2024-01-02,2,false\n";
    let first = ingest(&app, csv, &datasource, Some("fail")).await;
    assert_eq!(first.status(), TaskStatus::Succeeded, "{:?}", first.error);

    let again = "ts,amount,returned\n2024-01-03,3,false\n";
    let second = ingest(&app, again, &datasource, Some("fail")).await;
    assert_eq!(second.status(), TaskStatus::Succeeded, "{:?}", second.error);
    let drift = second.schema_drift.expect("compared");
    assert_eq!(drift.compared_with, Some(first.task_id));
    assert!(!drift.drifted, "boolean stays boolean: {drift:?}");

    let refused = ingest(&app, DRIFTED, &datasource, Some("fail")).await;
    assert_eq!(refused.status(), TaskStatus::Failed);
    assert_eq!(refused.error.expect("error").code, "schema_drift");
    assert!(refused.druid.is_none(), "nothing submitted to Druid");
    assert_eq!(rows_in(&app, &datasource).await, 3);
}
