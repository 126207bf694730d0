//! Pickup-point (relay) id lookup, following the chain the official modules use (API reference §6.7,
//! PrestaShop `Rules/ColissimoRule.php` `getRelayId`, `formatPointId` and `getProductCode`).

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
    /// The carrier's product code when the marketplace gave one: the part before the colon of a
    /// `"<code>:<id>"` value (Zalando `BPR:100562` → `BPR`, Colissimo's "bureau de poste"), else
    /// `additionalFields.type-de-point` (Mirakl). The PrestaShop module falls back to Colissimo's `A2P`;
    /// that is a Colissimo default, not what the marketplace said, so it is left to the shop.
    pub product_code: Option<String>,
}

/// `additionalFields` keys holding a point id, in the module's order.
const RELAY_FIELDS: &[&str] = &["pickup_point_id", "shippingRelayId", "relais-id", "shipping_pudo_id", "service_point_id"];
const RELAY_WORDS: &[&str] = &["relais", "relay", "pickup", "pick-up", "point", "pudo", "locker", "proximit"];
/// Cdiscount's relay delivery modes (`shipment.carrier`), where `other` holds the point id.
const CDISCOUNT_RELAY_MODES: &[&str] = &["SO1", "REL", "RCO"];

fn acceptable(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
}

/// Splits `"<code>:<id>"`: the id is the part after the first colon (the module keeps `parts[1]`), the
/// code the part before. A value without a colon is the id.
fn split(raw: &str) -> Option<(String, Option<String>)> {
    let mut parts = raw.split(':');
    let first = parts.next().unwrap_or("").trim();
    let (id, code) = match parts.next() {
        Some(second) => (second.trim(), Some(first).filter(|c| acceptable(c))),
        None => (first, None),
    };
    acceptable(id).then(|| (id.to_string(), code.map(str::to_string)))
}

/// The buyer's pickup point, first found of: `shippingAddress.relayId`; `shippingAddress.other` where
/// the channel or carrier says relay (it also holds door codes); `shippingAddress.relayID`;
/// `additionalFields` `pickup_point_id`, `shippingRelayId`, `relais-id`, `shipping_pudo_id`,
/// `service_point_id`; then Rue du Commerce's carrier suffix ("… avec <carrier> <id>").
pub fn relay_point(order: &Order) -> Option<RelayPoint> {
    let type_de_point = order.additional_text("type-de-point").filter(|c| acceptable(c));
    let found = |raw: Option<&str>, source: &str| {
        let (id, code) = split(raw?)?;
        Some(RelayPoint { id, source: source.to_string(), product_code: code.or_else(|| type_de_point.clone()) })
    };
    let addr = &order.shipping_address;
    if let Some(p) = found(addr.relay_id.as_deref(), "shippingAddress.relayId") {
        return Some(p);
    }
    let channel = order.channel_name().to_ascii_lowercase();
    let carrier = order.shipment.carrier.to_ascii_lowercase();
    let relay_carrier = RELAY_WORDS.iter().any(|w| carrier.contains(w));
    let cdiscount_relay =
        channel.starts_with("cdiscount") && CDISCOUNT_RELAY_MODES.iter().any(|m| order.shipment.carrier.trim().eq_ignore_ascii_case(m));
    if cdiscount_relay || relay_carrier {
        if let Some(p) = found(Some(&addr.other), "shippingAddress.other") {
            return Some(p);
        }
    }
    if let Some(p) = found(addr.relay_id_upper.as_deref(), "shippingAddress.relayID") {
        return Some(p);
    }
    for key in RELAY_FIELDS {
        if let Some(p) = found(order.additional_text(key).as_deref(), &format!("additionalFields.{key}")) {
            return Some(p);
        }
    }
    let rdc = order.channel_id() == Some(51) || channel.starts_with("rdc") || channel.contains("rueducommerce");
    if rdc && carrier.contains("point de proximit") {
        let last = order.shipment.carrier.split_whitespace().last().unwrap_or("");
        if last.chars().any(|c| c.is_ascii_digit()) {
            return found(Some(last), "shipment.carrier");
        }
    }
    None
}
