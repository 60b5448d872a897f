//! The token store contract, run on SQLite and Postgres.

use std::sync::Arc;

use chrono::{Duration, DurationRound, Utc};
use ingest_domain::{Scope, TokenName, TokenUnusable};
use ingest_storage::{
    tokens::{digest, Created, NewToken, TokenSecret},
    PostgresTokenStore, SqliteTokenStore, TokenStore,
};

async fn sqlite() -> (Arc<dyn TokenStore>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tasks.db").display());
    (
        Arc::new(SqliteTokenStore::connect(&url).await.expect("open")),
        Some(dir),
    )
}

async fn postgres() -> (Arc<dyn TokenStore>, Option<tempfile::TempDir>) {
    let url = super::fresh_postgres_url().await;
    (
        Arc::new(PostgresTokenStore::connect(&url).await.expect("open")),
        None,
    )
}

fn name(raw: &str) -> TokenName {
    TokenName::parse(raw).expect("name")
}

/// Times as the store keeps them (milliseconds).
fn now() -> chrono::DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::milliseconds(1))
        .expect("truncate")
}

fn new_token(raw: &str, scope: Scope, secret: &TokenSecret) -> NewToken {
    NewToken {
        name: name(raw),
        scope,
        digest: secret.digest(),
        created_at: now(),
        expires_at: None,
    }
}

async fn created_tokens_are_found_by_digest_only(store: Arc<dyn TokenStore>) {
    assert!(!store.any_active().await.expect("active"), "empty at first");
    let secret = TokenSecret::generate().expect("randomness");
    let mut wanted = new_token("ci", Scope::Write, &secret);
    wanted.expires_at = Some(now() + Duration::days(90));
    let Created::Created(token) = store.create(&wanted).await.expect("create") else {
        panic!("created");
    };
    assert_eq!((token.name.as_str(), token.scope), ("ci", Scope::Write));
    assert_eq!(token.created_at, wanted.created_at);
    assert_eq!(token.expires_at, wanted.expires_at);
    assert_eq!((token.revoked_at, token.last_used_at), (None, None));
    assert!(store.any_active().await.expect("active"));

    let found = store
        .find_by_digest(&digest(secret.expose()))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.token, token);
    assert_eq!(found.digest, secret.digest());
    assert!(
        store
            .find_by_digest(secret.expose())
            .await
            .expect("find")
            .is_none(),
        "the secret itself is not stored"
    );
    let other = TokenSecret::generate().expect("randomness");
    assert!(store
        .find_by_digest(&other.digest())
        .await
        .expect("find")
        .is_none());

    let used = now();
    store.touch(&token.id, used).await.expect("touch");
    let listed = store.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(used));
}

async fn names_are_unique_even_after_revocation(store: Arc<dyn TokenStore>) {
    let one = TokenSecret::generate().expect("randomness");
    let two = TokenSecret::generate().expect("randomness");
    assert!(matches!(
        store
            .create(&new_token("dup", Scope::Read, &one))
            .await
            .expect("create"),
        Created::Created(_)
    ));
    assert_eq!(
        store
            .create(&new_token("dup", Scope::Admin, &two))
            .await
            .expect("create"),
        Created::NameTaken
    );
    let at = now();
    let revoked = store
        .revoke(&name("dup"), at)
        .await
        .expect("revoke")
        .expect("known");
    assert_eq!(revoked.revoked_at, Some(at));
    assert_eq!(
        revoked.check_usable(Utc::now()),
        Err(TokenUnusable::Revoked)
    );
    assert!(
        !store.any_active().await.expect("active"),
        "a revoked token does not count"
    );
    let again = store
        .revoke(&name("dup"), at + Duration::hours(1))
        .await
        .expect("revoke")
        .expect("known");
    assert_eq!(again.revoked_at, Some(at), "the first revocation is kept");
    assert_eq!(
        store
            .create(&new_token("dup", Scope::Read, &two))
            .await
            .expect("create"),
        Created::NameTaken
    );
    assert!(store
        .revoke(&name("nobody"), at)
        .await
        .expect("revoke")
        .is_none());
}

async fn expired_tokens_still_count_as_configured(store: Arc<dyn TokenStore>) {
    let secret = TokenSecret::generate().expect("randomness");
    let mut old = new_token("old", Scope::Admin, &secret);
    old.expires_at = Some(now() - Duration::minutes(1));
    store.create(&old).await.expect("create");
    let found = store
        .find_by_digest(&secret.digest())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(
        found.token.check_usable(Utc::now()),
        Err(TokenUnusable::Expired)
    );
    assert!(
        store.any_active().await.expect("active"),
        "expiry must not open the API"
    );
    let b = TokenSecret::generate().expect("randomness");
    let a = TokenSecret::generate().expect("randomness");
    store
        .create(&new_token("b", Scope::Read, &b))
        .await
        .expect("create");
    store
        .create(&new_token("a", Scope::Read, &a))
        .await
        .expect("create");
    let names: Vec<String> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], "old", "oldest first");
}

macro_rules! token_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            token_contract!(@tests $make; created_tokens_are_found_by_digest_only,
                names_are_unique_even_after_revocation,
                expired_tokens_still_count_as_configured);
        }
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (store, _dir) = $make.await;
                super::$name(store).await
            }
        )*
    };
}

token_contract!(tokens_sqlite, sqlite());
token_contract!(tokens_postgres, postgres());
