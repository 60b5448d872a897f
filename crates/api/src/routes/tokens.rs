//! Token management over the API (scope `admin`): the same store and rules
//! as `ingest token create|list|revoke`. A token's secret is answered once,
//! when it is created; only its digest is stored.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use ingest_domain::{parse_lifetime, ApiToken, Scope, TokenName};
use ingest_storage::tokens::{Created, NewToken, TokenSecret};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{error::ApiError, extract::Json, state::AppState};

/// What `POST /api/tokens` takes.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// A letter, then letters, digits, `_`, `-`, `.`; at most 64; unique
    /// (revoked tokens keep their name).
    name: String,
    /// `read`, `write` or `admin`.
    scope: String,
    /// A lifetime such as `90d`, `12h` or `30m`; never expires when omitted.
    expires: Option<String>,
}

/// A token's record: everything but its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    id: String,
    name: String,
    scope: Scope,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenInfo {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name.to_string(),
            scope: t.scope,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    token: TokenInfo,
    /// The token itself (`ing_…`), sent as `Authorization: Bearer …`. Shown
    /// this once: it cannot be read again.
    secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// Every token, revoked and expired ones too, oldest first.
    tokens: Vec<TokenInfo>,
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::unprocessable("invalid_field", message).with_details(json!({ "field": field }))
}

/// Create a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens", tag = "auth", operation_id = "create_token",
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedToken),
        (status = 400, description = "The body is not the JSON expected", body = crate::error::ErrorBody),
        (status = 403, description = "The caller's token is not `admin`", body = crate::error::ErrorBody),
        (status = 409, description = "`token_name_taken`: a token (perhaps revoked) has this name", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid name, scope or lifetime", body = crate::error::ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Json(request): Json<NewTokenRequest>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), ApiError> {
    let name = TokenName::parse(&request.name).map_err(|e| invalid("name", e.to_string()))?;
    let scope: Scope = request
        .scope
        .parse()
        .map_err(|e: ingest_domain::UnknownValue| invalid("scope", e.to_string()))?;
    let now = Utc::now();
    let lifetime = request.expires.as_deref().map(parse_lifetime).transpose();
    let expires_at = lifetime
        .map_err(|e| invalid("expires", e.to_string()))?
        .map(|l| now + l);
    let secret = TokenSecret::generate().map_err(ApiError::internal)?;
    let new = NewToken {
        name,
        scope,
        digest: secret.digest(),
        created_at: now,
        expires_at,
    };
    match state.tokens.create(&new).await? {
        Created::NameTaken => Err(ApiError::conflict(
            "token_name_taken",
            format!(
                "a token named {} already exists (revoked ones keep their name); pick another name",
                new.name
            ),
        )),
        Created::Created(token) => {
            tracing::info!(name = %token.name, scope = %token.scope, "token created over the API");
            let created = CreatedToken {
                token: token.into(),
                secret: secret.expose().to_owned(),
            };
            Ok((StatusCode::CREATED, axum::Json(created)))
        }
    }
}

/// Every token, without secrets.
#[utoipa::path(get, path = "/api/tokens", tag = "auth", operation_id = "list_tokens",
    responses(
        (status = 200, description = "The tokens", body = TokenList),
        (status = 403, description = "The caller's token is not `admin`", body = crate::error::ErrorBody)
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<axum::Json<TokenList>, ApiError> {
    let tokens = state.tokens.list().await?;
    Ok(axum::Json(TokenList {
        tokens: tokens.into_iter().map(TokenInfo::from).collect(),
    }))
}

/// Revoke a token: it stops working at once and keeps its name.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "auth", operation_id = "revoke_token",
    params(("id" = String, Path, description = "The token's id (or its name)")),
    responses(
        (status = 200, description = "Revoked (revoking again changes nothing)", body = TokenInfo),
        (status = 403, description = "The caller's token is not `admin`", body = crate::error::ErrorBody),
        (status = 404, description = "No such token", body = crate::error::ErrorBody)
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<TokenInfo>, ApiError> {
    let not_found = || {
        ApiError::not_found("token_not_found", "there is no token with this id")
            .with_details(json!({ "id": id }))
    };
    // Tokens are few: the store revokes by name, found here by id.
    let name = state
        .tokens
        .list()
        .await?
        .into_iter()
        .find(|t| t.id == id || t.name.as_str() == id)
        .map(|t| t.name)
        .ok_or_else(not_found)?;
    let revoked = state
        .tokens
        .revoke(&name, Utc::now())
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(name = %revoked.name, "token revoked over the API");
    Ok(axum::Json(revoked.into()))
}
