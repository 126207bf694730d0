//! Ship validation: a status change can be made only once, so a shipment must be complete and
//! plausible before anything is recorded or sent.

use super::error::ShipmentError;
use super::lenient::clip;
use super::model::Order;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest tracking URL accepted (what browsers and most marketplaces keep).
pub const MAX_TRACKING_URL: usize = 2048;
/// The longest tracking number accepted.
pub const MAX_TRACKING_NUMBER: usize = 100;

/// What the merchant asks to ship.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ShipRequest {
    /// Carrier name as the marketplace should show it.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Tracking URL (absolute http(s)).
    pub tracking_url: Option<String>,
    /// Items shipped; empty means the whole order.
    pub items: Vec<ShipLine>,
    /// Warehouse id (null: Shoppingfeed's default).
    pub warehouse_id: Option<String>,
    /// Return label.
    pub return_info: Option<ReturnLabel>,
}

/// One shipped line: Shoppingfeed item id and quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipLine {
    /// Shoppingfeed order-item id.
    pub id: u64,
    /// Quantity shipped.
    pub quantity: u32,
}

/// Return label data sent with a shipment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReturnLabel {
    /// Return carrier.
    pub carrier: String,
    /// Return tracking number.
    pub tracking_number: String,
}

/// A shipment that passed validation, trimmed; the only thing the engine will send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidShipment {
    /// Carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Tracking URL, or empty.
    pub tracking_url: String,
    /// Lines; empty = whole order.
    pub items: Vec<ShipLine>,
    /// Warehouse id.
    pub warehouse_id: Option<String>,
    /// Return label.
    pub return_info: Option<ReturnLabel>,
    /// Whether this ships everything still to ship.
    pub complete: bool,
}

/// An ordered line as the validator needs it (from the order or from the journal's snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedLine {
    /// Item id, when Shoppingfeed sent one.
    pub id: Option<u64>,
    /// Ordered quantity.
    pub quantity: u32,
}

/// Values that carriers never issue but that back-offices fill in to get past a required field.
const PLACEHOLDERS: &[&str] = &[
    "0",
    "-",
    "--",
    "n/a",
    "na",
    "n.a.",
    "none",
    "null",
    "nil",
    "undefined",
    "tbd",
    "tba",
    "todo",
    "concept",
    "draft",
    "test",
    "unknown",
    "?",
    "...",
    "xxx",
    "pending",
    "later",
    "notracking",
    "no tracking",
    "sans suivi",
    "aucun",
    "nc",
    "n.c.",
    "nd",
    "n/d",
];

/// Whether a tracking number is a placeholder rather than something a carrier issued.
pub fn is_placeholder_tracking(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() || PLACEHOLDERS.contains(&v.as_str()) {
        return true;
    }
    if !v.chars().any(|c| c.is_alphanumeric()) {
        return true;
    }
    // "0000000", "xxxxx", "11111": one repeated character.
    let mut chars = v.chars().filter(|c| !c.is_whitespace());
    let first = chars.next();
    first.is_some_and(|f| chars.all(|c| c == f))
}

/// Checks a tracking URL: absolute http(s), a host, no credentials, no spaces or control characters,
/// at most [`MAX_TRACKING_URL`] characters. Hand-written rather than a URL crate: the IDNA tables such a
/// crate carries would double the size of the Wasm module for a check this narrow.
pub fn check_tracking_url(raw: &str) -> Result<(), ShipmentError> {
    let bad = |reason: &'static str| ShipmentError::TrackingUrlInvalid { value: clip(raw), reason };
    if raw.chars().count() > MAX_TRACKING_URL {
        return Err(bad("longer than 2048 characters"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains spaces or control characters"));
    }
    let lower = raw.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        return Err(bad("must be an absolute http:// or https:// URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, after)) => (h, after.strip_prefix(':')),
            None => return Err(bad("has an invalid host")),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() || host.starts_with('.') || host.contains("..") {
        return Err(bad("has no host"));
    }
    let v6 = authority.starts_with('[');
    if !host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_') || (v6 && c == ':')) {
        return Err(bad("has an invalid host"));
    }
    if port.is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_err()) {
        return Err(bad("has an invalid port"));
    }
    Ok(())
}

/// Validates `req` against the ordered lines and what was already shipped (item id → quantity).
/// `partial_ship_supported` comes from the channel's support table.
pub fn validate(
    req: &ShipRequest,
    ordered: &[OrderedLine],
    already_shipped: &BTreeMap<u64, u32>,
    partial_ship_supported: bool,
) -> Result<ValidShipment, ShipmentError> {
    let carrier = req.carrier.trim();
    if carrier.is_empty() {
        return Err(ShipmentError::CarrierMissing);
    }
    if carrier.chars().count() > 100 || carrier.chars().any(char::is_control) {
        return Err(ShipmentError::CarrierInvalid { value: clip(carrier) });
    }
    let tracking = req.tracking_number.trim();
    if tracking.is_empty() {
        return Err(ShipmentError::TrackingNumberMissing);
    }
    if is_placeholder_tracking(tracking) {
        return Err(ShipmentError::TrackingNumberPlaceholder { value: clip(tracking) });
    }
    if tracking.chars().count() > MAX_TRACKING_NUMBER || tracking.chars().any(char::is_control) {
        return Err(ShipmentError::TrackingNumberInvalid { value: clip(tracking) });
    }
    let url = req.tracking_url.as_deref().map(str::trim).unwrap_or("");
    if !url.is_empty() {
        check_tracking_url(url)?;
    }

    let mut lines: Vec<ShipLine> = Vec::new();
    for line in &req.items {
        if lines.iter().any(|l| l.id == line.id) {
            return Err(ShipmentError::ItemRepeated { id: line.id });
        }
        let Some(o) = ordered.iter().find(|o| o.id == Some(line.id)) else {
            return Err(ShipmentError::ItemUnknown { id: line.id });
        };
        let left = o.quantity.saturating_sub(already_shipped.get(&line.id).copied().unwrap_or(0));
        if line.quantity == 0 || line.quantity > left {
            return Err(ShipmentError::ItemQuantity { id: line.id, quantity: line.quantity, remaining: left });
        }
        lines.push(*line);
    }

    let remaining_total: u64 = ordered
        .iter()
        .map(|o| {
            let shipped = o.id.and_then(|id| already_shipped.get(&id)).copied().unwrap_or(0);
            u64::from(o.quantity.saturating_sub(shipped))
        })
        .sum();
    let shipping_now: u64 = if lines.is_empty() { remaining_total } else { lines.iter().map(|l| u64::from(l.quantity)).sum() };
    // With no ordered lines given (a form checking fields only), there is nothing to compare against.
    if remaining_total == 0 && !ordered.is_empty() {
        return Err(ShipmentError::AlreadyShipped);
    }
    let complete = shipping_now >= remaining_total;
    let partial = !complete || !already_shipped.is_empty();
    if partial && !partial_ship_supported {
        return Err(ShipmentError::PartialShipUnsupported);
    }
    // Once part of the order has gone out, "whole order" is ambiguous: name the remaining lines.
    if lines.is_empty() && !already_shipped.is_empty() {
        lines = ordered
            .iter()
            .filter_map(|o| {
                let id = o.id?;
                let left = o.quantity.saturating_sub(already_shipped.get(&id).copied().unwrap_or(0));
                (left > 0).then_some(ShipLine { id, quantity: left })
            })
            .collect();
    }
    Ok(ValidShipment {
        carrier: carrier.to_string(),
        tracking_number: tracking.to_string(),
        tracking_url: url.to_string(),
        items: lines,
        warehouse_id: req.warehouse_id.clone().filter(|w| !w.trim().is_empty()),
        return_info: req.return_info.clone().filter(|r| !r.carrier.trim().is_empty() || !r.tracking_number.trim().is_empty()),
        complete,
    })
}

/// The ordered lines of an order, as the validator takes them.
pub fn ordered_lines(order: &Order) -> Vec<OrderedLine> {
    order.items.iter().map(|i| OrderedLine { id: i.id, quantity: i.quantity }).collect()
}
