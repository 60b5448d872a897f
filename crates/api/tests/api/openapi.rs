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
