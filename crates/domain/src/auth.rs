//! API tokens: what a token may do (its scope), what it is called, and how
//! long it lives. The secret itself never reaches the domain: only its name
//! and scope travel with a request.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::UnknownValue;

/// What a token may do. Ordered: `admin` ⊃ `write` ⊃ `read`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Status, tasks, datasources, health details.
    Read,
    /// Read, plus upload, cancel and run again.
    Write,
    /// Write, plus token management.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Self::Read, Self::Write, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Whether a token with this scope may do what `required` guards.
    pub fn allows(self, required: Scope) -> bool {
        self >= required
    }
}

impl FromStr for Scope {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownValue {
                field: "scope",
                value: s.to_owned(),
                expected: "read, write, admin",
            })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest token name we accept.
pub const MAX_TOKEN_NAME_LEN: usize = 64;

/// The name under which a token from `INGEST_ADMIN_TOKEN` acts; no stored
/// token may take it, so a record always says which one acted.
pub const ENV_ADMIN_TOKEN_NAME: &str = "env-admin";

/// A token's name, as it appears in task records and `ingest token list`:
/// a letter, then letters, digits, `_`, `-`, `.`; at most 64.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTokenName {
    #[error("token name is empty")]
    Empty,
    #[error("token name is {len} characters long; the limit is {MAX_TOKEN_NAME_LEN}")]
    TooLong { len: usize },
    #[error("token name must start with a letter and contain only letters, digits, '_', '-' and '.'; found {found:?}")]
    BadCharacter { found: char },
    #[error("the token name {ENV_ADMIN_TOKEN_NAME:?} is reserved for INGEST_ADMIN_TOKEN")]
    Reserved,
}

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, InvalidTokenName> {
        let len = raw.chars().count();
        if len == 0 {
            return Err(InvalidTokenName::Empty);
        }
        if len > MAX_TOKEN_NAME_LEN {
            return Err(InvalidTokenName::TooLong { len });
        }
        for (index, c) in raw.chars().enumerate() {
            let ok = if index == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
            };
            if !ok {
                return Err(InvalidTokenName::BadCharacter { found: c });
            }
        }
        if raw == ENV_ADMIN_TOKEN_NAME {
            return Err(InvalidTokenName::Reserved);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name of the token given in the environment.
    pub fn env_admin() -> Self {
        Self(ENV_ADMIN_TOKEN_NAME.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TokenName {
    type Error = InvalidTokenName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value == ENV_ADMIN_TOKEN_NAME {
            return Ok(Self(value));
        }
        Self::parse(&value)
    }
}

impl From<TokenName> for String {
    fn from(name: TokenName) -> Self {
        name.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token's record: everything but its secret and digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: TokenName,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why a token cannot be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUnusable {
    Revoked,
    Expired,
}

impl ApiToken {
    /// Whether the token may be used at `now`.
    pub fn check_usable(&self, now: DateTime<Utc>) -> Result<(), TokenUnusable> {
        if self.revoked_at.is_some() {
            return Err(TokenUnusable::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(TokenUnusable::Expired);
        }
        Ok(())
    }
}

/// A lifetime such as `90d`, `12h` or `30m` (a positive whole number and a unit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a lifetime; write a number and a unit: 90d, 12h or 30m")]
pub struct InvalidLifetime(pub String);

pub fn parse_lifetime(raw: &str) -> Result<Duration, InvalidLifetime> {
    let invalid = || InvalidLifetime(raw.to_owned());
    let trimmed = raw.trim();
    let (unit_at, _) = trimmed.char_indices().last().ok_or_else(invalid)?;
    let (number, unit) = trimmed.split_at(unit_at);
    let count: i64 = number.parse().map_err(|_| invalid())?;
    // Ten years is far beyond any sensible token and far inside chrono's range.
    if !(1..=3650 * 24 * 60).contains(&count) {
        return Err(invalid());
    }
    let lifetime = match unit {
        "d" => Duration::try_days(count),
        "h" => Duration::try_hours(count),
        "m" => Duration::try_minutes(count),
        _ => None,
    }
    .ok_or_else(invalid)?;
    if lifetime > Duration::days(3650) {
        return Err(invalid());
    }
    Ok(lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_ordered() {
        assert!(Scope::Admin.allows(Scope::Write));
        assert!(Scope::Write.allows(Scope::Read));
        assert!(Scope::Read.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Write));
        assert!(!Scope::Write.allows(Scope::Admin));
        assert_eq!("write".parse::<Scope>(), Ok(Scope::Write));
        assert!("root".parse::<Scope>().is_err());
    }

    #[test]
    fn token_names_are_checked() {
        assert!(TokenName::parse("ci-upload.2024").is_ok());
        assert_eq!(TokenName::parse(""), Err(InvalidTokenName::Empty));
        assert!(TokenName::parse("1abc").is_err());
        assert!(TokenName::parse("a b").is_err());
        assert!(TokenName::parse(&"a".repeat(65)).is_err());
        assert_eq!(
            TokenName::parse(ENV_ADMIN_TOKEN_NAME),
            Err(InvalidTokenName::Reserved)
        );
    }

    #[test]
    fn lifetimes_parse() {
        assert_eq!(parse_lifetime("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_lifetime("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_lifetime("30m"), Ok(Duration::minutes(30)));
        for bad in [
            "",
            "d",
            "9é",
            "0d",
            "-1d",
            "90",
            "90x",
            "99999999999d",
            "3651d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
