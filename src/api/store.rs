//! Store discovery (`GET /v1/me`, API reference §1.3).

use super::error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A store the token can see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    /// Store id.
    pub id: u64,
    /// Store name.
    pub name: String,
    /// `active`, `demo`, `deleted`, `suspended`.
    pub status: String,
    /// Country.
    pub country: String,
}

/// Decodes `GET /v1/me` into the stores it embeds (deleted ones left out).
pub fn parse_me(body: &str) -> Result<Vec<StoreInfo>, ApiError> {
    let v: Value = serde_json::from_str(body).map_err(|e| ApiError::Decode { what: "account", message: e.to_string() })?;
    let list = match v.pointer("/_embedded/store") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    };
    let s = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Ok(list
        .iter()
        .filter_map(|x| {
            let id = x.get("id").and_then(|i| i.as_u64().or_else(|| i.as_str().and_then(|s| s.parse().ok())))?;
            Some(StoreInfo { id, name: s(x, "name"), status: s(x, "status"), country: s(x, "country") })
        })
        .filter(|st| st.status != "deleted")
        .collect())
}
