//! The middleware in front of every route: `Host`, then `Origin`, then the
//! token and the scope the route needs. What it learns goes into the
//! request as a `Caller`.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ingest_domain::Scope;
use serde_json::json;

use super::{forbidden, unauthorized, Auth, Caller};
use crate::error::ApiError;

/// The scope a request needs, by method and path; `None` for the open
/// routes: liveness, the health summary, the API description and the
/// dashboard's files. `/metrics` is read like the API.
pub fn required_scope(method: &Method, path: &str) -> Option<Scope> {
    let open = path == "/"
        || path == "/api/health"
        || path == "/api/openapi.json"
        || path == "/api/docs"
        || path.starts_with("/api/docs/");
    let api = path == "/api" || path.starts_with("/api/") || path == "/metrics";
    if open || !api {
        return None;
    }
    if path == "/api/tokens" || path.starts_with("/api/tokens/") {
        // Token management, reading the list included.
        Some(Scope::Admin)
    } else if is_safe(method) {
        Some(Scope::Read)
    } else {
        Some(Scope::Write)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The bearer token of a request: `Ok(None)` without one, `Err` when the
/// header is there but is not `Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || unauthorized("the Authorization header is not `Bearer <token>`");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(malformed());
    }
    Ok(Some(token))
}

/// What the guard reads of a request. (`Request` itself is not `Sync`, so
/// it cannot be held across the token lookup.)
struct Seen<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
}

fn request_host<'a>(request: &Seen<'a>) -> Option<&'a str> {
    request
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri.authority().map(|a| a.as_str()))
}

/// Refuses state changes from other sites' pages. Browsers send `Origin` (or
/// at least `Sec-Fetch-Site`) with them; curl and the CLI send neither.
fn check_origin(auth: &Auth, request: &Seen<'_>, open: bool) -> Result<(), ApiError> {
    if is_safe(request.method) {
        return Ok(());
    }
    let headers = request.headers;
    let refuse = |from: &str| {
        ApiError::forbidden(
            "cross_origin_refused",
            format!("changes are only accepted from this server's own pages, not from {from}"),
        )
        .with_details(json!({
            "origin": from,
            "hint": "Use the dashboard served by this server, or add the page's origin to INGEST_ALLOWED_ORIGINS.",
        }))
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("(not text)");
        return if auth.origins().origin_allowed(
            origin,
            request_host(request),
            auth.open_loopback(open),
        ) {
            Ok(())
        } else {
            Err(refuse(origin))
        };
    }
    match headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None | Some("same-origin") | Some("none") => Ok(()),
        Some(other) => Err(refuse(&format!("a {other} page"))),
    }
}

/// Keeps DNS rebinding away from an open API: it only answers to loopback
/// names and INGEST_PUBLIC_URL's host.
fn check_host(auth: &Auth, request: &Seen<'_>) -> Result<(), ApiError> {
    let host = request_host(request);
    if host.is_some_and(|host| auth.origins().host_allowed(host)) {
        return Ok(());
    }
    let host = host.unwrap_or("(none)");
    Err(ApiError::forbidden(
        "host_not_allowed",
        format!("this server does not answer to the host name {host}"),
    )
    .with_details(json!({
        "host": host,
        "hint": "Without a token the API only answers to localhost and loopback addresses; set INGEST_PUBLIC_URL to the URL people use, or create a token.",
    })))
}

pub async fn guard(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let seen = Seen {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
    };
    match admit(&auth, &seen).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn admit(auth: &Auth, request: &Seen<'_>) -> Result<Caller, ApiError> {
    let required = required_scope(request.method, request.uri.path());
    let open = auth.is_open().await;
    let is_open = matches!(open, Ok(true));
    if is_open {
        check_host(auth, request)?;
    }
    check_origin(auth, request, is_open)?;
    let credential = bearer(request.headers);
    let caller = match open {
        // Open: a valid token still names who acted; anything else is ignored.
        Ok(true) => {
            let named = match credential {
                Ok(Some(token)) => auth.authenticate(Some(token)).await.ok(),
                _ => None,
            };
            Ok(Caller::open(named.and_then(|c| c.name)))
        }
        Ok(false) => match credential {
            Ok(token) => auth.authenticate(token).await,
            Err(malformed) => Err(malformed),
        },
        Err(store) => Err(ApiError::from(store)),
    };
    match (required, caller) {
        (None, caller) => Ok(caller.unwrap_or_else(|_| Caller::anonymous())),
        (Some(_), Err(error)) => Err(error),
        (Some(scope), Ok(caller)) if !caller.may(scope) => Err(forbidden(scope, &caller)),
        (Some(_), Ok(caller)) => Ok(caller),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_right_scope() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(required_scope(&get, "/"), None);
        assert_eq!(required_scope(&get, "/api/health"), None);
        assert_eq!(required_scope(&get, "/api/openapi.json"), None);
        assert_eq!(required_scope(&get, "/api/docs"), None);
        assert_eq!(required_scope(&get, "/assets/index.js"), None);
        assert_eq!(required_scope(&get, "/tasks/123"), None);
        assert_eq!(required_scope(&get, "/api/ingest/tasks"), Some(Scope::Read));
        assert_eq!(required_scope(&get, "/api/auth/whoami"), Some(Scope::Read));
        assert_eq!(required_scope(&get, "/api/nope"), Some(Scope::Read));
        assert_eq!(required_scope(&get, "/api/healthz"), Some(Scope::Read));
        assert_eq!(required_scope(&get, "/metrics"), Some(Scope::Read));
        assert_eq!(required_scope(&get, "/api/tokens"), Some(Scope::Admin));
        assert_eq!(
            required_scope(&Method::DELETE, "/api/tokens/t1"),
            Some(Scope::Admin)
        );
        assert_eq!(
            required_scope(&post, "/api/ingest/upload"),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/api/x"),
            Some(Scope::Write)
        );
    }

    #[test]
    fn bearer_headers_are_parsed() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
            headers
        };
        assert_eq!(bearer(&HeaderMap::new()).ok(), Some(None));
        assert_eq!(bearer(&with("Bearer ing_abc")).ok(), Some(Some("ing_abc")));
        assert_eq!(
            bearer(&with("bearer  ing_abc ")).ok(),
            Some(Some("ing_abc"))
        );
        for bad in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "ing_abc",
            "Bearer a b",
        ] {
            assert!(bearer(&with(bad)).is_err(), "{bad}");
        }
    }
}
