//! Every failure reaches JS as a real `Error` (stack, `instanceof Error`) with a `name` for the family
//! and a stable `code`; never a thrown string.

use crate::mapping::MappingError;
use crate::order::{OrderError, ShipmentError};
use crate::sync::{CycleFailure, SyncError};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// A JS `Error` with `name` and `code`.
pub fn js_error(name: &str, code: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name(name);
    let v: JsValue = e.into();
    set(&v, "code", &JsValue::from_str(code));
    v
}

/// The message of whatever JS threw (an Error, a string, anything).
pub fn message_of(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    if let Ok(m) = Reflect::get(value, &JsValue::from_str("message")) {
        if let Some(s) = m.as_string() {
            return s;
        }
    }
    "unknown error".to_string()
}

/// `ShipmentError` with the form field it concerns.
pub fn shipment_error(e: &ShipmentError) -> JsValue {
    let v = js_error("ShipmentError", e.code(), &e.to_string());
    set(&v, "field", &JsValue::from_str(e.field()));
    v
}

/// `OrderError`, with the field path for malformed orders.
pub fn order_error(e: &OrderError) -> JsValue {
    let v = js_error("OrderError", e.code(), &e.to_string());
    if let OrderError::Malformed { field, .. } = e {
        set(&v, "field", &JsValue::from_str(field));
    }
    v
}

/// `MappingError`.
pub fn mapping_error(e: &MappingError) -> JsValue {
    js_error("MappingError", e.code(), &e.to_string())
}

/// Any engine error.
pub fn sync_error(e: &SyncError) -> JsValue {
    match e {
        SyncError::Shipment(s) => shipment_error(s),
        SyncError::Order(o) => order_error(o),
        SyncError::Config { field, .. } => {
            let v = js_error(e.name(), e.code(), &e.to_string());
            set(&v, "field", &JsValue::from_str(field));
            v
        }
        _ => js_error(e.name(), e.code(), &e.to_string()),
    }
}

/// A cycle that stopped: the error, carrying the report of what was done.
pub fn cycle_error(f: &CycleFailure) -> JsValue {
    let v = sync_error(&f.error);
    if let Ok(report) = super::convert::to_js(&f.report) {
        set(&v, "report", &report);
    }
    v
}
