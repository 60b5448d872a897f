//! `--column-types` and `--timestamp-format`, checked before anything is
//! read or sent.

use std::collections::BTreeMap;

use anyhow::Context;
use ingest_domain::{parse_column_types, parse_override_type, ColumnType};

/// `{"zip":"string"}` (what the upload field takes) or the shorter
/// `zip=string,amount=double`.
pub fn parse(text: &str) -> anyhow::Result<BTreeMap<String, ColumnType>> {
    if text.trim_start().starts_with('{') {
        return Ok(parse_column_types(text)?);
    }
    let mut types = BTreeMap::new();
    for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (column, kind) = pair.split_once('=').with_context(|| {
            format!("--column-types: {pair:?} is not column=type (or pass a JSON object)")
        })?;
        let column = column.trim();
        anyhow::ensure!(!column.is_empty(), "--column-types names an empty column");
        types.insert(column.to_owned(), parse_override_type(column, kind)?);
    }
    Ok(types)
}

/// The JSON the upload's `column_types` field takes.
pub fn to_field(types: &BTreeMap<String, ColumnType>) -> anyhow::Result<String> {
    Ok(serde_json::to_string(types)?)
}

/// Refuses a `--timestamp-format` the server would refuse.
pub fn check_format(format: Option<&str>) -> anyhow::Result<()> {
    if let Some(format) = format {
        ingest_validation::check_timestamp_format(format)
            .map_err(|message| anyhow::anyhow!("--timestamp-format: {message}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_pairs_say_the_same() {
        let json = parse(r#"{"zip":"string","amount":"double"}"#).expect("json");
        let pairs = parse("zip=string, amount=double").expect("pairs");
        assert_eq!(json, pairs);
        assert_eq!(
            to_field(&json).expect("json"),
            r#"{"amount":"double","zip":"string"}"#
        );
        assert!(parse("zip").is_err());
        assert!(parse("zip=varchar").is_err());
        assert!(check_format(Some("%Y")).is_err());
        assert!(check_format(Some("%d/%m/%Y")).is_ok());
    }
}
