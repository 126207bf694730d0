//! The Shoppingfeed order resource (`GET /v1/store/{storeId}/order/{orderId}`), every field of the API
//! reference §3, parsed leniently.
//!
//! Only what it takes to create and ship the order is strict: its id, reference and channel, the items'
//! references and quantities, the amounts and the shipping address. A field nothing depends on with an
//! odd value (a date reading `"string"`, an object where a label was expected, an unknown enum value) is
//! kept as text or dropped, never a reason to refuse a paid order.

use super::lenient::{self, Timestamp};
use super::status::OrderStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Free-form marketplace data (`additionalFields`): not normalised, keys come and go.
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// One Shoppingfeed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Shoppingfeed's order id: the identifier of every operation.
    #[serde(deserialize_with = "lenient::id::deserialize")]
    pub id: u64,
    /// Shoppingfeed store the order belongs to.
    #[serde(default, deserialize_with = "lenient::id::loose::deserialize")]
    pub store_id: Option<u64>,
    /// Marketplace id (falls back to `_embedded.channel.id`, see [`Order::channel_id`]).
    #[serde(default, deserialize_with = "lenient::id::opt::deserialize")]
    pub channel_id: Option<u64>,
    /// Order number on the marketplace; unique only per channel.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub reference: String,
    /// The shop's own order reference, set by a success acknowledge.
    #[serde(default, deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub store_reference: Option<String>,
    /// Test order.
    #[serde(default, deserialize_with = "lenient::flag::deserialize")]
    pub is_test: bool,
    /// Shoppingfeed status.
    #[serde(default)]
    pub status: OrderStatus,
    /// Personal data replaced by `#GDPR`.
    #[serde(default, deserialize_with = "lenient::flag::deserialize")]
    pub anonymized: bool,
    /// Created on the marketplace (what `since`/`until` filter on).
    #[serde(default, with = "lenient::opt_timestamp")]
    pub created_at: Option<Timestamp>,
    /// Last update.
    #[serde(default, with = "lenient::opt_timestamp")]
    pub updated_at: Option<Timestamp>,
    /// Set by a success acknowledge.
    #[serde(default, with = "lenient::opt_timestamp")]
    pub acknowledged_at: Option<Timestamp>,
    /// The marketplace's ship-by deadline.
    #[serde(default, with = "lenient::opt_timestamp")]
    pub latest_ship_date: Option<Timestamp>,
    /// The `latestShipDate` as sent when it could not be read as a date (clipped). The order is not
    /// refused for it, but its deadline is unknown rather than absent: the draft carries the text and
    /// the deadline counts as at risk, so that someone looks at it.
    #[serde(default, deserialize_with = "lenient::text::loose::opt::deserialize", skip_serializing_if = "Option::is_none")]
    pub latest_ship_date_unreadable: Option<String>,
    /// `store`, `channel` (marketplace logistics) or `undefined`.
    #[serde(default, deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub fulfilled_by: Option<String>,
    /// Marketplace commission for the whole order.
    #[serde(default, deserialize_with = "lenient::loose_number::deserialize")]
    pub commission: Option<f64>,
    /// Amounts and payment method.
    #[serde(default, deserialize_with = "lenient::object::deserialize")]
    pub payment: Payment,
    /// Carrier and tracking.
    #[serde(default, deserialize_with = "lenient::loose_object::deserialize")]
    pub shipment: Shipment,
    /// Where the parcel goes.
    #[serde(default, deserialize_with = "lenient::object::deserialize")]
    pub shipping_address: Address,
    /// Who pays.
    #[serde(default, deserialize_with = "lenient::loose_object::deserialize")]
    pub billing_address: Address,
    /// Order lines.
    #[serde(default, deserialize_with = "lenient::list::deserialize")]
    pub items: Vec<Item>,
    /// Original item reference → reference to look up in the shop.
    #[serde(default, deserialize_with = "lenient::string_map::deserialize")]
    pub items_references_aliases: BTreeMap<String, String>,
    /// Raw marketplace data.
    #[serde(default, deserialize_with = "lenient::loose_map::deserialize")]
    pub additional_fields: Fields,
    /// Errors recorded by Shoppingfeed (error acks, failed pushes).
    #[serde(default, deserialize_with = "lenient::list::loose::deserialize")]
    pub errors: Vec<OrderErrorEntry>,
    /// HAL links.
    #[serde(default, rename = "_links", deserialize_with = "lenient::loose_object::deserialize")]
    pub links: OrderLinks,
    /// Embedded channel and tags.
    #[serde(default, rename = "_embedded", deserialize_with = "lenient::object::deserialize")]
    pub embedded: OrderEmbedded,
}

/// `payment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Payment {
    /// Shipping charged to the buyer (tax-inclusive in practice).
    #[serde(deserialize_with = "lenient::number::deserialize")]
    pub shipping_amount: f64,
    /// Sum of the item lines.
    #[serde(deserialize_with = "lenient::number::deserialize")]
    pub product_amount: f64,
    /// Order total.
    #[serde(deserialize_with = "lenient::number::deserialize")]
    pub total_amount: f64,
    /// ISO 4217 code; empty when the marketplace sent none.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub currency: String,
    /// Marketplace's payment label (`AFN` = Amazon fulfilment, `clogistique` = Cdiscount fulfilment).
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub method: String,
    /// Seen only as `"undefined"`.
    #[serde(deserialize_with = "lenient::text::loose::opt::deserialize", skip_serializing_if = "Option::is_none")]
    pub tax_mode: Option<String>,
}

/// `shipment`: the buyer's chosen method on arrival, what was sent after shipping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Shipment {
    /// `full`, or null.
    #[serde(rename = "type", deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub kind: Option<String>,
    /// Carrier or service label.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub carrier: String,
    /// Tracking number.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub tracking_number: String,
    /// Tracking URL (missing in older data).
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub tracking_link: String,
    /// Return label data.
    #[serde(deserialize_with = "lenient::loose_object::deserialize")]
    pub return_info: Option<ReturnInfo>,
}

/// `shipment.returnInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReturnInfo {
    /// Return carrier.
    #[serde(deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub carrier: Option<String>,
    /// Return tracking number.
    #[serde(deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub tracking_number: Option<String>,
}

/// `shippingAddress` / `billingAddress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    /// Often empty on Amazon, whose full name lands in `lastName`.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub first_name: String,
    /// Last name (or the relay name on Cdiscount relay orders).
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub last_name: String,
    /// Company.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub company: String,
    /// Street line 1.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub street: String,
    /// Street line 2.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub street2: String,
    /// Free text: door code, or a relay-point id on some channels.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub other: String,
    /// Postal code.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub postal_code: String,
    /// City.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub city: String,
    /// ISO 3166 alpha-2 (some channels send `UK`).
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub country: String,
    /// Phone.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub phone: String,
    /// Mobile phone.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub mobile_phone: String,
    /// Marketplace e-mail alias of the buyer.
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub email: String,
    /// Province or region (newer payloads).
    #[serde(deserialize_with = "lenient::text::opt::deserialize", skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Pickup-point id (newer payloads).
    #[serde(deserialize_with = "lenient::text::opt::deserialize", skip_serializing_if = "Option::is_none")]
    pub relay_id: Option<String>,
    /// The same spelled `relayID`, as some channels send it (a key of its own: the official modules
    /// read both).
    #[serde(rename = "relayID", deserialize_with = "lenient::text::opt::deserialize", skip_serializing_if = "Option::is_none")]
    pub relay_id_upper: Option<String>,
}

/// One order line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Item {
    /// Shoppingfeed order-item id, needed for partial shipments; absent from some payloads (and from
    /// every official module fixture), dropped when unreadable: such a line can only ship in full.
    #[serde(deserialize_with = "lenient::id::loose::deserialize")]
    pub id: Option<u64>,
    /// Product reference as in the merchant's feed (before aliases).
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub reference: String,
    /// The marketplace's own offer id.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub channel_reference: String,
    /// Product name.
    #[serde(deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub name: Option<String>,
    /// Image URL.
    #[serde(deserialize_with = "lenient::text::loose::opt::deserialize")]
    pub image: Option<String>,
    /// Raw marketplace line status.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub status: String,
    /// Ordered quantity.
    #[serde(deserialize_with = "lenient::count::deserialize")]
    pub quantity: u32,
    /// Unit price, tax-inclusive.
    #[serde(deserialize_with = "lenient::number::deserialize")]
    pub price: f64,
    /// Marketplace commission on the line.
    #[serde(deserialize_with = "lenient::loose_number::deserialize")]
    pub commission: Option<f64>,
    /// Tax amount as sent (line total in the official modules' reading); informative, 0 when unreadable.
    #[serde(deserialize_with = "lenient::loose_number::or_zero::deserialize")]
    pub tax_amount: f64,
    /// Eco-tax amount; 0 when unreadable.
    #[serde(deserialize_with = "lenient::loose_number::or_zero::deserialize")]
    pub ecotax_amount: f64,
    /// Raw marketplace line data (`taxRate`, `article_id`, …).
    #[serde(deserialize_with = "lenient::loose_map::deserialize")]
    pub additional_fields: Fields,
}

/// An entry of `errors`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderErrorEntry {
    /// `operation`, `ship` or `acknowledge`.
    #[serde(rename = "type", deserialize_with = "lenient::text::loose::deserialize")]
    pub kind: String,
    /// Message (an error ack's message lands here).
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub message: String,
    /// When it happened.
    #[serde(with = "lenient::opt_timestamp")]
    pub occurred_at: Option<Timestamp>,
}

/// A HAL link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Link {
    /// Target (relative in practice).
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub href: String,
}

/// `_links` of an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLinks {
    /// `/v1/store/{storeId}/order/{id}`.
    #[serde(rename = "self", deserialize_with = "lenient::loose_object::deserialize")]
    pub self_link: Link,
    /// `/v1/store/{storeId}`.
    #[serde(deserialize_with = "lenient::loose_object::deserialize")]
    pub store: Link,
}

/// `_embedded` of an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderEmbedded {
    /// The marketplace.
    pub channel: Option<Channel>,
    /// Order tags.
    #[serde(deserialize_with = "lenient::list::loose::deserialize")]
    pub tag: Vec<Tag>,
}

/// `_embedded.channel`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Channel {
    /// Channel id.
    #[serde(deserialize_with = "lenient::id::opt::deserialize")]
    pub id: Option<u64>,
    /// Channel name (`Amazon`, `CDiscount`, `Monechelle`, …).
    #[serde(deserialize_with = "lenient::text::deserialize")]
    pub name: String,
    /// `self` and `image` links.
    #[serde(rename = "_links", deserialize_with = "lenient::loose_map::deserialize")]
    pub links: Fields,
}

/// `_embedded.tag[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tag {
    /// Tag id.
    #[serde(deserialize_with = "lenient::id::loose::deserialize")]
    pub id: Option<u64>,
    /// Tag name.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub name: String,
    /// Colour.
    #[serde(deserialize_with = "lenient::text::loose::deserialize")]
    pub hex_color: String,
}

impl Order {
    /// The channel id, from the order or from its embedded channel.
    pub fn channel_id(&self) -> Option<u64> {
        self.channel_id.or_else(|| self.embedded.channel.as_ref().and_then(|c| c.id))
    }

    /// The channel name as Shoppingfeed spells it (empty when not embedded).
    pub fn channel_name(&self) -> &str {
        self.embedded.channel.as_ref().map(|c| c.name.as_str()).unwrap_or("")
    }

    /// A string from `additionalFields`, numbers taken as their text; empty strings count as absent.
    pub fn additional_text(&self, key: &str) -> Option<String> {
        field_text(&self.additional_fields, key)
    }
}

/// Reads a text value out of a free-form map.
pub fn field_text(fields: &Fields, key: &str) -> Option<String> {
    match fields.get(key)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
