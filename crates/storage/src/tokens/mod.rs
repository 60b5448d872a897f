//! API tokens, kept in the task database (migration 0002): a name, a scope,
//! the SHA-256 digest of the secret, and when it was created, expires, was
//! revoked and last used.

mod secret;
mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ingest_domain::{ApiToken, Scope, TokenName};

pub use secret::{digest, digests_match, TokenSecret, TOKEN_PREFIX};
pub use sql::{PostgresTokenStore, SqliteTokenStore};

use crate::Result;

/// A token to record: its secret is already reduced to a digest.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: TokenName,
    pub scope: Scope,
    pub digest: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Created(ApiToken),
    /// Another token (revoked or not) already has this name.
    NameTaken,
}

/// A token found by its digest, with the digest it was stored under.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub token: ApiToken,
    pub digest: String,
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn create(&self, token: &NewToken) -> Result<Created>;
    /// Every token, revoked and expired ones too, oldest first.
    async fn list(&self) -> Result<Vec<ApiToken>>;
    /// Revokes the named token at `at`; `None` when there is no such token.
    /// A revoked token stays revoked (the first time is kept).
    async fn revoke(&self, name: &TokenName, at: DateTime<Utc>) -> Result<Option<ApiToken>>;
    async fn find_by_digest(&self, digest: &str) -> Result<Option<StoredToken>>;
    /// Records a use at `at`.
    async fn touch(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Whether any token is not revoked (expired ones count: a token that
    /// runs out must not open the API).
    async fn any_active(&self) -> Result<bool>;
}
