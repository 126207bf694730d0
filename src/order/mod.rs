//! The Shoppingfeed order resource: model, statuses, lifecycle rules, ship validation, deadlines.

pub mod carrier;
pub mod deadline;
pub mod error;
pub mod lenient;
pub mod lifecycle;
pub mod model;
mod path;
pub mod shipment;
pub mod status;
pub mod template;

pub use deadline::{Deadline, DeadlineState, deadline, deadline_sent};
pub use error::{OrderError, ShipmentError};
pub use lifecycle::{Allowance, ChannelSupport, Operation, allowances};
pub use model::{Address, Item, Order, Payment, Shipment};
pub use shipment::{ShipLine, ShipRequest, ValidShipment};
pub use status::OrderStatus;

/// Parses an order from JSON text; a bad field is named with its path.
pub fn parse_order(json: &str) -> Result<Order, OrderError> {
    let error = match serde_json::from_str::<Order>(json) {
        Ok(order) => return Ok(with_unreadable_ship_date(order, json)),
        Err(e) => e,
    };
    // Not JSON at all (cut short, empty, an unfilled template): said so, whichever field the typed
    // parse had reached, so that a cut answer is read again rather than taken for a bad order.
    if let Err(syntax) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
        return Err(OrderError::NotJson { message: syntax.to_string() });
    }
    if error.to_string().starts_with("duplicate field") {
        // A key given twice: the last one counts, as in the PHP modules' JSON decoding.
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| OrderError::NotJson { message: e.to_string() })?;
        let text = value.to_string();
        return serde_json::from_str::<Order>(&text).map(|o| with_unreadable_ship_date(o, &text)).map_err(|e| malformed(&text, &e));
    }
    Err(malformed(json, &error))
}

/// Parses an order from an already-decoded JSON value (an order handed over by JavaScript).
pub fn parse_order_value(value: &serde_json::Value) -> Result<Order, OrderError> {
    parse_order(&value.to_string())
}

/// The top-level `latestShipDate` alone, read again only when the typed parse found no date in it.
#[derive(serde::Deserialize)]
struct ShipDateProbe {
    #[serde(rename = "latestShipDate", default)]
    raw: serde_json::Value,
}

/// Keeps the text of a `latestShipDate` that is there but cannot be read: the order is not refused for
/// it, and the deadline must not vanish silently. "No date" values (null, blank, MySQL zero date) stay
/// absent.
fn with_unreadable_ship_date(mut order: Order, json: &str) -> Order {
    if order.latest_ship_date.is_some() || order.latest_ship_date_unreadable.is_some() || !json.contains("\"latestShipDate\"") {
        return order;
    }
    if let Ok(ShipDateProbe { raw }) = serde_json::from_str::<ShipDateProbe>(json) {
        if !lenient::is_no_date(&raw) {
            let text = match raw {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            order.latest_ship_date_unreadable = Some(lenient::clip(text.trim()));
        }
    }
    order
}

fn malformed(text: &str, e: &serde_json::Error) -> OrderError {
    let field = path::path_at(text, e.line(), e.column());
    let inner = e.to_string();
    // serde_json appends " at line X column Y"; the field path says more.
    let message = match inner.find(" at line ") {
        Some(i) => inner[..i].to_string(),
        None => inner,
    };
    OrderError::Malformed { field, message }
}
