//! The same pipeline with Postgres and a real S3 server.

use ingest_domain::TaskStatus;

use crate::helpers::{assert_error, csv_data_rows, data_csv, Backends, TestApp};

#[tokio::test]
async fn data_csv_through_postgres_and_s3() {
    let app = TestApp::spawn(Backends::Real).await;
    assert_eq!(app.state.tasks.backend(), "postgres");
    assert_eq!(app.state.objects.backend(), "s3");
    let bytes = data_csv();
    let task = app.ingest("data.csv", bytes.clone(), "sales").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(
        task.row_count.unwrap_or(0) + task.rejected_row_count.unwrap_or(0),
        csv_data_rows(&bytes)
    );
    let keys = app.objects().list("uploads/").await.expect("list");
    assert_eq!(keys, [format!("uploads/{}/data.csv", task.task_id)]);
    let (_, summary) = app.get_json("/api/datasources/sales").await;
    assert_eq!(summary["row_count"], task.row_count.expect("rows"));
    let (status, health) = app.get_json("/api/health").await;
    assert_eq!(status, 200, "{health}");
}

#[tokio::test]
async fn a_large_upload_goes_to_s3_in_parts() {
    let app = TestApp::spawn(Backends::Real).await;
    // Over two 8 MiB parts, so the multipart path (not a single PUT) runs.
    let mut csv = b"time,region,amount\n".to_vec();
    let mut rows = 0u64;
    while csv.len() < 20 * 1024 * 1024 {
        csv.extend_from_slice(
            format!("2024-01-01 00:{:02}:00,north,{rows}.5\n", rows % 60).as_bytes(),
        );
        rows += 1;
    }
    let task = app.ingest("big.csv", csv.clone(), "big").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.row_count, Some(rows));
    assert_eq!(
        app.objects()
            .size(&format!("uploads/{}/big.csv", task.task_id))
            .await
            .expect("head"),
        Some(csv.len() as u64)
    );
}

#[tokio::test]
async fn rejected_uploads_leave_nothing_in_s3() {
    let app = TestApp::spawn_with(Backends::Real, |s| s.max_upload_bytes = 9 * 1024 * 1024).await;
    let mut big = b"time,v\n".to_vec();
    while big.len() <= 10 * 1024 * 1024 {
        big.extend_from_slice(b"2024-01-01,12345\n");
    }
    assert_error(
        app.upload_bytes("big.csv", big, "sales").await,
        413,
        "file_too_large",
    )
    .await;
    assert_eq!(app.objects().list("").await.expect("list").len(), 0);
    assert_eq!(
        app.objects().pending_uploads().await.expect("pending"),
        0,
        "multipart upload aborted"
    );
}

#[tokio::test]
async fn an_unfinished_task_is_picked_up_after_a_restart() {
    let app = TestApp::spawn_with(Backends::Real, |s| s.task_lease_secs = 1).await;
    let response = app
        .upload_bytes(
            "a.csv",
            b"t,v\n2024-01-01,1\n2024-01-02,2\n".to_vec(),
            "restart",
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    // A worker that crashed mid-task: it claimed the task and never came back.
    let claimed = app
        .state
        .tasks
        .claim("crashed-worker", std::time::Duration::from_secs(1))
        .await
        .expect("claim");
    assert!(claimed.is_some());
    assert!(
        app.state.pipeline.run_next().await.expect("run").is_none(),
        "leased task is not taken while the lease lasts"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let task = app
        .state
        .pipeline
        .run_next()
        .await
        .expect("run")
        .expect("expired lease is taken over");
    assert_eq!(task.status(), TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2);
}
