//! The model list both APIs answer `GET .../models` with.

use serde_json::Value;

/// Model ids from a `{"data": [{"id": ...}]}` list (both APIs use this shape).
pub fn parse_models(bytes: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| "no `data` array".to_owned())?;
    Ok(data
        .iter()
        .filter_map(|m| m.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_parse() {
        let ids =
            parse_models(br#"{"data":[{"id":"a","type":"model"},{"id":"b"}],"has_more":false}"#)
                .unwrap();
        assert_eq!(ids, vec!["a", "b"]);
        assert!(parse_models(b"{}").is_err());
        assert!(parse_models(b"<html>").is_err());
    }
}
