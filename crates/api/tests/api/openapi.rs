//! The OpenAPI document is what the dashboard's types are generated from:
//! a change to it must be seen (and the types regenerated) in review.

use crate::helpers::{repo_root, Backends, TestApp};

#[tokio::test]
async fn served_spec_matches_the_checked_in_copy() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let (status, served) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/ingest/upload",
        "/api/ingest/status/{task_id}",
        "/api/ingest/tasks",
        "/api/health",
        "/api/datasources/{name}/timeseries",
    ] {
        assert!(served["paths"][path].is_object(), "{path} documented");
    }
    let pretty = serde_json::to_string_pretty(&served).expect("JSON") + "\n";
    let copy = repo_root().join("frontend/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&copy, &pretty).expect("write frontend/openapi.json");
    }
    let checked_in = std::fs::read_to_string(&copy).unwrap_or_default();
    assert!(
        checked_in == pretty,
        "frontend/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p ingest-api --test api openapi` and `npm run gen:api` in frontend/"
    );
}

/// `/api/docs` is a page of the dashboard build; no script of it comes from a CDN.
#[tokio::test]
async fn docs_page_is_served_from_the_frontend_build() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>app</title>",
    )
    .expect("index.html");
    let docs = r#"<!doctype html><title>ingest API reference</title><script type="module" src="/assets/docs-x.js"></script>"#;
    std::fs::write(dir.path().join("docs.html"), docs).expect("docs.html");
    let frontend = dir.path().to_owned();
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.frontend_dir = frontend).await;

    let response = app
        .client
        .get(format!("{}/api/docs", app.url))
        .send()
        .await
        .expect("GET /api/docs");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.text().await.expect("body"), docs);
}

/// Without a dashboard build (no npm), `/api/docs` says so and links the raw document.
#[tokio::test]
async fn docs_page_without_a_build_links_the_raw_spec() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let response = app
        .client
        .get(format!("{}/api/docs", app.url))
        .send()
        .await
        .expect("GET /api/docs");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains(r#"<a href="/api/openapi.json">"#), "{body}");
    assert!(body.contains("scripts/frontend.sh build"), "{body}");
    assert!(!body.contains("<script"), "no script: {body}");
}
