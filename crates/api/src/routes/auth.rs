//! `GET /api/auth/whoami`: how the dashboard learns whether to ask for a
//! token and which actions to show.

use axum::Json;
use ingest_domain::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// No token is needed (loopback with no token configured, or INGEST_AUTH=off).
    Open,
    /// The request carried a valid token.
    Token,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    auth: AuthKind,
    /// The token's name; `null` when the API is open and no token was sent.
    name: Option<String>,
    /// What the caller may do: `admin` when the API is open.
    scope: Scope,
}

/// Who the API takes the caller for: the token's name and scope, or the open mode.
#[utoipa::path(
    get,
    path = "/api/auth/whoami",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "A token is required and none (or a bad, revoked or expired one) was sent", body = crate::error::ErrorBody)
    )
)]
pub async fn whoami(caller: Caller) -> Json<WhoAmI> {
    Json(WhoAmI {
        auth: if caller.open {
            AuthKind::Open
        } else {
            AuthKind::Token
        },
        name: caller.name.map(String::from),
        scope: caller.scope.unwrap_or(Scope::Read),
    })
}
