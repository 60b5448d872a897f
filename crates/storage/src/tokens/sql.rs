//! The token store on SQLite and Postgres. The table is plain text and
//! integers in both dialects, so every statement is written once; a macro
//! stamps the same implementation onto each pool type.

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use ingest_domain::{ApiToken, TokenName};
use sqlx::{PgPool, Row, SqlitePool};

use super::{Created, NewToken, StoredToken, TokenStore};
use crate::{Result, StorageError};

const COLUMNS: &str = "id, name, scope, digest, created_at, expires_at, revoked_at, last_used_at";
const INSERT: &str = "INSERT INTO api_tokens (id, name, scope, digest, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
const REVOKE: &str = "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE name = $2";
const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";
const ACTIVE: &str = "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL";

fn at_millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

struct RawToken {
    id: String,
    name: String,
    scope: String,
    digest: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl RawToken {
    fn into_stored(self) -> Result<StoredToken> {
        let corrupt = |reason: String| StorageError::CorruptTask {
            id: format!("token {}", self.id),
            reason,
        };
        let name = TokenName::try_from(self.name.clone()).map_err(|e| corrupt(e.to_string()))?;
        let scope = self
            .scope
            .parse()
            .map_err(|e: ingest_domain::UnknownValue| corrupt(e.to_string()))?;
        let created_at =
            at_millis(self.created_at).ok_or_else(|| corrupt("created_at out of range".into()))?;
        Ok(StoredToken {
            token: ApiToken {
                id: self.id.clone(),
                name,
                scope,
                created_at,
                expires_at: self.expires_at.and_then(at_millis),
                revoked_at: self.revoked_at.and_then(at_millis),
                last_used_at: self.last_used_at.and_then(at_millis),
            },
            digest: self.digest,
        })
    }
}

macro_rules! decode_row {
    ($row:expr) => {{
        let row = $row;
        let get = |e| StorageError::db("decode token row")(e);
        RawToken {
            id: row.try_get("id").map_err(get)?,
            name: row.try_get("name").map_err(get)?,
            scope: row.try_get("scope").map_err(get)?,
            digest: row.try_get("digest").map_err(get)?,
            created_at: row.try_get("created_at").map_err(get)?,
            expires_at: row.try_get("expires_at").map_err(get)?,
            revoked_at: row.try_get("revoked_at").map_err(get)?,
            last_used_at: row.try_get("last_used_at").map_err(get)?,
        }
        .into_stored()
    }};
}

macro_rules! token_store {
    ($store:ident) => {
        impl $store {
            async fn by(&self, column: &str, value: &str) -> Result<Option<StoredToken>> {
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM api_tokens WHERE {column} = $1"
                ))
                .bind(value.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(StorageError::db("load token"))?;
                row.map(|row| decode_row!(&row)).transpose()
            }
        }

        #[async_trait]
        impl TokenStore for $store {
            async fn create(&self, token: &NewToken) -> Result<Created> {
                let id = uuid::Uuid::now_v7().to_string();
                let inserted = sqlx::query(INSERT)
                    .bind(id.clone())
                    .bind(token.name.as_str().to_owned())
                    .bind(token.scope.as_str().to_owned())
                    .bind(token.digest.clone())
                    .bind(token.created_at.timestamp_millis())
                    .bind(token.expires_at.map(|at| at.timestamp_millis()))
                    .execute(&self.pool)
                    .await;
                match inserted {
                    Ok(_) => {}
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Ok(Created::NameTaken)
                    }
                    Err(e) => return Err(StorageError::db("insert token")(e)),
                }
                let stored =
                    self.by("id", &id)
                        .await?
                        .ok_or_else(|| StorageError::CorruptTask {
                            id: format!("token {id}"),
                            reason: "not found right after insert".into(),
                        })?;
                Ok(Created::Created(stored.token))
            }

            async fn list(&self) -> Result<Vec<ApiToken>> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, name"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(StorageError::db("list tokens"))?;
                rows.iter()
                    .map(|row| decode_row!(row).map(|stored| stored.token))
                    .collect()
            }

            async fn revoke(
                &self,
                name: &TokenName,
                at: DateTime<Utc>,
            ) -> Result<Option<ApiToken>> {
                sqlx::query(REVOKE)
                    .bind(at.timestamp_millis())
                    .bind(name.as_str().to_owned())
                    .execute(&self.pool)
                    .await
                    .map_err(StorageError::db("revoke token"))?;
                Ok(self
                    .by("name", name.as_str())
                    .await?
                    .map(|stored| stored.token))
            }

            async fn find_by_digest(&self, digest: &str) -> Result<Option<StoredToken>> {
                self.by("digest", digest).await
            }

            async fn touch(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
                sqlx::query(TOUCH)
                    .bind(at.timestamp_millis())
                    .bind(id.to_owned())
                    .execute(&self.pool)
                    .await
                    .map_err(StorageError::db("record token use"))?;
                Ok(())
            }

            async fn any_active(&self) -> Result<bool> {
                let (count,): (i64,) = sqlx::query_as(ACTIVE)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StorageError::db("count tokens"))?;
                Ok(count > 0)
            }
        }
    };
}

/// Tokens in the SQLite task database.
pub struct SqliteTokenStore {
    pool: SqlitePool,
}

impl SqliteTokenStore {
    /// Opens (creating if needed) the database at `url` and brings the schema
    /// up to date, like the task store does.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, crate::DbTimeouts::default()).await
    }

    /// `connect`, with these bounds on every call.
    pub async fn connect_with(url: &str, timeouts: crate::DbTimeouts) -> Result<Self> {
        let pool = crate::db::open_sqlite(url, 2, timeouts).await?;
        Ok(Self { pool })
    }
}

token_store!(SqliteTokenStore);

/// Tokens in the Postgres task database.
pub struct PostgresTokenStore {
    pool: PgPool,
}

impl PostgresTokenStore {
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, crate::DbTimeouts::default()).await
    }

    /// `connect`, with these bounds on every call.
    pub async fn connect_with(url: &str, timeouts: crate::DbTimeouts) -> Result<Self> {
        let pool = crate::db::open_postgres(url, 4, timeouts).await?;
        Ok(Self { pool })
    }
}

token_store!(PostgresTokenStore);
