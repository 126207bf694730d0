//! The Shoppingfeed order resource: model, statuses, lifecycle rules, ship validation, deadlines.

pub mod deadline;
pub mod error;
pub mod lenient;
pub mod lifecycle;
pub mod model;
pub mod shipment;
pub mod status;

pub use deadline::{Deadline, DeadlineState, deadline};
pub use error::{OrderError, ShipmentError};
pub use lifecycle::{Allowance, ChannelSupport, Operation, allowances};
pub use model::{Address, Item, Order, Payment, Shipment};
pub use shipment::{ShipLine, ShipRequest, ValidShipment};
pub use status::OrderStatus;

/// Parses an order from JSON text; a bad field is named with its path.
pub fn parse_order(json: &str) -> Result<Order, OrderError> {
    // Through a Value, so the (large) path-tracking deserializer exists once in the Wasm module.
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| OrderError::NotJson { message: e.to_string() })?;
    parse_order_value(&value)
}

/// Parses an order from an already-decoded JSON value (one entry of a list page).
pub fn parse_order_value(value: &serde_json::Value) -> Result<Order, OrderError> {
    serde_path_to_error::deserialize(value).map_err(malformed)
}

fn malformed<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> OrderError {
    let field = e.path().to_string();
    let inner = e.into_inner().to_string();
    // serde_json appends " at line X column Y"; the field path says more.
    let message = match inner.find(" at line ") {
        Some(i) => inner[..i].to_string(),
        None => inner,
    };
    OrderError::Malformed { field, message }
}
