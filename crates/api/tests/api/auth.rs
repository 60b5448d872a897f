//! Tokens, scopes, the open loopback mode, and the checks that keep other
//! web pages out, against the real server on port 0.

use chrono::{Duration, Utc};
use ingest_api::{config::AuthMode, Application};
use ingest_domain::{Scope, TokenName};
use ingest_storage::tokens::{Created, NewToken, TokenSecret};
use reqwest::{
    header::{AUTHORIZATION, HOST, ORIGIN},
    multipart::{Form, Part},
    Method, RequestBuilder,
};
use serde_json::Value;

use crate::helpers::{assert_error, data_csv, settings, Backends, TestApp};

/// Creates a token in the app's database; returns its secret.
async fn token(app: &TestApp, name: &str, scope: Scope, expires_in: Option<Duration>) -> String {
    let secret = TokenSecret::generate().expect("randomness");
    let now = Utc::now();
    let created = app
        .state
        .tokens
        .create(&NewToken {
            name: TokenName::parse(name).expect("name"),
            scope,
            digest: secret.digest(),
            created_at: now - Duration::minutes(5),
            expires_at: expires_in.map(|d| now + d),
        })
        .await
        .expect("create token");
    assert!(matches!(created, Created::Created(_)), "{created:?}");
    secret.expose().to_owned()
}

fn upload_form() -> Form {
    Form::new()
        .part("file", Part::bytes(data_csv()).file_name("data.csv"))
        .text("datasource_name", "auth_matrix")
}

fn bearer(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header(AUTHORIZATION, format!("Bearer {token}"))
}

/// Every kind of credential the matrix tries.
#[derive(Debug, Clone, Copy)]
enum Credential {
    None,
    Read,
    Write,
    Admin,
    Revoked,
    Expired,
    Unknown,
    Malformed,
}

struct Tokens {
    read: String,
    write: String,
    admin: String,
    revoked: String,
    expired: String,
}

impl Tokens {
    async fn create(app: &TestApp) -> Self {
        let revoked = token(app, "gone", Scope::Admin, None).await;
        app.state
            .tokens
            .revoke(&TokenName::parse("gone").expect("name"), Utc::now())
            .await
            .expect("revoke")
            .expect("known");
        Self {
            read: token(app, "reader", Scope::Read, None).await,
            write: token(app, "writer", Scope::Write, Some(Duration::days(1))).await,
            admin: token(app, "boss", Scope::Admin, None).await,
            revoked,
            expired: token(app, "old", Scope::Admin, Some(Duration::minutes(-1))).await,
        }
    }

    fn apply(&self, request: RequestBuilder, credential: Credential) -> RequestBuilder {
        match credential {
            Credential::None => request,
            Credential::Read => bearer(request, &self.read),
            Credential::Write => bearer(request, &self.write),
            Credential::Admin => bearer(request, &self.admin),
            Credential::Revoked => bearer(request, &self.revoked),
            Credential::Expired => bearer(request, &self.expired),
            Credential::Unknown => bearer(
                request,
                TokenSecret::generate().expect("randomness").expose(),
            ),
            Credential::Malformed => request.header(AUTHORIZATION, "Basic dXNlcjpwYXNz"),
        }
    }
}

/// A route, the scope it needs (`None`: open), and what it answers when allowed.
struct Route {
    method: Method,
    path: String,
    scope: Option<Scope>,
    allowed: &'static [u16],
}

fn routes(task_id: &str) -> Vec<Route> {
    let route = |method: Method, path: &str, scope, allowed| Route {
        method,
        path: path.to_owned(),
        scope,
        allowed,
    };
    vec![
        route(Method::GET, "/", None, &[200]),
        route(Method::GET, "/api/health", None, &[200]),
        route(Method::GET, "/api/openapi.json", None, &[200]),
        route(Method::GET, "/api/docs", None, &[200]),
        route(Method::GET, "/api/auth/whoami", Some(Scope::Read), &[200]),
        route(Method::GET, "/api/ingest/tasks", Some(Scope::Read), &[200]),
        route(
            Method::GET,
            &format!("/api/ingest/status/{task_id}"),
            Some(Scope::Read),
            &[200],
        ),
        // The task has rejected no row (or is not validated yet).
        route(
            Method::GET,
            &format!("/api/ingest/tasks/{task_id}/rejected"),
            Some(Scope::Read),
            &[200, 404],
        ),
        route(Method::GET, "/api/datasources", Some(Scope::Read), &[200]),
        route(
            Method::GET,
            "/api/datasources/auth_matrix",
            Some(Scope::Read),
            &[200, 404],
        ),
        route(
            Method::GET,
            "/api/datasources/auth_matrix/timeseries",
            Some(Scope::Read),
            &[200, 404],
        ),
        route(Method::GET, "/api/no/such/thing", Some(Scope::Read), &[404]),
        route(Method::GET, "/metrics", Some(Scope::Read), &[200]),
        route(
            Method::POST,
            "/api/ingest/upload",
            Some(Scope::Write),
            &[202],
        ),
        // A preview stores nothing but takes any file and parses it: the
        // upload's scope, not a viewer's.
        route(
            Method::POST,
            "/api/ingest/preview",
            Some(Scope::Write),
            &[200],
        ),
        route(
            Method::POST,
            &format!("/api/ingest/tasks/{task_id}/cancel"),
            Some(Scope::Write),
            &[200, 409],
        ),
        route(
            Method::POST,
            &format!("/api/ingest/tasks/{task_id}/retry"),
            Some(Scope::Write),
            &[202, 409],
        ),
        route(Method::GET, "/api/tokens", Some(Scope::Admin), &[200]),
        route(Method::POST, "/api/tokens", Some(Scope::Admin), &[201, 409]),
        route(
            Method::DELETE,
            "/api/tokens/victim",
            Some(Scope::Admin),
            &[200],
        ),
        route(
            Method::POST,
            &format!("/api/ingest/tasks/{task_id}/confirm"),
            Some(Scope::Write),
            &[409],
        ),
        // Last: the upload above may still be queued (409); else 204, then 404.
        route(
            Method::DELETE,
            "/api/datasources/auth_matrix",
            Some(Scope::Write),
            &[204, 404, 409],
        ),
    ]
}

async fn send(
    app: &TestApp,
    tokens: &Tokens,
    route: &Route,
    credential: Credential,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(route.method.clone(), format!("{}{}", app.url, route.path));
    if route.path == "/api/ingest/upload" || route.path == "/api/ingest/preview" {
        request = request.multipart(upload_form());
    }
    if route.method == Method::POST && route.path == "/api/tokens" {
        request = request.json(&serde_json::json!({ "name": "made-by-matrix", "scope": "read" }));
    }
    tokens
        .apply(request, credential)
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn every_route_answers_each_credential_as_its_scope_says() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let first = app.ingest("data.csv", data_csv(), "auth_matrix").await;
    let tokens = Tokens::create(&app).await;
    token(&app, "victim", Scope::Read, None).await;
    let task_id = first.task_id.to_string();
    use Credential as C;
    let credentials = [
        C::None,
        C::Read,
        C::Write,
        C::Admin,
        C::Revoked,
        C::Expired,
        C::Unknown,
        C::Malformed,
    ];
    for route in routes(&task_id) {
        for credential in credentials {
            let scope = match credential {
                C::Read => Some(Scope::Read),
                C::Write => Some(Scope::Write),
                C::Admin => Some(Scope::Admin),
                _ => None,
            };
            let response = send(&app, &tokens, &route, credential).await;
            let status = response.status().as_u16();
            let case = format!("{} {} with {credential:?}", route.method, route.path);
            match (route.scope, scope) {
                (None, _) => assert!(route.allowed.contains(&status), "{case}: {status}"),
                (Some(_), None) => {
                    let challenge = response.headers().get("www-authenticate").cloned();
                    let body = assert_error(response, 401, "unauthorized").await;
                    assert_eq!(
                        challenge.as_ref().map(|v| v.as_bytes()),
                        Some(&b"Bearer"[..]),
                        "{case}"
                    );
                    assert!(
                        body["error"]["details"]["hint"].is_string(),
                        "{case}: {body}"
                    );
                }
                (Some(needed), Some(have)) if !have.allows(needed) => {
                    let body = assert_error(response, 403, "forbidden").await;
                    assert_eq!(
                        body["error"]["details"]["required_scope"],
                        needed.as_str(),
                        "{case}"
                    );
                    assert_eq!(
                        body["error"]["details"]["token_scope"],
                        have.as_str(),
                        "{case}"
                    );
                    assert!(body["error"]["details"]["hint"].is_string(), "{case}");
                }
                (Some(_), Some(_)) => {
                    assert!(
                        route.allowed.contains(&status),
                        "{case}: {status} {:?}",
                        response.text().await
                    )
                }
            }
        }
    }
}

#[tokio::test]
async fn an_admin_manages_tokens_over_the_api() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let admin = token(&app, "boss", Scope::Admin, None).await;
    let as_admin = |method: Method, path: &str| {
        bearer(
            app.client.request(method, format!("{}{path}", app.url)),
            &admin,
        )
    };
    let created = as_admin(Method::POST, "/api/tokens")
        .json(&serde_json::json!({ "name": "ci", "scope": "write", "expires": "90d" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("JSON");
    let secret = created["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert!(secret.starts_with("ing_"), "{created}");
    assert_eq!(created["token"]["scope"], "write");
    assert!(created["token"]["expires_at"].is_string(), "{created}");
    let id = created["token"]["id"].as_str().expect("id").to_owned();

    // The new token works at once, with its scope.
    let whoami = bearer(
        app.client.get(format!("{}/api/auth/whoami", app.url)),
        &secret,
    )
    .send()
    .await
    .expect("sent");
    let whoami: Value = whoami.json().await.expect("JSON");
    assert_eq!(
        (&whoami["name"], &whoami["scope"]),
        (&"ci".into(), &"write".into())
    );
    let listing = bearer(app.client.get(format!("{}/api/tokens", app.url)), &secret)
        .send()
        .await
        .expect("sent");
    assert_error(listing, 403, "forbidden").await;

    // The list never shows a secret.
    let list = as_admin(Method::GET, "/api/tokens")
        .send()
        .await
        .expect("sent");
    let text = list.text().await.expect("body");
    assert!(text.contains("\"ci\"") && !text.contains(&secret), "{text}");

    // Same name again: 409; bad fields: 422 naming the field.
    let again = as_admin(Method::POST, "/api/tokens")
        .json(&serde_json::json!({ "name": "ci", "scope": "read" }))
        .send()
        .await
        .expect("sent");
    assert_error(again, 409, "token_name_taken").await;
    for (body, field) in [
        (
            serde_json::json!({ "name": "ok", "scope": "root" }),
            "scope",
        ),
        (
            serde_json::json!({ "name": "9lives", "scope": "read" }),
            "name",
        ),
        (
            serde_json::json!({ "name": "ok", "scope": "read", "expires": "soon" }),
            "expires",
        ),
    ] {
        let refused = as_admin(Method::POST, "/api/tokens")
            .json(&body)
            .send()
            .await
            .expect("sent");
        let error = assert_error(refused, 422, "invalid_field").await;
        assert_eq!(error["error"]["details"]["field"], field, "{error}");
    }
    let not_json = as_admin(Method::POST, "/api/tokens")
        .body("name=x")
        .send()
        .await
        .expect("sent");
    assert_error(not_json, 415, "not_json").await;

    // Revoked by id: it stops working at once.
    let revoked = as_admin(Method::DELETE, &format!("/api/tokens/{id}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status().as_u16(), 200);
    let revoked: Value = revoked.json().await.expect("JSON");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let refused = bearer(
        app.client.get(format!("{}/api/ingest/tasks", app.url)),
        &secret,
    )
    .send()
    .await
    .expect("sent");
    assert_error(refused, 401, "unauthorized").await;
    let missing = as_admin(Method::DELETE, "/api/tokens/nope")
        .send()
        .await
        .expect("sent");
    assert_error(missing, 404, "token_not_found").await;
}

#[tokio::test]
async fn with_no_token_on_loopback_everything_is_open() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let (status, me) = app.get_json("/api/auth/whoami").await;
    assert_eq!(status, 200);
    assert_eq!(
        me,
        serde_json::json!({"auth": "open", "name": null, "scope": "admin"})
    );
    let task = app.ingest("data.csv", data_csv(), "open_mode").await;
    assert_eq!(task.created_by, None, "nobody to name in the open mode");
    assert_eq!(app.get("/metrics").await.status().as_u16(), 200);
    let (_, health) = app.get_json("/api/health").await;
    assert!(
        health["checks"][0]["backend"].is_string(),
        "full health: {health}"
    );
}

#[tokio::test]
async fn a_token_created_while_the_server_runs_protects_it_at_once() {
    let app = TestApp::spawn(Backends::Embedded).await;
    assert_eq!(app.get("/api/ingest/tasks").await.status().as_u16(), 200);
    let secret = token(&app, "late", Scope::Read, None).await;
    assert_error(app.get("/api/ingest/tasks").await, 401, "unauthorized").await;
    let with = bearer(
        app.client.get(format!("{}/api/ingest/tasks", app.url)),
        &secret,
    );
    assert_eq!(with.send().await.expect("sent").status().as_u16(), 200);
    let me: Value = bearer(
        app.client.get(format!("{}/api/auth/whoami", app.url)),
        &secret,
    )
    .send()
    .await
    .expect("sent")
    .json()
    .await
    .expect("JSON");
    assert_eq!(
        me,
        serde_json::json!({"auth": "token", "name": "late", "scope": "read"})
    );
    let listed = app.state.tokens.list().await.expect("list");
    assert!(listed[0].last_used_at.is_some(), "use recorded: {listed:?}");
}

#[tokio::test]
async fn health_details_need_a_read_token_once_tokens_exist() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let secret = token(&app, "probe", Scope::Read, None).await;
    let (status, summary) = app.get_json("/api/health").await;
    assert_eq!(status, 200);
    let text = summary.to_string();
    assert!(
        summary["checks"][0]["name"].is_string() && summary["checks"][0]["ok"].is_boolean(),
        "{text}"
    );
    for hidden in ["backend", "error", "latency_ms", "sqlite", "hint"] {
        assert!(
            !text.contains(hidden),
            "{hidden} in the open summary: {text}"
        );
    }
    let full: Value = bearer(app.client.get(format!("{}/api/health", app.url)), &secret)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(full["checks"][0]["backend"], "sqlite", "{full}");
}

#[tokio::test]
async fn tasks_record_which_token_uploaded_cancelled_and_ran_them_again() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let writer = token(&app, "ci-writer", Scope::Write, None).await;
    let admin = token(&app, "ops", Scope::Admin, None).await;
    let response = bearer(
        app.client.post(format!("{}/api/ingest/upload", app.url)),
        &writer,
    )
    .multipart(upload_form())
    .send()
    .await
    .expect("sent");
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<Value>().await.expect("JSON")["task_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let post = |path: String, secret: &str| {
        bearer(app.client.post(format!("{}{path}", app.url)), secret).send()
    };
    assert_eq!(
        post(format!("/api/ingest/tasks/{id}/cancel"), &admin)
            .await
            .expect("sent")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        post(format!("/api/ingest/tasks/{id}/retry"), &writer)
            .await
            .expect("sent")
            .status()
            .as_u16(),
        202
    );
    let task = app
        .state
        .tasks
        .get(id.parse().expect("id"))
        .await
        .expect("get")
        .expect("task");
    assert_eq!(task.created_by.as_deref(), Some("ci-writer"));
    assert_eq!(task.cancelled_by.as_deref(), Some("ops"));
    assert_eq!(task.retried_by.as_deref(), Some("ci-writer"));
}

async fn task_count(app: &TestApp) -> u64 {
    app.state
        .tasks
        .list(&ingest_storage::TaskFilter::default())
        .await
        .expect("list")
        .total
}

#[tokio::test]
async fn other_sites_pages_cannot_change_anything() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let upload = |header: (&'static str, String)| {
        app.client
            .post(format!("{}/api/ingest/upload", app.url))
            .header(header.0, header.1)
            .multipart(upload_form())
            .send()
    };
    for refused in [
        ("origin", "http://evil.test".to_owned()),
        ("origin", "null".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
    ] {
        let response = upload(refused.clone()).await.expect("sent");
        assert_error(response, 403, "cross_origin_refused").await;
    }
    assert_eq!(task_count(&app).await, 0, "nothing was created");
    assert!(
        app.objects().list("").await.expect("list").is_empty(),
        "nothing was stored"
    );

    // The server's own page, a loopback dev server (open loopback mode), and
    // a same-origin fetch are accepted.
    for accepted in [
        ("origin", app.url.clone()),
        ("origin", "http://localhost:5173".to_owned()),
        ("sec-fetch-site", "same-origin".to_owned()),
    ] {
        assert_eq!(
            upload(accepted.clone())
                .await
                .expect("sent")
                .status()
                .as_u16(),
            202,
            "{accepted:?}"
        );
    }
    let id = app
        .state
        .tasks
        .list(&Default::default())
        .await
        .expect("list")
        .tasks[0]
        .task_id;
    for action in ["cancel", "retry", "confirm"] {
        let response = app
            .client
            .post(format!("{}/api/ingest/tasks/{id}/{action}", app.url))
            .header(ORIGIN, "http://evil.test")
            .send()
            .await
            .expect("sent");
        assert_error(response, 403, "cross_origin_refused").await;
    }
    let task = app.state.tasks.get(id).await.expect("get").expect("task");
    assert_eq!(
        task.status(),
        ingest_domain::TaskStatus::Queued,
        "not cancelled"
    );

    // Once a token exists, a loopback dev server is just another site.
    let writer = token(&app, "w", Scope::Write, None).await;
    let response = bearer(
        app.client.post(format!("{}/api/ingest/upload", app.url)),
        &writer,
    )
    .header(ORIGIN, "http://localhost:5173")
    .multipart(upload_form())
    .send()
    .await
    .expect("sent");
    assert_error(response, 403, "cross_origin_refused").await;
    assert_eq!(task_count(&app).await, 3);
}

#[tokio::test]
async fn allowed_origins_may_write_and_get_cors_answers() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.auth.allowed_origins = vec!["https://dash.example.test".into()];
    })
    .await;
    let writer = token(&app, "w", Scope::Write, None).await;
    let response = bearer(
        app.client.post(format!("{}/api/ingest/upload", app.url)),
        &writer,
    )
    .header(ORIGIN, "https://dash.example.test")
    .multipart(upload_form())
    .send()
    .await
    .expect("sent");
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://dash.example.test"[..])
    );
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/api/ingest/upload", app.url))
        .header(ORIGIN, "https://evil.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("sent");
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn an_open_server_answers_only_to_loopback_host_names() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for path in ["/", "/api/ingest/tasks", "/api/health"] {
        let response = app
            .client
            .get(format!("{}{path}", app.url))
            .header(HOST, "attacker.test")
            .send()
            .await
            .expect("sent");
        assert_error(response, 403, "host_not_allowed").await;
    }
    let response = app
        .client
        .get(format!("{}/api/ingest/tasks", app.url))
        .header(
            HOST,
            format!("localhost:{}", app.url.rsplit(':').next().expect("port")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);

    let public = TestApp::spawn_with(Backends::Embedded, |s| {
        s.auth.public_url = Some("https://ingest.example.test".into());
    })
    .await;
    let response = public
        .client
        .get(format!("{}/api/ingest/tasks", public.url))
        .header(HOST, "ingest.example.test")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status().as_u16(),
        200,
        "INGEST_PUBLIC_URL's host is answered"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for path in ["/", "/api/health", "/api/nope", "/api/docs"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            headers.get("x-content-type-options").map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{path}"
        );
        assert_eq!(
            headers.get("referrer-policy").map(|v| v.as_bytes()),
            Some(&b"no-referrer"[..]),
            "{path}"
        );
        assert_eq!(
            headers.get("x-frame-options").map(|v| v.as_bytes()),
            Some(&b"DENY"[..]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_non_loopback_listener_needs_a_token_or_an_explicit_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut open = settings(Backends::Embedded, dir.path());
    open.listen = "0.0.0.0:0".parse().expect("address");
    let error = Application::build(open.clone())
        .await
        .err()
        .expect("refuses to start");
    let message = error.to_string();
    assert!(
        message.contains("refusing to listen on 0.0.0.0:0 with no API token"),
        "{message}"
    );
    assert!(
        message.contains("INGEST_AUTH=off") && message.contains("INGEST_ADMIN_TOKEN"),
        "{message}"
    );

    let mut off = open.clone();
    off.auth.mode = AuthMode::Off;
    Application::build(off)
        .await
        .expect("INGEST_AUTH=off starts");

    let mut weak = open.clone();
    weak.auth.admin_token = Some("short".parse().expect("secret"));
    let error = Application::build(weak)
        .await
        .err()
        .expect("weak token refused");
    assert!(error.to_string().contains("at least 32"), "{error}");

    let admin = "x".repeat(40);
    let mut with_env = open.clone();
    with_env.auth.admin_token = Some(admin.parse().expect("secret"));
    let app = Application::build(with_env)
        .await
        .expect("INGEST_ADMIN_TOKEN starts");
    let port = app.address().port();
    let stop = app.stop_token();
    tokio::spawn(app.run(false));
    let client = reqwest::Client::new();
    let whoami = format!("http://127.0.0.1:{port}/api/auth/whoami");
    assert_error(
        client.get(&whoami).send().await.expect("sent"),
        401,
        "unauthorized",
    )
    .await;
    let me: Value = bearer(client.get(&whoami), &admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        me,
        serde_json::json!({"auth": "token", "name": "env-admin", "scope": "admin"})
    );
    stop.cancel();
}

/// The real binary, as people run it: `ingest token create`, then `serve`
/// with every log level on, then `ingest upload` with INGEST_TOKEN. The token
/// must appear on the creator's stdout and nowhere in any log.
#[tokio::test]
async fn tokens_never_reach_the_logs() {
    use std::io::{BufRead, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let ingest = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ingest"));
        command
            .args(args)
            .env("INGEST_DATA_DIR", dir.path())
            .env("INGEST_FRONTEND_DIR", dir.path().join("none"))
            .env("RUST_LOG", "trace")
            .env_remove("DATABASE_URL")
            .env_remove("S3_BUCKET")
            .env_remove("DRUID_URL")
            .env_remove("INGEST_TOKEN");
        command
    };
    let created = ingest(&["token", "create", "--name", "ci", "--scope", "write"])
        .output()
        .expect("token create runs");
    assert!(created.status.success(), "{created:?}");
    let secret = String::from_utf8(created.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    assert!(secret.starts_with("ing_"), "{secret}");
    let notice = String::from_utf8_lossy(&created.stderr).into_owned();
    assert!(
        notice.contains("cannot be shown again") && !notice.contains(&secret),
        "{notice}"
    );

    let mut server = ingest(&["serve"])
        .env("INGEST_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut stderr = server.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    // Kept open to the end: a closed pipe would fail the server's next print.
    let mut stdout = std::io::BufReader::new(server.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("listening line");
    let url = line.trim().rsplit(' ').next().expect("url").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let upload = tokio::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
        .args([
            "upload",
            "--no-wait",
            "--datasource",
            "logged",
            "--server",
            &url,
        ])
        .arg(crate::helpers::repo_root().join("data.csv"))
        .env("INGEST_TOKEN", &secret)
        .output()
        .await
        .expect("upload runs");
    assert!(upload.status.success(), "{upload:?}");
    let client = reqwest::Client::new();
    let tasks: Value = bearer(client.get(format!("{url}/api/ingest/tasks")), &secret)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(tasks["tasks"][0]["created_by"], "ci", "{tasks}");
    let wrong = format!("{secret}x");
    let refused = bearer(client.get(format!("{url}/api/ingest/tasks")), &wrong)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401);

    let listed = ingest(&["token", "list"])
        .output()
        .expect("token list runs");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("ci") && listed.contains("write"),
        "{listed}"
    );

    server.kill().expect("stop the server");
    server.wait().expect("server ends");
    drop(stdout);
    let logs = logs.join().expect("log reader");
    assert!(
        logs.contains("upload accepted"),
        "the logs were captured: {logs:.2000}"
    );
    let digest = ingest_storage::tokens::digest(&secret);
    for leak in [&secret, &wrong, &digest, &secret[4..20].to_owned()] {
        assert!(!logs.contains(leak.as_str()), "a secret is in the logs");
        assert!(
            !listed.contains(leak.as_str()),
            "a secret is in `token list`"
        );
    }
}
