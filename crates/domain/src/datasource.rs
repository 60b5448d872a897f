use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest datasource name we accept; Druid allows more, but nobody types more.
pub const MAX_DATASOURCE_NAME_LEN: usize = 128;

/// A datasource name that is safe as a Druid datasource, a path segment and a
/// SQL identifier: starts with an ASCII letter, then letters, digits, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatasourceName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDatasourceName {
    #[error("datasource name is empty")]
    Empty,
    #[error("datasource name is {len} characters long; the limit is {MAX_DATASOURCE_NAME_LEN}")]
    TooLong { len: usize },
    #[error("datasource name must start with a letter (A-Z or a-z), not {found:?}")]
    BadFirstCharacter { found: char },
    #[error("datasource name may only contain letters, digits, '_' and '-'; found {found:?} at position {position}")]
    BadCharacter { found: char, position: usize },
}

impl DatasourceName {
    pub fn parse(raw: &str) -> Result<Self, InvalidDatasourceName> {
        let len = raw.chars().count();
        if len == 0 {
            return Err(InvalidDatasourceName::Empty);
        }
        if len > MAX_DATASOURCE_NAME_LEN {
            return Err(InvalidDatasourceName::TooLong { len });
        }
        for (index, c) in raw.chars().enumerate() {
            if index == 0 && !c.is_ascii_alphabetic() {
                return Err(InvalidDatasourceName::BadFirstCharacter { found: c });
            }
            if !(c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(InvalidDatasourceName::BadCharacter {
                    found: c,
                    position: index + 1,
                });
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DatasourceName {
    type Error = InvalidDatasourceName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DatasourceName> for String {
    fn from(value: DatasourceName) -> Self {
        value.0
    }
}

impl fmt::Display for DatasourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["sales", "Sales_2024", "a", "web-logs", &"a".repeat(128)] {
            assert_eq!(
                DatasourceName::parse(ok).map(|n| n.to_string()),
                Ok(ok.to_string())
            );
        }
    }

    #[test]
    fn rejects_names_that_could_escape_or_collide() {
        assert_eq!(DatasourceName::parse(""), Err(InvalidDatasourceName::Empty));
        assert_eq!(
            DatasourceName::parse("../x"),
            Err(InvalidDatasourceName::BadFirstCharacter { found: '.' })
        );
        assert_eq!(
            DatasourceName::parse("a/b"),
            Err(InvalidDatasourceName::BadCharacter {
                found: '/',
                position: 2
            })
        );
        assert_eq!(
            DatasourceName::parse("__time"),
            Err(InvalidDatasourceName::BadFirstCharacter { found: '_' })
        );
        assert_eq!(
            DatasourceName::parse(&"x".repeat(300)),
            Err(InvalidDatasourceName::TooLong { len: 300 })
        );
        assert!(DatasourceName::parse("sales data").is_err());
        assert!(DatasourceName::parse("sälj").is_err());
    }
}
