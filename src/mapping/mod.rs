//! Shoppingfeed order → shop order draft: what a shop needs to create the order, amounts exactly as
//! the marketplace sent them (never recomputed), references after aliases, relay point, fulfilment.

mod relay;

pub use relay::{RelayPoint, relay_point};

use crate::order::lenient::{Timestamp, clip};
use crate::order::model::{Address, Order, field_text};
use crate::order::{OrderStatus, deadline};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Choices a shop makes about mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MappingOptions {
    /// Currency for orders that arrive without one (the PrestaShop module uses EUR).
    pub default_currency: String,
}

impl Default for MappingOptions {
    fn default() -> Self {
        MappingOptions { default_currency: "EUR".into() }
    }
}

/// Why an order cannot become a shop order; the message goes into the error acknowledge.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MappingError {
    /// No lines.
    #[error("order has no items")]
    NoItems,
    /// A line without a product reference.
    #[error("items[{index}].reference is empty")]
    ItemWithoutReference {
        /// Line index.
        index: usize,
    },
    /// A line with quantity 0.
    #[error("items[{index}].quantity is 0 for reference `{reference}`")]
    ItemWithoutQuantity {
        /// Line index.
        index: usize,
        /// Its reference.
        reference: String,
    },
    /// Not an ISO 4217 code.
    #[error("payment.currency `{value}` is not an ISO 4217 currency code")]
    CurrencyInvalid {
        /// The value sent.
        value: String,
    },
    /// Nowhere to ship: `shippingAddress` missing, null, or with no street, postal code, city or country.
    #[error("shippingAddress is missing: no street, postal code, city or country to ship to")]
    NoShippingAddress,
    /// A negative amount.
    #[error("{field} is negative ({value})")]
    NegativeAmount {
        /// Field path.
        field: String,
        /// Value sent.
        value: f64,
    },
}

impl MappingError {
    /// Stable discriminant for JS.
    pub fn code(&self) -> &'static str {
        match self {
            MappingError::NoItems => "NoItems",
            MappingError::NoShippingAddress => "NoShippingAddress",
            MappingError::ItemWithoutReference { .. } => "ItemWithoutReference",
            MappingError::ItemWithoutQuantity { .. } => "ItemWithoutQuantity",
            MappingError::CurrencyInvalid { .. } => "CurrencyInvalid",
            MappingError::NegativeAmount { .. } => "NegativeAmount",
        }
    }
}

/// The channel an order came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelRef {
    /// Channel id.
    pub id: Option<u64>,
    /// Channel name as Shoppingfeed spells it.
    pub name: String,
}

/// One order line for the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftLine {
    /// Shoppingfeed item id (for partial shipments).
    pub item_id: Option<u64>,
    /// Reference to look up in the shop: the alias when `itemsReferencesAliases` has one.
    pub sku: String,
    /// The reference as the marketplace sent it.
    pub original_reference: String,
    /// The marketplace's offer id.
    pub channel_reference: String,
    /// Product name.
    pub name: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price as sent (tax-inclusive).
    pub unit_price: f64,
    /// Tax amount as sent.
    pub tax_amount: f64,
    /// Eco-tax as sent.
    pub ecotax_amount: f64,
    /// Image URL.
    pub image: Option<String>,
}

/// An address for the shop, names and country tidied, relay point attached to the shipping one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftAddress {
    /// First name (empty when the marketplace put the whole name in `lastName`).
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: String,
    /// Street lines (empty ones dropped).
    pub street: Vec<String>,
    /// Free text (door code, relay code…).
    pub other: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166 alpha-2, upper case (`UK` → `GB`).
    pub country: String,
    /// Province or region.
    pub province: String,
    /// Phone (mobile first, as carriers want a reachable number).
    pub phone: String,
    /// E-mail.
    pub email: String,
}

/// A price adjustment the marketplace reported in `additionalFields` (vouchers, fees).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    /// The `additionalFields` key (`seller_voucher`, `INTERETBCA`, …).
    pub kind: String,
    /// Amount as sent.
    pub amount: f64,
}

/// What the shop needs to create the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDraft {
    /// Shoppingfeed order id: the idempotency key.
    pub shoppingfeed_id: u64,
    /// Shoppingfeed store id.
    pub store_id: Option<u64>,
    /// Marketplace order number.
    pub reference: String,
    /// Marketplace.
    pub channel: ChannelRef,
    /// Shoppingfeed status at import.
    pub status: OrderStatus,
    /// Created on the marketplace.
    pub created_at: Option<String>,
    /// Ship-by deadline.
    pub latest_ship_date: Option<String>,
    /// The ship-by date as sent when it could not be read: the deadline is unknown, not absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_ship_date_unreadable: Option<String>,
    /// ISO 4217.
    pub currency: String,
    /// Lines.
    pub lines: Vec<DraftLine>,
    /// Shipping charged, as sent.
    pub shipping_amount: f64,
    /// Products total, as sent.
    pub product_amount: f64,
    /// Order total, as sent.
    pub total_amount: f64,
    /// Sum of line taxes plus Amazon's `shipping_tax`, as sent.
    pub tax_amount: f64,
    /// Payment label.
    pub payment_method: String,
    /// Carrier or service the buyer chose.
    pub carrier: String,
    /// Shipping address.
    pub shipping_address: DraftAddress,
    /// Billing address.
    pub billing_address: DraftAddress,
    /// Buyer e-mail (billing first).
    pub buyer_email: String,
    /// Pickup point, when the buyer chose one.
    pub relay_point: Option<RelayPoint>,
    /// Shipped by the marketplace's logistics (FBA and the like): no stock effect.
    pub fulfilled_by_channel: bool,
    /// B2B order.
    pub business: bool,
    /// Buyer VAT id.
    pub vat_id: Option<String>,
    /// Vouchers and fees.
    pub adjustments: Vec<Adjustment>,
    /// Test order.
    pub is_test: bool,
    /// Personal data removed (`#GDPR`).
    pub anonymized: bool,
}

/// Whether the marketplace fulfils the order itself (API reference §6.6): `fulfilledBy: channel`, a
/// payment method of `AFN` (Amazon) or `clogistique` (Cdiscount), or ManoMano's `env=epmm`. Like the
/// PrestaShop module (`ShippedByMarketplace::isShippedByMarketplace`, whose tests expect its Amazon files
/// paid `clogistique` or flagged `epmm` to be marketplace-fulfilled), the markers count whatever the
/// channel: they are never sent by a seller-fulfilled order, and channel names change (`Monechelle`,
/// `manomanopro`, white-label Mirakl shops).
pub fn is_fulfilled_by_channel(order: &Order) -> bool {
    if order.fulfilled_by.as_deref().is_some_and(|f| f.trim().eq_ignore_ascii_case("channel")) {
        return true;
    }
    let method = order.payment.method.trim();
    method.eq_ignore_ascii_case("AFN")
        || method.eq_ignore_ascii_case("clogistique")
        || order.additional_text("env").is_some_and(|e| e.eq_ignore_ascii_case("epmm"))
}

/// The buyer's VAT id, from the fields marketplaces use for it.
pub fn vat_id(order: &Order) -> Option<String> {
    ["tax_registration_id", "intraco_vat_number", "numero-tva-ue", "billing_fiscal_number"]
        .iter()
        .find_map(|k| order.additional_text(k))
        .map(|v| clean(&v))
}

/// Marketplace text with control characters removed and ends trimmed; it stays untrusted text.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string()
}

fn address(a: &Address) -> DraftAddress {
    let country = clean(&a.country).to_ascii_uppercase();
    let phone = if !a.mobile_phone.trim().is_empty() { &a.mobile_phone } else { &a.phone };
    DraftAddress {
        first_name: clean(&a.first_name),
        last_name: clean(&a.last_name),
        company: clean(&a.company),
        street: [&a.street, &a.street2].iter().map(|s| clean(s)).filter(|s| !s.is_empty()).collect(),
        other: clean(&a.other),
        postal_code: clean(&a.postal_code),
        city: clean(&a.city),
        country: if country == "UK" { "GB".into() } else { country },
        province: a.province.as_deref().map(clean).unwrap_or_default(),
        phone: clean(phone),
        email: clean(&a.email),
    }
}

fn iso(t: &Option<Timestamp>) -> Option<String> {
    t.as_ref().map(crate::order::lenient::format_timestamp)
}

/// Whether an address gives a carrier somewhere to go. Absent, `null` and `{}` all parse to the empty
/// address; names, phone or e-mail alone are not a destination. Any one of street, postal code, city or
/// country is enough to let the shop decide (some countries have no postal codes, relay orders carry
/// the point's address).
pub fn has_destination(a: &Address) -> bool {
    [&a.street, &a.street2, &a.postal_code, &a.city, &a.country].iter().any(|f| !clean(f).is_empty())
}

/// Maps a Shoppingfeed order to a shop order draft.
pub fn to_draft(order: &Order, options: &MappingOptions) -> Result<OrderDraft, MappingError> {
    if order.items.is_empty() {
        return Err(MappingError::NoItems);
    }
    if !has_destination(&order.shipping_address) {
        return Err(MappingError::NoShippingAddress);
    }
    let mut lines = Vec::with_capacity(order.items.len());
    for (index, item) in order.items.iter().enumerate() {
        let original = clean(&item.reference);
        if original.is_empty() {
            return Err(MappingError::ItemWithoutReference { index });
        }
        if item.quantity == 0 {
            return Err(MappingError::ItemWithoutQuantity { index, reference: clip(&original) });
        }
        for (field, value) in [("price", item.price), ("taxAmount", item.tax_amount)] {
            if value < 0.0 {
                return Err(MappingError::NegativeAmount { field: format!("items[{index}].{field}"), value });
            }
        }
        let sku = order
            .items_references_aliases
            .get(&item.reference)
            .or_else(|| order.items_references_aliases.get(&original))
            .map(|a| clean(a))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| original.clone());
        lines.push(DraftLine {
            item_id: item.id,
            sku,
            original_reference: original,
            channel_reference: clean(&item.channel_reference),
            name: item.name.as_deref().map(clean).unwrap_or_default(),
            quantity: item.quantity,
            unit_price: item.price,
            tax_amount: item.tax_amount,
            ecotax_amount: item.ecotax_amount,
            image: item.image.clone().filter(|i| !i.trim().is_empty()),
        });
    }
    let p = &order.payment;
    for (field, value) in [
        ("payment.shippingAmount", p.shipping_amount),
        ("payment.productAmount", p.product_amount),
        ("payment.totalAmount", p.total_amount),
    ] {
        if value < 0.0 {
            return Err(MappingError::NegativeAmount { field: field.into(), value });
        }
    }
    let currency = match p.currency.trim() {
        "" => options.default_currency.clone(),
        c if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
        c => return Err(MappingError::CurrencyInvalid { value: clip(c) }),
    };
    let shipping_tax = order.additional_text("shipping_tax").and_then(|s| s.replace(',', ".").parse::<f64>().ok()).unwrap_or(0.0);
    let tax_amount = lines.iter().map(|l| l.tax_amount).sum::<f64>() + shipping_tax;
    let billing = address(&order.billing_address);
    let shipping = address(&order.shipping_address);
    let buyer_email = if billing.email.is_empty() { shipping.email.clone() } else { billing.email.clone() };
    let vat = vat_id(order);
    let business = order.additional_text("is_business_order").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")) || vat.is_some();
    let adjustments = ["seller_voucher", "channel_voucher", "INTERETBCA", "FRAISTRAITEMENT"]
        .iter()
        .filter_map(|k| {
            let amount = field_text(&order.additional_fields, k)?.replace(',', ".").parse::<f64>().ok()?;
            (amount != 0.0).then(|| Adjustment { kind: (*k).to_string(), amount })
        })
        .collect();
    Ok(OrderDraft {
        shoppingfeed_id: order.id,
        store_id: order.store_id,
        reference: clean(&order.reference),
        channel: ChannelRef { id: order.channel_id(), name: clean(order.channel_name()) },
        status: order.status.clone(),
        created_at: iso(&order.created_at),
        latest_ship_date: iso(&order.latest_ship_date),
        latest_ship_date_unreadable: order.latest_ship_date_unreadable.clone(),
        currency,
        lines,
        shipping_amount: p.shipping_amount,
        product_amount: p.product_amount,
        total_amount: p.total_amount,
        tax_amount,
        payment_method: clean(&p.method),
        carrier: clean(&order.shipment.carrier),
        shipping_address: shipping,
        billing_address: billing,
        buyer_email,
        relay_point: relay_point(order),
        fulfilled_by_channel: is_fulfilled_by_channel(order),
        business,
        vat_id: vat,
        adjustments,
        is_test: order.is_test,
        anonymized: order.anonymized,
    })
}

/// Deadline status of an order at `now`, for lists and dashboards (an unreadable ship-by date is at
/// risk: [`deadline::deadline_sent`]).
pub fn order_deadline(order: &Order, now: chrono::DateTime<chrono::Utc>) -> deadline::Deadline {
    deadline::deadline_sent(order.latest_ship_date.as_ref(), order.latest_ship_date_unreadable.is_some(), order.created_at.as_ref(), now)
}
