//! The datasource pages' API: the list with sizes and latest uploads, one
//! datasource's schema, rows over time, sample rows and uploads, its
//! deletion (local sink and Druid), and the task filter by part of a name.

use std::time::Duration;

use ingest_domain::TaskStatus;
use serde_json::Value;

use crate::helpers::{assert_error, csv_data_rows, data_csv, required_env, Backends, TestApp};

async fn delete(app: &TestApp, name: &str) -> reqwest::Response {
    app.client
        .delete(format!("{}/api/datasources/{name}", app.url))
        .send()
        .await
        .expect("request sent")
}

fn hours(values: &[u32]) -> Vec<u8> {
    let mut csv = String::from("time,v\n");
    for (i, v) in values.iter().enumerate() {
        csv.push_str(&format!("2024-03-0{} 0{}:00:00,{v}\n", 1 + i % 3, i % 10));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_datasource_page_has_its_schema_series_sample_and_uploads() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let first = app.ingest("data.csv", data_csv(), "shop").await;
    let second = app.ingest("more.csv", hours(&[7, 8, 9]), "shop").await;
    app.ingest("other.csv", hours(&[1]), "shop_eu").await;
    let rows = csv_data_rows(&data_csv()) + 3;

    let (status, list) = app.get_json("/api/datasources").await;
    assert_eq!(status, 200);
    let shop = list["datasources"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["name"] == "shop")
        .expect("shop listed")
        .clone();
    assert_eq!(shop["row_count"], rows);
    assert!(shop["size_bytes"].as_u64().is_some_and(|b| b > 0), "{shop}");
    assert_eq!(
        shop["column_count"].as_u64(),
        shop["columns"].as_array().map(|c| c.len() as u64)
    );
    assert_eq!(shop["last_task_id"], second.task_id.to_string());
    assert_eq!(shop["last_task_status"], "succeeded");
    assert_eq!(
        shop["last_upload_at"]
            .as_str()
            .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok()),
        Some(second.created_at)
    );

    let (status, page) = app.get_json("/api/datasources/shop").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["row_count"], rows);
    let series: u64 = page["rows_over_time"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| p["rows"].as_u64().expect("rows"))
        .sum();
    assert_eq!(series, rows, "every row in one bucket");
    assert!(page["granularity"].is_string());
    let sample = page["sample"].as_array().expect("sample");
    assert_eq!(sample.len(), 20);
    let times: Vec<&str> = sample
        .iter()
        .map(|r| r["__time"].as_str().expect("__time as text"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "by time: {times:?}");
    let first_time: chrono::DateTime<chrono::Utc> = times[0].parse().expect("RFC 3339");
    assert_eq!(
        page["min_time"].as_str().map(|t| t.parse().expect("time")),
        Some(first_time),
        "the sample starts at the first row"
    );
    let uploads: Vec<(&str, &str)> = page["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .map(|u| {
            (
                u["file_name"].as_str().expect("file"),
                u["task_id"].as_str().expect("task"),
            )
        })
        .collect();
    let (a, b) = (second.task_id.to_string(), first.task_id.to_string());
    assert_eq!(
        uploads,
        [("more.csv", a.as_str()), ("data.csv", b.as_str())],
        "newest first, only this datasource's"
    );
    assert_eq!(page["uploads"][0]["rows"], 3);
    assert_eq!(page["uploads"][0]["mode"], "append");
}

#[tokio::test]
async fn the_task_filter_matches_part_of_a_name_in_any_case() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for name in ["Sales_eu", "sales_us", "web"] {
        let response = app.upload_bytes("a.csv", hours(&[1]), name).await;
        assert_eq!(response.status().as_u16(), 202);
    }
    let names = |body: &Value| -> Vec<String> {
        body["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| t["datasource"].as_str().expect("name").to_owned())
            .collect()
    };
    let (_, sales) = app.get_json("/api/ingest/tasks?datasource=SALES").await;
    assert_eq!(names(&sales), ["sales_us", "Sales_eu"]);
    assert_eq!(sales["total"], 2);
    let (_, eu) = app.get_json("/api/ingest/tasks?datasource=s_e").await;
    assert_eq!(names(&eu), ["Sales_eu"]);
}

#[tokio::test]
async fn deleting_a_local_datasource_removes_its_rows_at_once_and_waits_for_uploads() {
    let app = TestApp::spawn(Backends::Embedded).await;
    app.ingest("data.csv", data_csv(), "doomed").await;
    app.ingest("keep.csv", hours(&[1, 2]), "doomed_not").await;

    // An upload not yet run: the datasource is busy.
    let queued = app.upload_bytes("late.csv", hours(&[5]), "doomed").await;
    assert_eq!(queued.status().as_u16(), 202);
    let body = assert_error(delete(&app, "doomed").await, 409, "datasource_busy").await;
    assert_eq!(body["error"]["details"]["status"], "queued");
    app.run_workers().await;

    assert_eq!(delete(&app, "doomed").await.status().as_u16(), 204);
    assert_error(
        app.get("/api/datasources/doomed").await,
        404,
        "datasource_not_found",
    )
    .await;
    let (_, list) = app.get_json("/api/datasources").await;
    let names: Vec<&str> = list["datasources"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["doomed_not"], "a similar name is untouched");
    assert_error(delete(&app, "doomed").await, 404, "datasource_not_found").await;
    assert_error(
        delete(&app, "no such").await,
        400,
        "invalid_datasource_name",
    )
    .await;

    // The name starts over: only a new upload's rows.
    app.ingest("again.csv", hours(&[1, 2, 3]), "doomed").await;
    let (_, page) = app.get_json("/api/datasources/doomed").await;
    assert_eq!(page["row_count"], 3);
    let (_, tasks) = app.get_json("/api/ingest/tasks?datasource=doomed").await;
    let of_doomed = tasks["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["datasource"] == "doomed")
        .count();
    assert_eq!(of_doomed, 3, "the tasks that built it stay listed");
}

#[tokio::test]
async fn deleting_a_druid_datasource_drops_its_segments() {
    let app = TestApp::spawn(Backends::Druid).await;
    let name = format!(
        "druid_delete_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let task = app.ingest("a.csv", hours(&[1, 2, 3, 4]), &name).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let (status, page) = app.get_json(&format!("/api/datasources/{name}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["sample"].as_array().map(Vec::len), Some(4));
    assert!(page["size_bytes"].as_u64().is_some_and(|b| b > 0), "{page}");

    assert_eq!(delete(&app, &name).await.status().as_u16(), 204);
    // Druid drops the segments on its next coordinator runs: wait for the
    // broker to stop listing the table (bounded; not a timing assertion).
    let druid = ingest_druid::DruidClient::new(&required_env("DRUID_URL"), None).expect("url");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let tables = druid
            .sql(
                "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ?",
                &[ingest_druid::varchar(&name)],
            )
            .await
            .expect("Druid SQL");
        if tables.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Druid still lists {name} 3 minutes after the delete"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert_error(
        app.get(&format!("/api/datasources/{name}")).await,
        404,
        "datasource_not_found",
    )
    .await;
    let used = druid
        .sql(
            "SELECT COUNT(*) AS \"n\" FROM sys.segments WHERE \"datasource\" = ? AND is_published = 1",
            &[ingest_druid::varchar(&name)],
        )
        .await
        .expect("Druid SQL");
    // Druid answers no row at all to an aggregate over no segments.
    let left = used.first().and_then(|r| r["n"].as_u64()).unwrap_or(0);
    assert_eq!(left, 0, "no used segment left");
}
