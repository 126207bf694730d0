//! Pickup-point (relay) id lookup, following the chain the official modules use (API reference §6.7).

use crate::order::model::Order;
use serde::{Deserialize, Serialize};

/// A pickup point chosen by the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayPoint {
    /// The point's id at its carrier.
    pub id: String,
    /// Where it was found (`shippingAddress.relayId`, `additionalFields.shipping_pudo_id`, …).
    pub source: String,
}

const RELAY_FIELDS: &[&str] = &["shippingRelayId", "relais-id", "shipping_pudo_id", "service_point_id"];
const RELAY_WORDS: &[&str] = &["relais", "relay", "pickup", "pick-up", "point", "pudo", "locker", "proximit"];

fn tidy(id: &str) -> Option<String> {
    // Some channels send "<id>:<extra>".
    let id = id.split(':').next().unwrap_or("").trim();
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    ok.then(|| id.to_string())
}

/// The buyer's pickup point: `shippingAddress.relayId`, then `shippingAddress.other` (Cdiscount and
/// carriers named as relay services), then the `additionalFields` keys, then Rue du Commerce's
/// carrier suffix ("… avec <carrier> <id>").
pub fn relay_point(order: &Order) -> Option<RelayPoint> {
    let found = |id: Option<String>, source: &str| id.map(|id| RelayPoint { id, source: source.to_string() });
    let addr = &order.shipping_address;
    if let Some(p) = found(addr.relay_id.as_deref().and_then(tidy), "shippingAddress.relayId") {
        return Some(p);
    }
    let channel = order.channel_name().to_ascii_lowercase();
    let carrier = order.shipment.carrier.to_ascii_lowercase();
    let relay_carrier = RELAY_WORDS.iter().any(|w| carrier.contains(w));
    // `other` also holds door codes: only trusted as a relay id where the channel or carrier says relay.
    if (channel.starts_with("cdiscount") || relay_carrier) && !addr.other.trim().is_empty() {
        if let Some(p) = found(tidy(&addr.other), "shippingAddress.other") {
            return Some(p);
        }
    }
    for key in RELAY_FIELDS {
        if let Some(p) = found(order.additional_text(key).as_deref().and_then(tidy), &format!("additionalFields.{key}")) {
            return Some(p);
        }
    }
    let rdc = order.channel_id() == Some(51) || channel.starts_with("rdc") || channel.contains("rueducommerce");
    if rdc && carrier.contains("point de proximit") {
        let last = order.shipment.carrier.split_whitespace().last().unwrap_or("");
        if last.chars().any(|c| c.is_ascii_digit()) {
            return found(tidy(last), "shipment.carrier");
        }
    }
    None
}
