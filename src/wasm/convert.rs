//! One serializer for everything that crosses: plain objects and `null`, never `Map` or `undefined`.

use super::error::js_error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::JsValue;

const SERIALIZER: Serializer = Serializer::json_compatible();

/// Rust value → plain JS value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&SERIALIZER).map_err(|e| js_error("TypeError", "Serialize", &e.to_string()))
}

/// JS value → Rust value; `what` names the argument in the error.
pub fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| js_error("TypeError", "InvalidArgument", &format!("{what}: {e}")))
}

/// A Shoppingfeed order id given as a number or a numeric string.
pub fn order_id(value: &JsValue) -> Result<u64, JsValue> {
    let bad = || js_error("TypeError", "InvalidArgument", "order id must be a positive whole number");
    if let Some(n) = value.as_f64() {
        if n >= 1.0 && n.fract() == 0.0 && n <= crate::sync::MAX_JOURNAL_ID as f64 {
            return Ok(n as u64);
        }
        return Err(bad());
    }
    if let Some(s) = value.as_string() {
        return s.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(bad);
    }
    Err(bad())
}
