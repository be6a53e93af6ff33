//! How records are encoded in tables: JSON, so stored values stay readable and tolerate added fields.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        what: std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("record"),
        reason: e.to_string(),
    })
}

/// Decodes a stored value; the error text says why, for the quarantine record.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}
