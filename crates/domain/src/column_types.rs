//! Column types an uploader chose (`column_types`), parsed once at the edge.

use std::collections::BTreeMap;

use crate::ColumnType;

/// Most columns one `column_types` object may name (the form's 4 KiB part
/// limit bounds it anyway; this keeps the error clear).
pub const MAX_COLUMN_TYPES: usize = 1000;

/// What is wrong with a `column_types` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidColumnTypes {
    #[error("column_types must be a JSON object of column names to types, e.g. {{\"zip\":\"string\",\"amount\":\"double\"}}: {0}")]
    NotAnObject(String),
    #[error("column_types names an empty column")]
    EmptyName,
    #[error("column_types gives column {column:?} the type {value}, which is not one of: string, long, double, boolean")]
    UnknownType { column: String, value: String },
    #[error("column_types gives column {column:?} the type timestamp: name the row-time column in timestamp_column instead (its format in timestamp_format)")]
    Timestamp { column: String },
    #[error("column_types names more than {MAX_COLUMN_TYPES} columns")]
    TooMany,
}

impl InvalidColumnTypes {
    /// The column the error is about, if one.
    pub fn column(&self) -> Option<&str> {
        match self {
            Self::UnknownType { column, .. } | Self::Timestamp { column } => Some(column),
            _ => None,
        }
    }
}

/// A type an uploader may ask for, by the name the report uses (and a few
/// common aliases). `timestamp` is refused: the row time has its own fields.
pub fn parse_override_type(column: &str, raw: &str) -> Result<ColumnType, InvalidColumnTypes> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "string" | "text" => Ok(ColumnType::String),
        "long" | "integer" | "int" | "bigint" => Ok(ColumnType::Long),
        "double" | "float" | "number" => Ok(ColumnType::Double),
        "boolean" | "bool" => Ok(ColumnType::Boolean),
        "timestamp" => Err(InvalidColumnTypes::Timestamp {
            column: column.to_owned(),
        }),
        _ => Err(InvalidColumnTypes::UnknownType {
            column: column.to_owned(),
            value: raw.to_owned(),
        }),
    }
}

/// Parses `{"zip":"string","amount":"double"}`; an empty text or `{}` is
/// an empty map (no overrides).
pub fn parse_column_types(text: &str) -> Result<BTreeMap<String, ColumnType>, InvalidColumnTypes> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(BTreeMap::new());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| InvalidColumnTypes::NotAnObject(e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| InvalidColumnTypes::NotAnObject("it is not an object".into()))?;
    if object.len() > MAX_COLUMN_TYPES {
        return Err(InvalidColumnTypes::TooMany);
    }
    let mut types = BTreeMap::new();
    for (column, value) in object {
        if column.trim().is_empty() {
            return Err(InvalidColumnTypes::EmptyName);
        }
        let raw = value
            .as_str()
            .ok_or_else(|| InvalidColumnTypes::UnknownType {
                column: column.clone(),
                value: value.to_string(),
            })?;
        types.insert(column.clone(), parse_override_type(column, raw)?);
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_aliases_and_refuses_the_rest() {
        let types =
            parse_column_types(r#"{"zip":"string","amount":"Double","n":"int"}"#).expect("valid");
        assert_eq!(types["zip"], ColumnType::String);
        assert_eq!(types["amount"], ColumnType::Double);
        assert_eq!(types["n"], ColumnType::Long);
        assert!(parse_column_types("").expect("empty").is_empty());
        assert!(matches!(
            parse_column_types("[1]"),
            Err(InvalidColumnTypes::NotAnObject(_))
        ));
        assert!(matches!(
            parse_column_types("zip=string"),
            Err(InvalidColumnTypes::NotAnObject(_))
        ));
        let unknown = parse_column_types(r#"{"zip":"varchar"}"#).expect_err("unknown");
        assert_eq!(unknown.column(), Some("zip"));
        assert!(matches!(
            parse_column_types(r#"{"t":"timestamp"}"#),
            Err(InvalidColumnTypes::Timestamp { .. })
        ));
        assert!(matches!(
            parse_column_types(r#"{"":"long"}"#),
            Err(InvalidColumnTypes::EmptyName)
        ));
        assert!(matches!(
            parse_column_types(r#"{"a":3}"#),
            Err(InvalidColumnTypes::UnknownType { .. })
        ));
    }
}
