//! Who is calling, and may they? Tokens from the database (or one from
//! `INGEST_ADMIN_TOKEN`), the open loopback mode, and the checks that keep
//! other web pages out: `Host` (DNS rebinding) and `Origin` (cross-site writes).
//! `guard` applies them to every request; handlers read the `Caller`.

mod guard;
mod origin;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Utc;
use ingest_domain::{Scope, TokenName, TokenUnusable};
use ingest_storage::{tokens, TokenStore};
use serde_json::json;

pub use guard::{guard, required_scope};
pub use origin::{Allowed, Origin};

use crate::{
    config::{AuthMode, AuthSettings},
    error::ApiError,
};

/// How long "a token exists" is remembered. Only that answer is cached: a
/// token created while the server runs protects it on the next request.
const CONFIGURED_CACHE: Duration = Duration::from_secs(3);
/// A token's `last_used_at` is written at most this often.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// Shortest `INGEST_ADMIN_TOKEN` we accept.
const MIN_ADMIN_TOKEN_LEN: usize = 32;

const TOKEN_HINT: &str = "Send `Authorization: Bearer <token>`; an admin creates one with `ingest token create --name NAME --scope read|write|admin`.";

/// The settings that make no sense, said before the server starts.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("refusing to listen on {addr} with no API token: anyone who can reach it could upload, replace datasources and cancel tasks. Create a token first (`ingest token create --name admin --scope admin`), or set INGEST_ADMIN_TOKEN, or set INGEST_AUTH=off to serve an open API on purpose")]
    Unprotected { addr: SocketAddr },
    #[error("INGEST_ADMIN_TOKEN is {len} characters long; use at least {MIN_ADMIN_TOKEN_LEN} random characters (e.g. `openssl rand -hex 32`)")]
    WeakAdminToken { len: usize },
    #[error("{0}")]
    BadOrigin(String),
    #[error("cannot check for API tokens in the database")]
    Store(#[source] ingest_storage::StorageError),
}

/// Who made a request, as far as the API is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The API is open (no token needed).
    pub open: bool,
    /// The token's name, when a valid one was sent.
    pub name: Option<TokenName>,
    /// What the caller may do; `None` when it may only use open routes.
    pub scope: Option<Scope>,
}

impl Caller {
    fn open(name: Option<TokenName>) -> Self {
        Self {
            open: true,
            name,
            scope: Some(Scope::Admin),
        }
    }

    fn token(name: TokenName, scope: Scope) -> Self {
        Self {
            open: false,
            name: Some(name),
            scope: Some(scope),
        }
    }

    /// No valid token and the API is not open: open routes only.
    pub fn anonymous() -> Self {
        Self {
            open: false,
            name: None,
            scope: None,
        }
    }

    pub fn may(&self, required: Scope) -> bool {
        self.scope.is_some_and(|scope| scope.allows(required))
    }

    /// The name recorded on what this caller changes.
    pub fn actor(&self) -> Option<&str> {
        self.name.as_ref().map(TokenName::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::internal("the auth guard did not run for this route"))
    }
}

/// The API's access rules, built once from the settings.
pub struct Auth {
    tokens: Arc<dyn TokenStore>,
    mode: AuthMode,
    env_admin_digest: Option<String>,
    /// The server listens on a loopback address only.
    loopback: bool,
    origins: origin::Allowed,
    configured: Mutex<Option<Instant>>,
}

impl Auth {
    pub fn new(
        tokens: Arc<dyn TokenStore>,
        settings: &AuthSettings,
        listen: SocketAddr,
    ) -> Result<Self, AuthConfigError> {
        let env_admin_digest = match settings.admin_token.as_ref().map(|t| t.expose().trim()) {
            None | Some("") => None,
            Some(token) if token.chars().count() < MIN_ADMIN_TOKEN_LEN => {
                return Err(AuthConfigError::WeakAdminToken {
                    len: token.chars().count(),
                })
            }
            Some(token) => Some(tokens::digest(token)),
        };
        Ok(Self {
            tokens,
            mode: settings.mode,
            env_admin_digest,
            loopback: listen.ip().is_loopback(),
            origins: origin::Allowed::new(
                &settings.allowed_origins,
                settings.public_url.as_deref(),
            )
            .map_err(AuthConfigError::BadOrigin)?,
            configured: Mutex::new(None),
        })
    }

    /// Refuses to serve an open API on a non-loopback address unless asked to.
    pub async fn check_startup(&self, listen: SocketAddr) -> Result<(), AuthConfigError> {
        if self.mode == AuthMode::Off {
            tracing::warn!(
                address = %listen,
                "INGEST_AUTH=off: THE API IS OPEN. Anyone who can reach {listen} can upload, replace datasources and cancel tasks without a token; only Host names that are loopback or INGEST_PUBLIC_URL's are answered"
            );
            return Ok(());
        }
        if self.loopback || self.env_admin_digest.is_some() {
            return Ok(());
        }
        let configured = self
            .tokens
            .any_active()
            .await
            .map_err(AuthConfigError::Store)?;
        if configured {
            Ok(())
        } else {
            Err(AuthConfigError::Unprotected { addr: listen })
        }
    }

    /// Whether requests need no token right now: `INGEST_AUTH=off`, or a
    /// loopback listener with no token configured.
    pub async fn is_open(&self) -> Result<bool, ingest_storage::StorageError> {
        if self.mode == AuthMode::Off {
            return Ok(true);
        }
        if !self.loopback || self.env_admin_digest.is_some() {
            return Ok(false);
        }
        Ok(!self.token_configured().await?)
    }

    async fn token_configured(&self) -> Result<bool, ingest_storage::StorageError> {
        let fresh = |seen: &Option<Instant>| seen.is_some_and(|at| at.elapsed() < CONFIGURED_CACHE);
        if self.configured.lock().is_ok_and(|seen| fresh(&seen)) {
            return Ok(true);
        }
        let configured = self.tokens.any_active().await?;
        if let Ok(mut seen) = self.configured.lock() {
            *seen = configured.then(Instant::now);
        }
        Ok(configured)
    }

    /// The open mode on a loopback listener, where loopback origins (a dev
    /// server on another port) may write too.
    fn open_loopback(&self, open: bool) -> bool {
        open && self.loopback
    }

    pub fn origins(&self) -> &Allowed {
        &self.origins
    }

    /// The caller a bearer token stands for, or the 401 to answer.
    pub async fn authenticate(&self, credential: Option<&str>) -> Result<Caller, ApiError> {
        let Some(token) = credential else {
            return Err(unauthorized("this API needs a token"));
        };
        let digest = tokens::digest(token);
        if let Some(env) = &self.env_admin_digest {
            if tokens::digests_match(&digest, env) {
                return Ok(Caller::token(TokenName::env_admin(), Scope::Admin));
            }
        }
        // Found by digest (an index lookup), then compared in constant time:
        // the digest of a 256-bit secret leaks nothing useful through timing.
        let stored = self.tokens.find_by_digest(&digest).await?;
        let Some(stored) = stored.filter(|s| tokens::digests_match(&s.digest, &digest)) else {
            return Err(unauthorized("the token is not known to this server"));
        };
        let now = Utc::now();
        match stored.token.check_usable(now) {
            Ok(()) => {}
            Err(TokenUnusable::Revoked) => {
                return Err(unauthorized(&format!(
                    "the token {} was revoked",
                    stored.token.name
                )))
            }
            Err(TokenUnusable::Expired) => {
                return Err(unauthorized(&format!(
                    "the token {} has expired",
                    stored.token.name
                )))
            }
        }
        if stored
            .token
            .last_used_at
            .is_none_or(|at| now - at > TOUCH_EVERY)
        {
            if let Err(error) = self.tokens.touch(&stored.token.id, now).await {
                tracing::warn!(token = %stored.token.name, error = %crate::error::error_chain(&error), "could not record a token's use");
            }
        }
        Ok(Caller::token(stored.token.name, stored.token.scope))
    }
}

/// 401 in our error shape, with the hint every client needs.
pub fn unauthorized(message: &str) -> ApiError {
    ApiError::unauthorized(message).with_details(json!({ "hint": TOKEN_HINT }))
}

/// 403: a valid token without the scope the route needs.
pub fn forbidden(required: Scope, caller: &Caller) -> ApiError {
    let have = caller.scope.map(Scope::as_str);
    ApiError::forbidden(
        "forbidden",
        format!(
            "this needs a token with scope {required}; this token has scope {}",
            have.unwrap_or("none")
        ),
    )
    .with_details(json!({
        "required_scope": required,
        "token_scope": have,
        "hint": format!("Use a token with scope {required} or higher (read < write < admin)."),
    }))
}
