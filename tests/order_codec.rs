//! Native tests of the order layer (`src/order`): parsing the three shared fixtures field by field,
//! lenient shapes, malformed orders, the lifecycle table, channel support, ship validation and
//! deadlines. Expectations come from `docs/shoppingfeed-api.md` §1.4, §3, §4 and §5.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::float_cmp)]

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{assert_ts, fixture, woo_fixture};
use serde_json::{Value, json};
use shoppingfeed_orders::mapping::{MappingError, MappingOptions, order_deadline, relay_point, to_draft};
use shoppingfeed_orders::order::deadline::{AT_RISK_SHARE, DeadlineState, deadline};
use shoppingfeed_orders::order::lenient::{Timestamp, format_timestamp, format_utc, parse_timestamp};
use shoppingfeed_orders::order::lifecycle::check;
use shoppingfeed_orders::order::model::{Link, ReturnInfo};
use shoppingfeed_orders::order::shipment::{
    MAX_TRACKING_URL, OrderedLine, ReturnLabel, check_tracking_url, is_placeholder_tracking, ordered_lines, validate,
};
use shoppingfeed_orders::order::{
    ChannelSupport, Operation, Order, OrderError, OrderStatus, ShipLine, ShipRequest, ShipmentError, allowances, parse_order,
    parse_order_value,
};
use std::collections::BTreeMap;

const AMAZON: &str = "prestashop_order-amazon-business.json";
const DISCOUNT: &str = "prestashop_order-with-discount.json";
const WOO_ID: u64 = 20_123_456_789;
const WOO_REF: &str = "WOO-REF-42 é&\"x\"";

fn amazon() -> Order {
    parse_order(&fixture(AMAZON)).unwrap()
}

fn discount() -> Order {
    parse_order(&fixture(DISCOUNT)).unwrap()
}

fn woo() -> Order {
    // The reference is put inside existing quotes: escape it as JSON string content.
    let escaped = serde_json::to_string(WOO_REF).unwrap();
    parse_order(&woo_fixture(WOO_ID, &escaped[1..escaped.len() - 1])).unwrap()
}

/// A minimal valid order with `extra` merged in at top level.
fn order_with(extra: Value) -> Result<Order, OrderError> {
    let mut v = json!({"id": 1, "reference": "R-1"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    parse_order(&v.to_string())
}

fn malformed(err: OrderError) -> (String, String) {
    match err {
        OrderError::Malformed { field, message } => (field, message),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// Fixture: PrestaShop Amazon business order
// ---------------------------------------------------------------------------------------------

#[test]
fn amazon_fixture_top_level_fields() {
    let o = amazon();
    assert_eq!(o.id, 19_777_592_554);
    assert_eq!(o.store_id, Some(26898));
    assert_eq!(o.channel_id, Some(66));
    assert_eq!(o.channel_id(), Some(66));
    assert_eq!(o.reference, "408-7273836-0105146");
    assert_eq!(o.store_reference.as_deref(), Some("231338"));
    assert!(!o.is_test);
    assert_eq!(o.status, OrderStatus::WaitingShipment);
    assert!(!o.anonymized);
    assert_ts(o.acknowledged_at.as_ref(), "2024-08-26T14:55:04+02:00");
    assert_ts(o.created_at.as_ref(), "2024-08-26T14:19:19+02:00");
    assert_ts(o.updated_at.as_ref(), "2024-08-26T14:47:35+02:00");
    // "2024-08-29 21:59:59": no offset, taken as UTC (§1.4).
    assert_ts(o.latest_ship_date.as_ref(), "2024-08-29T21:59:59+00:00");
    assert_eq!(o.latest_ship_date.unwrap(), Utc.with_ymd_and_hms(2024, 8, 29, 21, 59, 59).unwrap());
    assert_eq!(o.fulfilled_by.as_deref(), Some("store"));
    assert_eq!(o.commission, None);
}

#[test]
fn amazon_fixture_payment_and_shipment() {
    let o = amazon();
    let p = &o.payment;
    assert_eq!(p.shipping_amount, 0.0);
    assert_eq!(p.product_amount, 107.4);
    assert_eq!(p.total_amount, 107.4);
    assert_eq!(p.currency, "EUR");
    assert_eq!(p.method, "MFN");
    assert_eq!(p.tax_mode.as_deref(), Some("undefined"));

    let s = &o.shipment;
    assert_eq!(s.kind, None, "type: null");
    assert_eq!(s.carrier, "Std FR Dom_1");
    assert_eq!(s.tracking_number, "");
    assert_eq!(s.tracking_link, "");
    assert_eq!(s.return_info, Some(ReturnInfo { carrier: None, tracking_number: None }));
}

#[test]
fn amazon_fixture_addresses() {
    let o = amazon();
    for a in [&o.shipping_address, &o.billing_address] {
        assert_eq!(a.first_name, "");
        assert_eq!(a.last_name, "Bernard Martin");
        assert_eq!(a.company, "202 ecommerce");
        assert_eq!(a.street, "10 rue Vivienne");
        assert_eq!(a.street2, "");
        assert_eq!(a.other, "");
        assert_eq!(a.postal_code, "75002");
        assert_eq!(a.city, "Paris");
        assert_eq!(a.country, "FR");
        assert_eq!(a.phone, "0123456789");
        assert_eq!(a.mobile_phone, "0623456789");
        assert_eq!(a.email, "unique.id@test.net");
        assert_eq!(a.province, None, "no province key in this fixture");
        assert_eq!(a.relay_id, None);
    }
    assert_eq!(o.shipping_address, o.billing_address);
}

#[test]
fn amazon_fixture_items() {
    let o = amazon();
    assert_eq!(o.items.len(), 1);
    let i = &o.items[0];
    assert_eq!(i.id, None, "module fixtures carry no item id (§3.5)");
    assert_eq!(i.reference, "8");
    assert_eq!(i.channel_reference, "41281286961602");
    assert_eq!(i.name.as_deref(), Some("Macaron - 6 verres à pied 60 cl"));
    assert_eq!(i.image.as_deref(), Some("https://www.tabledemarque.com/2381-zoom_default/product.jpg"));
    assert_eq!(i.status, "");
    assert_eq!(i.quantity, 2);
    assert_eq!(i.price, 53.7);
    assert_eq!(i.commission, None);
    assert_eq!(i.tax_amount, 10.74);
    assert_eq!(i.ecotax_amount, 0.0);
    assert!(i.additional_fields.is_empty(), "additionalFields: null → empty");
    // productAmount = Σ price × quantity (§3.5).
    assert_eq!(i.price * f64::from(i.quantity), o.payment.product_amount);
}

#[test]
fn amazon_fixture_maps_errors_links_embedded() {
    let o = amazon();
    assert!(o.items_references_aliases.is_empty(), "itemsReferencesAliases: null → empty");
    assert_eq!(
        o.additional_fields,
        obj(json!({
            "is_ispu": "",
            "is_prime": "",
            "shipping_tax": "0",
            "is_business_order": "1",
            "purchase_order_number": ""
        }))
    );
    assert_eq!(o.additional_text("is_business_order").as_deref(), Some("1"));
    assert_eq!(o.additional_text("shipping_tax").as_deref(), Some("0"));
    assert_eq!(o.additional_text("is_prime"), None, "empty string counts as absent");
    assert_eq!(o.additional_text("nope"), None);
    assert!(o.errors.is_empty());
    assert_eq!(o.links.self_link, Link { href: "/v1/store/26898/order/19777592554".into() });
    assert_eq!(o.links.store, Link { href: "/v1/store/26898".into() });
    let ch = o.embedded.channel.as_ref().unwrap();
    assert_eq!(ch.id, Some(66));
    assert_eq!(ch.name, "Amazon");
    assert_eq!(o.channel_name(), "Amazon");
    assert_eq!(
        ch.links,
        obj(json!({
            "self": {"href": "/v1/channel/66"},
            "image": {"href": "https://assets.shopping-feed.com/channel/logo/Amazon.png"}
        }))
    );
    assert!(o.embedded.tag.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Fixture: PrestaShop ManoMano (Monechelle) order with discount
// ---------------------------------------------------------------------------------------------

#[test]
fn discount_fixture_top_level_fields() {
    let o = discount();
    assert_eq!(o.id, 19_503_675_601);
    assert_eq!(o.store_id, Some(26317));
    assert_eq!(o.channel_id, Some(259));
    assert_eq!(o.reference, "M240571903601");
    assert_eq!(o.store_reference.as_deref(), Some("1010063201"));
    assert!(!o.is_test);
    assert_eq!(o.status, OrderStatus::WaitingShipment);
    assert!(!o.anonymized);
    assert_ts(o.acknowledged_at.as_ref(), "2024-05-25T20:01:33+02:00");
    assert_ts(o.created_at.as_ref(), "2024-05-25T21:36:07+02:00");
    assert_ts(o.updated_at.as_ref(), "2024-05-27T21:32:01+02:00");
    assert_eq!(o.latest_ship_date, None, "latestShipDate: null");
    assert_eq!(o.fulfilled_by.as_deref(), Some("store"));
    assert_eq!(o.commission, None);
}

#[test]
fn discount_fixture_payment_and_shipment() {
    let o = discount();
    assert_eq!(o.payment.shipping_amount, 0.0);
    assert_eq!(o.payment.product_amount, 213.46);
    assert_eq!(o.payment.total_amount, 213.46);
    assert_eq!(o.payment.currency, "EUR");
    assert_eq!(o.payment.method, "");
    assert_eq!(o.payment.tax_mode.as_deref(), Some("undefined"));
    assert_eq!(o.shipment.kind.as_deref(), Some("full"));
    assert_eq!(o.shipment.carrier, "DPD");
    assert_eq!(o.shipment.tracking_number, "123456789");
    assert_eq!(o.shipment.tracking_link, "https://trace.dpd.fr/trace/123456789");
    assert_eq!(o.shipment.return_info, Some(ReturnInfo { carrier: None, tracking_number: None }));
}

#[test]
fn discount_fixture_addresses_with_province() {
    let o = discount();
    for a in [&o.shipping_address, &o.billing_address] {
        assert_eq!(a.first_name, "John");
        assert_eq!(a.last_name, "Dow");
        assert_eq!(a.company, "202 ecommerce");
        assert_eq!(a.street, "10 rue Vivienne");
        assert_eq!(a.street2, "");
        assert_eq!(a.other, "");
        assert_eq!(a.postal_code, "75001");
        assert_eq!(a.city, "Paris");
        assert_eq!(a.country, "FR");
        assert_eq!(a.phone, "0123456789");
        assert_eq!(a.mobile_phone, "");
        assert_eq!(a.province.as_deref(), Some(""), "province key present but empty");
        assert_eq!(a.email, "unique-07102025@test.com");
        assert_eq!(a.relay_id, None);
    }
}

#[test]
fn discount_fixture_items_and_maps() {
    let o = discount();
    assert_eq!(o.items.len(), 1);
    let i = &o.items[0];
    assert_eq!(i.id, None);
    assert_eq!(i.reference, "1");
    assert_eq!(i.channel_reference, "0");
    assert_eq!(i.name.as_deref(), Some("Mug Today is a good day"));
    assert_eq!(i.image.as_deref(), Some("http://localhost/img/p/1/1-small_default.jpg"));
    assert_eq!(i.status, "");
    assert_eq!(i.quantity, 1);
    assert_eq!(i.price, 263.46);
    assert_eq!(i.commission, None);
    assert_eq!(i.tax_amount, 43.91);
    assert_eq!(i.ecotax_amount, 0.0);
    assert_eq!(i.additional_fields, obj(json!({"taxRate": 43.91})));
    assert_eq!(i.additional_fields["taxRate"].as_f64(), Some(43.91));

    assert!(o.items_references_aliases.is_empty());
    assert_eq!(
        o.additional_fields,
        obj(json!({
            "seller_voucher": "50",
            "channel_voucher": "0",
            "intraco_vat_number": "",
            "billing_fiscal_number": "",
            "buyer_identification_number": ""
        }))
    );
    assert_eq!(o.additional_text("seller_voucher").as_deref(), Some("50"));
    // Item price 263.46 − voucher 50 = productAmount 213.46.
    assert!((i.price - 50.0 - o.payment.product_amount).abs() < 1e-9);
    assert!(o.errors.is_empty());
}

#[test]
fn discount_fixture_links_and_embedded() {
    let o = discount();
    // The fixture's links name store 26301 while storeId is 26317 (hand-edited data): kept verbatim.
    assert_eq!(o.links.self_link.href, "/v1/store/26301/order/19503675601");
    assert_eq!(o.links.store.href, "/v1/store/26301");
    let ch = o.embedded.channel.as_ref().unwrap();
    assert_eq!(ch.id, Some(259));
    assert_eq!(ch.name, "Monechelle");
    assert_eq!(
        ch.links,
        obj(json!({
            "self": {"href": "/v1/channel/259"},
            "image": {"href": "https://assets.shopping-feed.com/channel/logo/Monechelle.png"}
        }))
    );
    assert!(o.embedded.tag.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Fixture: WooCommerce template with aliases
// ---------------------------------------------------------------------------------------------

#[test]
fn woo_template_is_not_parseable_until_substituted() {
    let raw = fixture("woocommerce_simple-order-sku-reference-alias.json");
    assert!(raw.contains("%order_id%") && raw.contains("%%order_id%%") && raw.contains("%order_reference%"));
    // Refused; the exact kind (NotJson) is asserted by the ignored `syntax_errors_are_not_json`.
    assert!(parse_order(&raw).is_err());
}

#[test]
fn woo_fixture_top_level_fields() {
    let o = woo();
    assert_eq!(o.id, WOO_ID);
    assert_eq!(o.store_id, Some(44855));
    assert_eq!(o.channel_id, Some(111));
    assert_eq!(o.reference, WOO_REF);
    assert_eq!(o.store_reference.as_deref(), Some(""));
    assert!(o.is_test);
    assert_eq!(o.status, OrderStatus::WaitingShipment);
    assert!(!o.anonymized);
    assert_eq!(o.acknowledged_at, None, "acknowledgedAt: null");
    assert_ts(o.created_at.as_ref(), "2023-05-09T14:46:22+02:00");
    assert_ts(o.updated_at.as_ref(), "2023-05-09T14:46:22+02:00");
    assert_eq!(o.latest_ship_date, None);
    assert_eq!(o.fulfilled_by.as_deref(), Some("store"));
    assert_eq!(o.commission, None);
}

#[test]
fn woo_fixture_payment_shipment_addresses() {
    let o = woo();
    assert_eq!(o.payment.shipping_amount, 20.0);
    assert_eq!(o.payment.product_amount, 45.0);
    assert_eq!(o.payment.total_amount, 65.0);
    assert_eq!(o.payment.currency, "EUR");
    assert_eq!(o.payment.method, "");
    assert_eq!(o.payment.tax_mode, None, "no taxMode key");
    assert_eq!(o.shipment.kind, None, "no type key");
    assert_eq!(o.shipment.carrier, "Colissimo");
    assert_eq!(o.shipment.tracking_number, "");
    assert_eq!(o.shipment.tracking_link, "");
    assert_eq!(o.shipment.return_info, None, "no returnInfo key");
    for a in [&o.shipping_address, &o.billing_address] {
        assert_eq!(a.first_name, "Pierre");
        assert_eq!(a.last_name, "Martin");
        assert_eq!(a.company, "Be API");
        assert_eq!(a.street, "123 rue des petits champs");
        assert_eq!(a.street2, "");
        assert_eq!(a.other, "");
        assert_eq!(a.postal_code, "75000");
        assert_eq!(a.city, "Paris");
        assert_eq!(a.country, "FR");
        assert_eq!(a.phone, "0123456789");
        assert_eq!(a.mobile_phone, "0612345789");
        assert_eq!(a.email, "pm@example.com");
        assert_eq!(a.province, None);
        assert_eq!(a.relay_id, None);
    }
}

#[test]
fn woo_fixture_items_aliases_links() {
    let o = woo();
    assert_eq!(o.items.len(), 1);
    let i = &o.items[0];
    assert_eq!(i.id, None);
    assert_eq!(i.reference, "colored-hoodie");
    assert_eq!(i.channel_reference, "11");
    assert_eq!(i.name.as_deref(), Some("Hoodie"));
    assert_eq!(i.image.as_deref(), Some("https://shopping-feed.beapi.science/app/uploads/2020/05/hoodie-2.jpg"));
    assert_eq!(i.status, "");
    assert_eq!(i.quantity, 1);
    assert_eq!(i.price, 45.0);
    assert_eq!(i.commission, None);
    assert_eq!(i.tax_amount, 0.0);
    assert_eq!(i.ecotax_amount, 0.0);
    assert!(i.additional_fields.is_empty());

    let aliases: BTreeMap<String, String> = [("colored-hoodie".to_string(), "woo-hoodie-with-logo".to_string())].into();
    assert_eq!(o.items_references_aliases, aliases);
    assert_eq!(o.items_references_aliases.get(&i.reference).map(String::as_str), Some("woo-hoodie-with-logo"));
    assert_eq!(o.additional_fields, obj(json!({"isTestOrder": "1"})));
    assert!(o.errors.is_empty());
    assert_eq!(o.links.self_link.href, format!("/v1/store/44855/order/{WOO_ID}"));
    assert_eq!(o.links.store.href, "/v1/store/44855");
    let ch = o.embedded.channel.as_ref().unwrap();
    assert_eq!(ch.id, Some(111));
    assert_eq!(ch.name, "CDiscount");
    assert_eq!(ch.links["self"]["href"], "/v1/channel/111");
    assert_eq!(ch.links["image"]["href"], "https://assets.shopping-feed.com/channel/logo/CDiscount.png");
    assert!(o.embedded.tag.is_empty());
}

#[test]
fn fixtures_round_trip_through_serialize() {
    for o in [amazon(), discount(), woo()] {
        let text = serde_json::to_string(&o).unwrap();
        let back = parse_order(&text).unwrap();
        assert_eq!(back, o, "{text}");
        // Offsets survive: serialized dates keep theirs.
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["createdAt"], json!(format_timestamp(o.created_at.as_ref().unwrap())));
        assert_eq!(v["status"], json!("waiting_shipment"));
    }
}

#[test]
fn parse_order_value_matches_parse_order() {
    let text = fixture(AMAZON);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parse_order_value(&v).unwrap(), parse_order(&text).unwrap());
}

#[test]
fn ordered_lines_from_fixture() {
    assert_eq!(ordered_lines(&amazon()), vec![OrderedLine { id: None, quantity: 2 }]);
    let o = order_with(json!({"items": [{"id": 7, "quantity": 3}, {"id": "8", "quantity": "1"}]})).unwrap();
    assert_eq!(ordered_lines(&o), vec![OrderedLine { id: Some(7), quantity: 3 }, OrderedLine { id: Some(8), quantity: 1 }]);
}

// ---------------------------------------------------------------------------------------------
// Lenient shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_and_null_dates_are_none() {
    let o = order_with(json!({"createdAt": "", "updatedAt": null, "acknowledgedAt": "  ", "latestShipDate": ""})).unwrap();
    assert_eq!(o.created_at, None);
    assert_eq!(o.updated_at, None);
    assert_eq!(o.acknowledged_at, None);
    assert_eq!(o.latest_ship_date, None);
    let absent = order_with(json!({})).unwrap();
    assert_eq!(absent.created_at, None);
    assert_eq!(absent.latest_ship_date, None);
}

#[test]
fn date_forms() {
    let o = order_with(json!({
        "createdAt": "2024-08-26 14:19:19",
        "updatedAt": "2024-08-26T14:19:19",
        "acknowledgedAt": "2024-08-26T14:19:19+0200",
        "latestShipDate": "2024-08-29T21:59:59-0530",
    }))
    .unwrap();
    assert_ts(o.created_at.as_ref(), "2024-08-26T14:19:19+00:00");
    assert_ts(o.updated_at.as_ref(), "2024-08-26T14:19:19+00:00");
    assert_ts(o.acknowledged_at.as_ref(), "2024-08-26T14:19:19+02:00");
    assert_ts(o.latest_ship_date.as_ref(), "2024-08-29T21:59:59-05:30");
}

#[test]
fn parse_timestamp_variants() {
    let cases: &[(&str, &str)] = &[
        ("2024-08-26T14:55:04+02:00", "2024-08-26T14:55:04+02:00"),
        ("2024-08-26T12:55:04Z", "2024-08-26T12:55:04+00:00"),
        ("2024-08-26T14:55:04+0200", "2024-08-26T14:55:04+02:00"),
        ("2024-08-26 14:55:04+02:00", "2024-08-26T14:55:04+02:00"),
        ("2024-08-26 14:55:04+0200", "2024-08-26T14:55:04+02:00"),
        ("2024-08-26T14:55:04.250+0200", "2024-08-26T14:55:04.250+02:00"),
        ("2024-08-29 21:59:59", "2024-08-29T21:59:59+00:00"),
        ("2024-08-29T21:59:59", "2024-08-29T21:59:59+00:00"),
        ("2024-08-29T21:59:59.5", "2024-08-29T21:59:59.500+00:00"),
        ("  2024-08-29 21:59:59  ", "2024-08-29T21:59:59+00:00"),
        ("2024-08-29", "2024-08-29T00:00:00+00:00"),
    ];
    for (raw, want) in cases {
        assert_ts(parse_timestamp(raw).as_ref(), want);
    }
    for bad in ["", "   ", "yesterday", "29/08/2024", "2024-13-01 00:00:00", "2025-01-15CET10:00:00"] {
        assert_eq!(parse_timestamp(bad), None, "{bad:?}");
    }
}

#[test]
fn format_timestamp_is_php_c() {
    let t = DateTime::parse_from_rfc3339("2024-08-26T14:55:04.999+02:00").unwrap();
    assert_eq!(format_timestamp(&t), "2024-08-26T14:55:04+02:00");
    assert_eq!(format_utc(&Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()), "2024-05-01T10:00:00+00:00");
}

/// The amazon-business fixture with `extra` merged in at top level (a real order, one odd value).
fn amazon_with(extra: Value) -> Result<Order, OrderError> {
    let mut v: Value = serde_json::from_str(&fixture(AMAZON)).unwrap();
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    parse_order(&v.to_string())
}

/// BUG (issue 11): an `errors[0].occurredAt` of `"string"` (the API reference's own example) or an
/// `updatedAt` of `0000-00-00 00:00:00` (MySQL's zero date) made the whole paid order Malformed, so it was
/// error-acknowledged and never imported. Dates nothing depends on are dropped when unreadable.
#[test]
fn unreadable_non_essential_dates_are_dropped() {
    let o = amazon_with(json!({
        "errors": [{"type": "acknowledge", "message": "Out of stock", "occurredAt": "string"}],
        "updatedAt": "0000-00-00 00:00:00",
        "acknowledgedAt": "0000-00-00",
        "createdAt": 1_724_674_759,
    }))
    .unwrap();
    assert_eq!(o.updated_at, None);
    assert_eq!(o.acknowledged_at, None);
    assert_eq!(o.created_at, None, "a number is not a date the API writes: dropped");
    assert_eq!(o.errors.len(), 1, "the entry is kept, only its date is dropped");
    assert_eq!(o.errors[0].message, "Out of stock");
    assert_eq!(o.errors[0].occurred_at, None);
    // What the shop needs is untouched.
    assert_eq!((o.id, o.reference.as_str()), (amazon().id, amazon().reference.as_str()));
    assert_eq!(o.items, amazon().items);
    assert_eq!(o.payment, amazon().payment);
    assert_ts(o.latest_ship_date.as_ref(), "2024-08-29T21:59:59+00:00");
    assert_eq!(o.latest_ship_date_unreadable, None);
}

/// A ship-by date that cannot be read does not refuse the order, but a deadline must not vanish
/// silently: the text is kept, the draft carries it and the deadline counts as at risk (not "none",
/// which would tell the merchant the marketplace set no deadline at all). A MySQL zero date or a blank
/// means "no date" and stays absent.
#[test]
fn unreadable_latest_ship_date_stays_visible() {
    let o = amazon_with(json!({"latestShipDate": "next tuesday"})).unwrap();
    assert_eq!(o.latest_ship_date, None);
    assert_eq!(o.latest_ship_date_unreadable.as_deref(), Some("next tuesday"));
    let draft = to_draft(&o, &MappingOptions::default()).unwrap();
    assert_eq!(draft.latest_ship_date, None);
    assert_eq!(draft.latest_ship_date_unreadable.as_deref(), Some("next tuesday"));
    assert_eq!(serde_json::to_value(&draft).unwrap()["latestShipDateUnreadable"], "next tuesday");
    let now = Utc.with_ymd_and_hms(2024, 8, 27, 12, 0, 0).unwrap();
    assert_eq!(order_deadline(&o, now).state, DeadlineState::AtRisk);
    // Kept through a serialize/parse round trip (the journal stores the order as JSON).
    let again = parse_order(&serde_json::to_string(&o).unwrap()).unwrap();
    assert_eq!(again.latest_ship_date_unreadable.as_deref(), Some("next tuesday"));
    let number = amazon_with(json!({"latestShipDate": 1_724_968_799})).unwrap();
    assert_eq!(number.latest_ship_date_unreadable.as_deref(), Some("1724968799"));
    for none in [json!(null), json!(""), json!("0000-00-00 00:00:00")] {
        let o = amazon_with(json!({"latestShipDate": none})).unwrap();
        assert_eq!((o.latest_ship_date, o.latest_ship_date_unreadable.as_deref()), (None, None), "{none}");
        assert_eq!(order_deadline(&o, now).state, DeadlineState::None, "{none}");
    }
    // A readable date is not flagged, and a valid order has no such key once serialized.
    assert!(serde_json::to_value(amazon()).unwrap().get("latestShipDateUnreadable").is_none());
}

/// BUG (issue 11): empty strings, placeholders and unknown or mistyped values in fields no shop decision
/// rests on refused the whole order (an object where a label was expected, a commission of `"n/a"`, a
/// tag id of `"x"`). Each is now kept as text or dropped, on a real order.
#[test]
fn odd_non_essential_fields_do_not_refuse_a_real_order() {
    let mut v: Value = serde_json::from_str(&fixture(AMAZON)).unwrap();
    v["storeId"] = json!("n/a");
    v["storeReference"] = json!({"id": 3});
    v["fulfilledBy"] = json!({"by": "store"});
    v["commission"] = json!("n/a");
    v["payment"]["taxMode"] = json!(["HT"]);
    v["payment"]["method"] = json!("");
    v["shipment"]["type"] = json!("express_plus");
    v["shipment"]["carrier"] = json!(["Std FR Dom_1"]);
    v["shipment"]["returnInfo"] = json!("none");
    v["billingAddress"]["city"] = json!({"name": "Paris"});
    v["additionalFields"] = json!("");
    v["errors"] = json!([{"type": {"x": 1}, "message": null, "occurredAt": ""}, "oops"]);
    v["_links"] = json!("/v1/store/1/order/1");
    v["_embedded"]["tag"] = json!([{"id": "x", "name": 7, "hexColor": null}]);
    let item = &mut v["items"][0];
    item["id"] = json!("x1");
    item["name"] = json!({"fr": "Sac"});
    item["image"] = json!([]);
    item["status"] = json!({"code": "WEIRD"});
    item["commission"] = json!("—");
    item["taxAmount"] = json!("TBD");
    item["ecotaxAmount"] = json!("");
    item["channelReference"] = json!(null);
    item["additionalFields"] = json!("n/a");
    let o = parse_order(&v.to_string()).unwrap();
    assert_eq!(o.store_id, None);
    assert_eq!(o.store_reference, None);
    assert_eq!(o.fulfilled_by, None);
    assert_eq!(o.commission, None);
    assert_eq!(o.payment.tax_mode, None);
    assert_eq!(o.payment.method, "");
    assert_eq!(o.shipment.kind.as_deref(), Some("express_plus"), "an unknown enum value is kept as text");
    assert_eq!(o.shipment.carrier, "");
    assert_eq!(o.shipment.return_info, None);
    assert_eq!(o.billing_address, Default::default(), "an unreadable billing address is dropped");
    assert!(o.additional_fields.is_empty());
    assert_eq!(o.errors.len(), 1, "the unreadable entry is dropped, the other kept");
    assert_eq!((o.errors[0].kind.as_str(), o.errors[0].message.as_str()), ("", ""));
    assert_eq!(o.links.self_link.href, "");
    assert_eq!(o.embedded.tag.len(), 1);
    assert_eq!((o.embedded.tag[0].id, o.embedded.tag[0].name.as_str()), (None, "7"));
    let i = &o.items[0];
    assert_eq!(i.id, None, "an unreadable item id is dropped: the line ships in full only");
    assert_eq!((i.name.as_deref(), i.image.as_deref(), i.status.as_str()), (None, None, ""));
    assert_eq!((i.commission, i.tax_amount, i.ecotax_amount), (None, 0.0, 0.0));
    assert_eq!(i.channel_reference, "");
    assert!(i.additional_fields.is_empty());
    // What the shop needs is intact, and the order still maps.
    let want = amazon();
    assert_eq!((o.id, o.reference.as_str(), o.channel_id()), (want.id, want.reference.as_str(), want.channel_id()));
    assert_eq!(
        (i.reference.as_str(), i.quantity, i.price),
        (want.items[0].reference.as_str(), want.items[0].quantity, want.items[0].price)
    );
    assert_eq!(o.payment.total_amount, want.payment.total_amount);
    assert_eq!(o.shipping_address, want.shipping_address);
    to_draft(&o, &MappingOptions::default()).unwrap();
}

/// What it takes to create and ship the order stays strict: id, reference, channel, item references
/// and quantities, amounts, the shipping address.
#[test]
fn essential_fields_stay_strict() {
    let cases = [
        (json!({"id": "abc"}), "id"),
        (json!({"reference": {"r": 1}}), "reference"),
        (json!({"channelId": "Amazon"}), "channelId"),
        (json!({"_embedded": {"channel": {"id": "x"}}}), "_embedded.channel.id"),
        (json!({"items": [{"reference": ["a"]}]}), "items[0].reference"),
        (json!({"items": [{"quantity": "two"}]}), "items[0].quantity"),
        (json!({"items": [{"price": "12 EUR"}]}), "items[0].price"),
        (json!({"payment": {"totalAmount": "n/a"}}), "payment.totalAmount"),
        (json!({"payment": {"shippingAmount": {}}}), "payment.shippingAmount"),
        (json!({"payment": {"currency": ["EUR"]}}), "payment.currency"),
        (json!({"shippingAddress": {"city": {}}}), "shippingAddress.city"),
        (json!({"shippingAddress": "10 rue Vivienne"}), "shippingAddress"),
    ];
    for (extra, want_field) in cases {
        let (field, _) = malformed(order_with(extra.clone()).unwrap_err());
        assert_eq!(field, want_field, "{extra}");
    }
}

#[test]
fn numbers_as_strings_and_decimal_commas() {
    let o = order_with(json!({
        "commission": "3,5",
        "payment": {"shippingAmount": "4,90", "productAmount": "107.40", "totalAmount": " 112.30 ", "currency": "EUR", "method": 12},
        "items": [{"id": "55", "reference": 8, "quantity": "2", "price": "53,70", "commission": "", "taxAmount": "10.74", "ecotaxAmount": null}]
    }))
    .unwrap();
    assert_eq!(o.commission, Some(3.5));
    assert_eq!(o.payment.shipping_amount, 4.9);
    assert_eq!(o.payment.product_amount, 107.4);
    assert_eq!(o.payment.total_amount, 112.3);
    assert_eq!(o.payment.method, "12", "a number where text is expected keeps its text");
    let i = &o.items[0];
    assert_eq!(i.id, Some(55));
    assert_eq!(i.reference, "8");
    assert_eq!(i.quantity, 2);
    assert_eq!(i.price, 53.7);
    assert_eq!(i.commission, None, "\"\" → None");
    assert_eq!(i.tax_amount, 10.74);
    assert_eq!(i.ecotax_amount, 0.0, "null → 0");
}

#[test]
fn quantity_leniency() {
    for (q, want) in [(json!(3), 3), (json!(3.0), 3), (json!("3"), 3), (json!(" 4 "), 4), (json!(null), 0), (json!(""), 0)] {
        let o = order_with(json!({"items": [{"quantity": q}]})).unwrap();
        assert_eq!(o.items[0].quantity, want, "{q}");
    }
    let missing = order_with(json!({"items": [{"reference": "a"}]})).unwrap();
    assert_eq!(missing.items[0].quantity, 0);
}

#[test]
fn bad_numbers_are_malformed() {
    let cases = [
        (json!({"items": [{"quantity": "two"}]}), "items[0].quantity", "expected a number, found `two`"),
        (json!({"items": [{"quantity": -1}]}), "items[0].quantity", "expected a whole non-negative quantity, found `-1`"),
        (json!({"items": [{"quantity": 1.5}]}), "items[0].quantity", "expected a whole non-negative quantity, found `1.5`"),
        (json!({"items": [{}, {"price": "12 EUR"}]}), "items[1].price", "expected a number, found `12 EUR`"),
        (json!({"payment": {"totalAmount": "NaN"}}), "payment.totalAmount", "expected a number, found `NaN`"),
        (json!({"payment": {"totalAmount": "inf"}}), "payment.totalAmount", "expected a number, found `inf`"),
        (json!({"payment": {"shippingAmount": "1.234,50"}}), "payment.shippingAmount", "expected a number, found `1.234,50`"),
    ];
    for (extra, want_field, want_msg) in cases {
        let err = order_with(extra.clone()).unwrap_err();
        assert_eq!(err.code(), "Malformed");
        let (field, message) = malformed(err);
        assert_eq!(field, want_field, "{extra}");
        assert_eq!(message, want_msg, "{extra}");
    }
}

#[test]
fn malformed_error_display_names_field_and_value() {
    let err = order_with(json!({"items": [{"quantity": "lots"}]})).unwrap_err();
    assert_eq!(err.to_string(), "order field `items[0].quantity` is invalid: expected a number, found `lots`");
}

#[test]
fn malformed_quotes_long_values_clipped() {
    let long = "x".repeat(300);
    let (field, message) = malformed(order_with(json!({"payment": {"totalAmount": long}})).unwrap_err());
    assert_eq!(field, "payment.totalAmount");
    assert_eq!(message, format!("expected a number, found `{}…`", "x".repeat(80)));
}

#[test]
fn one_zero_and_text_booleans() {
    let cases = [
        (json!("1"), true),
        (json!("0"), false),
        (json!(1), true),
        (json!(0), false),
        (json!(true), true),
        (json!(false), false),
        (json!("true"), true),
        (json!("false"), false),
        (json!("yes"), true),
        (json!(""), false),
        (json!(null), false),
    ];
    for (v, want) in cases {
        let o = order_with(json!({"isTest": v, "anonymized": v})).unwrap();
        assert_eq!(o.is_test, want, "isTest {v}");
        assert_eq!(o.anonymized, want, "anonymized {v}");
    }
    let (field, message) = malformed(order_with(json!({"isTest": {"a": 1}})).unwrap_err());
    assert_eq!(field, "isTest");
    assert_eq!(message, "expected a boolean, found `{\"a\":1}`");
}

#[test]
fn empty_array_and_null_for_maps() {
    for empty in [json!([]), json!(null), json!({})] {
        let o = order_with(json!({
            "additionalFields": empty,
            "itemsReferencesAliases": empty,
            "items": [{"additionalFields": empty}],
            "_embedded": {"channel": {"id": 1, "name": "X", "_links": empty}}
        }))
        .unwrap();
        assert!(o.additional_fields.is_empty(), "{empty}");
        assert!(o.items_references_aliases.is_empty(), "{empty}");
        assert!(o.items[0].additional_fields.is_empty(), "{empty}");
        assert!(o.embedded.channel.as_ref().unwrap().links.is_empty(), "{empty}");
    }
    // Raw marketplace data nothing depends on: not an object → dropped, not a reason to refuse.
    let o = order_with(json!({"additionalFields": [1, 2], "items": [{"additionalFields": "x"}]})).unwrap();
    assert!(o.additional_fields.is_empty());
    assert!(o.items[0].additional_fields.is_empty());
    let (field, _) = malformed(order_with(json!({"itemsReferencesAliases": [1, 2]})).unwrap_err());
    assert_eq!(field, "itemsReferencesAliases", "aliases decide which product is created: strict");
}

#[test]
fn aliases_map_values() {
    let o = order_with(json!({"itemsReferencesAliases": {"a": "b", "n": 5, "gone": null, "t": true}})).unwrap();
    let want: BTreeMap<String, String> =
        [("a", "b"), ("n", "5"), ("t", "true")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(o.items_references_aliases, want);
}

#[test]
fn null_objects_and_lists_default() {
    let o = order_with(json!({
        "payment": null, "shipment": null, "shippingAddress": null, "billingAddress": null,
        "items": null, "errors": null, "_links": null, "_embedded": null
    }))
    .unwrap();
    assert_eq!(o.payment, Default::default());
    assert_eq!(o.shipment, Default::default());
    assert_eq!(o.shipping_address, Default::default());
    assert!(o.items.is_empty());
    assert!(o.errors.is_empty());
    assert_eq!(o.links.self_link.href, "");
    assert_eq!(o.embedded.channel, None);
    assert_eq!(o.channel_id(), None);
    assert_eq!(o.channel_name(), "");
}

#[test]
fn null_text_fields_become_empty() {
    let o = order_with(json!({
        "reference": 408,
        "storeReference": null,
        "shippingAddress": {"firstName": null, "lastName": "Doe", "postalCode": 75002, "relayId": "R123", "province": "IDF"},
        "items": [{"name": null, "image": null, "reference": null}]
    }))
    .unwrap();
    assert_eq!(o.reference, "408");
    assert_eq!(o.store_reference, None);
    assert_eq!(o.shipping_address.first_name, "");
    assert_eq!(o.shipping_address.last_name, "Doe");
    assert_eq!(o.shipping_address.postal_code, "75002");
    assert_eq!(o.shipping_address.relay_id.as_deref(), Some("R123"));
    assert_eq!(o.shipping_address.province.as_deref(), Some("IDF"));
    assert_eq!(o.items[0].name, None);
    assert_eq!(o.items[0].image, None);
    assert_eq!(o.items[0].reference, "");
}

#[test]
fn errors_and_tags_parse() {
    let o = order_with(json!({
        "errors": [
            {"type": "ship", "message": "Tracking number rejected", "occurredAt": "2024-08-27T09:00:00+02:00"},
            {"type": "acknowledge", "message": "Out of stock", "occurredAt": ""}
        ],
        "_embedded": {"tag": [{"id": "9", "name": "VIP", "hexColor": "#ff0000", "_links": {"self": {"href": "/x"}}}]}
    }))
    .unwrap();
    assert_eq!(o.errors.len(), 2);
    assert_eq!(o.errors[0].kind, "ship");
    assert_eq!(o.errors[0].message, "Tracking number rejected");
    assert_ts(o.errors[0].occurred_at.as_ref(), "2024-08-27T09:00:00+02:00");
    assert_eq!(o.errors[1].kind, "acknowledge");
    assert_eq!(o.errors[1].occurred_at, None);
    assert_eq!(o.embedded.tag.len(), 1);
    assert_eq!(o.embedded.tag[0].id, Some(9));
    assert_eq!(o.embedded.tag[0].name, "VIP");
    assert_eq!(o.embedded.tag[0].hex_color, "#ff0000");
}

#[test]
fn unknown_missing_and_null_status() {
    assert_eq!(order_with(json!({"status": "accepted"})).unwrap().status, OrderStatus::Unknown("accepted".into()));
    assert_eq!(order_with(json!({})).unwrap().status, OrderStatus::Missing);
    assert_eq!(order_with(json!({"status": null})).unwrap().status, OrderStatus::Missing);
    assert_eq!(order_with(json!({"status": ""})).unwrap().status, OrderStatus::Missing);
    assert_eq!(order_with(json!({"status": " shipped "})).unwrap().status, OrderStatus::Shipped);
    let (field, _) = malformed(order_with(json!({"status": 3})).unwrap_err());
    assert_eq!(field, "status");
}

#[test]
fn status_spellings() {
    let spellings = [
        "created",
        "waiting_store_acceptance",
        "refused",
        "waiting_shipment",
        "shipped",
        "cancelled",
        "refunded",
        "partially_refunded",
        "partially_shipped",
    ];
    assert_eq!(OrderStatus::KNOWN.len(), spellings.len());
    for (s, spelled) in OrderStatus::KNOWN.iter().zip(spellings) {
        assert_eq!(s.as_str(), spelled);
        assert_eq!(s.to_string(), spelled);
        assert_eq!(&OrderStatus::parse(spelled), s);
        assert_eq!(serde_json::to_value(s).unwrap(), json!(spelled));
        assert_eq!(&order_with(json!({"status": spelled})).unwrap().status, s);
    }
    assert_eq!(OrderStatus::Unknown("accepted".into()).as_str(), "accepted");
    assert_eq!(OrderStatus::Missing.as_str(), "");
    assert_eq!(OrderStatus::parse("Shipped"), OrderStatus::Unknown("Shipped".into()), "case-sensitive, as the API");
    let closed: Vec<&str> = OrderStatus::KNOWN.iter().filter(|s| s.is_closed()).map(OrderStatus::as_str).collect();
    assert_eq!(closed, ["refused", "cancelled", "refunded"]);
}

#[test]
fn ids_as_strings() {
    let o = order_with(json!({
        "id": "19777592554", "storeId": "26898", "channelId": " 66 ",
        "items": [{"id": "123"}], "_embedded": {"channel": {"id": "66", "name": "Amazon"}}
    }))
    .unwrap();
    assert_eq!(o.id, 19_777_592_554);
    assert_eq!(o.store_id, Some(26898));
    assert_eq!(o.channel_id, Some(66));
    assert_eq!(o.items[0].id, Some(123));
    assert_eq!(o.embedded.channel.unwrap().id, Some(66));
    let blank = order_with(json!({"storeId": "", "channelId": null})).unwrap();
    assert_eq!(blank.store_id, None);
    assert_eq!(blank.channel_id, None);
}

#[test]
fn channel_id_falls_back_to_embedded_channel() {
    let o = order_with(json!({"_embedded": {"channel": {"id": 259, "name": "Monechelle"}}})).unwrap();
    assert_eq!(o.channel_id, None);
    assert_eq!(o.channel_id(), Some(259));
    assert_eq!(o.channel_name(), "Monechelle");
}

#[test]
fn bad_ids_are_malformed() {
    let cases = [
        (json!({"id": "abc"}), "id", "expected a numeric id, found `abc`"),
        (json!({"id": -5}), "id", "expected a positive whole id, found `-5`"),
        (json!({"id": 1.5}), "id", "expected a positive whole id, found `1.5`"),
        (json!({"id": null}), "id", "expected an id, found null"),
        (json!({"channelId": [1]}), "channelId", "expected an id, found `[1]`"),
    ];
    for (extra, want_field, want_msg) in cases {
        let (field, message) = malformed(order_with(extra.clone()).unwrap_err());
        assert_eq!((field.as_str(), message.as_str()), (want_field, want_msg), "{extra}");
    }
}

#[test]
fn missing_required_fields_are_malformed() {
    let (field, message) = malformed(parse_order(r#"{"id": 1}"#).unwrap_err());
    assert_eq!((field.as_str(), message.as_str()), (".", "missing field `reference`"));
    let (field, message) = malformed(parse_order(r#"{"reference": "R"}"#).unwrap_err());
    assert_eq!((field.as_str(), message.as_str()), (".", "missing field `id`"));
}

#[test]
fn nested_objects_of_wrong_type_name_their_path() {
    let (field, _) = malformed(order_with(json!({"shippingAddress": "10 rue Vivienne"})).unwrap_err());
    assert_eq!(field, "shippingAddress");
    let (field, _) = malformed(order_with(json!({"payment": {"productAmount": {"v": 1}}})).unwrap_err());
    assert_eq!(field, "payment.productAmount");
    let (field, _) = malformed(order_with(json!({"items": {"a": 1}})).unwrap_err());
    assert_eq!(field, "items");
    let (field, _) = malformed(parse_order_value(&json!({"id": 1, "reference": "R", "shippingAddress": {"city": {}}})).unwrap_err());
    assert_eq!(field, "shippingAddress.city");
}

#[test]
fn not_json_at_all() {
    for text in ["hello", "<html>502 Bad Gateway</html>", "{\"id\": 1, \"reference\": \"a\"} trailing"] {
        let err = parse_order(text).unwrap_err();
        assert_eq!(err.code(), "NotJson", "{text:?}: {err:?}");
        assert!(err.to_string().starts_with("order is not valid JSON: "), "{err}");
    }
}

/// BUG: a truncated body, an empty one, or a syntax error below the top level (the unsubstituted
/// WooCommerce template) is reported as `Malformed` (field "?", "." or the field the error fell in)
/// instead of `NotJson`, so a cut answer would be error-acknowledged as a bad order instead of retried.
#[test]
fn syntax_errors_are_not_json() {
    let full = fixture(AMAZON);
    let cuts = [
        fixture("woocommerce_simple-order-sku-reference-alias.json"),
        full[..full.len() / 2].to_string(),
        r#"{"id":1,"reference":"a","payment":{"totalAmount":"#.to_string(),
        r#"{"id":1,"reference":"a""#.to_string(),
        r#"{"id":1,"#.to_string(),
        String::new(),
    ];
    for text in cuts {
        let err = parse_order(&text).unwrap_err();
        assert_eq!(err.code(), "NotJson", "{text:?} gave {err:?}");
    }
}

#[test]
fn order_error_codes() {
    assert_eq!(OrderError::NotJson { message: "x".into() }.code(), "NotJson");
    assert_eq!(OrderError::Malformed { field: "a".into(), message: "b".into() }.code(), "Malformed");
    let na = OrderError::NotAllowed { order_id: 7, operation: "ship".into(), status: "shipped".into(), reason: "already".into() };
    assert_eq!(na.code(), "NotAllowed");
    assert_eq!(na.to_string(), "cannot ship order 7 in status `shipped`: already");
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

/// Columns, in `Operation::ALL` order.
const OPS: [Operation; 9] = [
    Operation::Accept,
    Operation::Refuse,
    Operation::Ship,
    Operation::Cancel,
    Operation::Refund,
    Operation::Acknowledge,
    Operation::Unacknowledge,
    Operation::Deliver,
    Operation::UploadDocuments,
];

const Y: bool = true;
const N: bool = false;

/// The expected table, derived from the API reference:
/// - accept/refuse: only from `waiting_store_acceptance` (§4.2, §5.4);
/// - ship: `waiting_shipment` / `partially_shipped` (§4.2, §5.5);
/// - cancel: `created`, `waiting_*`, `partially_shipped`, never once shipped (§4.2, §5.6);
/// - refund: `shipped` "and earlier states" (§4.2) — taken as from `waiting_shipment` on, plus further
///   partial refunds of a `partially_refunded` order; not once fully refunded;
/// - (un)acknowledge: orthogonal to status (§4.2), so always;
/// - deliver: `shipped` only (§4.2, §5.8);
/// - upload-documents: the doc gives no status rule; an invoice needs a confirmed, not cancelled/refused order.
/// - unknown/missing status: nothing but (un)acknowledge.
///
/// Cells where the doc is silent and the code's choice was kept are marked `// doc silent`.
fn expected(status: &OrderStatus) -> [bool; 9] {
    use OrderStatus as S;
    //                                accept refuse ship cancel refund ack unack deliver upload
    match status {
        S::Created => [N, N, N, Y, N, Y, Y, N, N],
        S::WaitingStoreAcceptance => [Y, Y, N, Y, N, Y, Y, N, N],
        S::Refused => [N, N, N, N, N, Y, Y, N, N],
        S::WaitingShipment => [N, N, Y, Y, Y, Y, Y, N, Y],
        S::Shipped => [N, N, N, N, Y, Y, Y, Y, Y],
        S::Cancelled => [N, N, N, N, N, Y, Y, N, N],
        S::Refunded => [N, N, N, N, N, Y, Y, N, Y], // upload: doc silent
        // ship/cancel/deliver: doc silent; the code treats partially_refunded as "after shipment".
        // See the report: an order partially refunded while still `waiting_shipment` can then
        // neither be shipped nor cancelled.
        S::PartiallyRefunded => [N, N, N, N, Y, Y, Y, N, Y],
        S::PartiallyShipped => [N, N, Y, Y, Y, Y, Y, N, Y],
        S::Unknown(_) | S::Missing => [N, N, N, N, N, Y, Y, N, N],
    }
}

fn all_statuses() -> Vec<OrderStatus> {
    let mut v = OrderStatus::KNOWN.to_vec();
    v.push(OrderStatus::Unknown("accepted".into()));
    v.push(OrderStatus::Missing);
    v
}

#[test]
fn operation_all_order_matches_table_columns() {
    assert_eq!(Operation::ALL, OPS);
}

#[test]
fn lifecycle_table_check() {
    let mut mismatches = Vec::new();
    for status in all_statuses() {
        let want = expected(&status);
        for (op, want_allowed) in OPS.iter().zip(want) {
            let got = check(&status, *op);
            if got.is_ok() != want_allowed {
                mismatches.push(format!("{status:?} × {op}: expected {want_allowed}, check gave {got:?}"));
            }
            if let Err(reason) = got {
                assert!(!reason.trim().is_empty(), "{status:?} × {op} has an empty reason");
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn lifecycle_table_allowances() {
    for status in all_statuses() {
        let rows = allowances(&status);
        assert_eq!(rows.len(), 9);
        for ((row, op), want) in rows.iter().zip(OPS).zip(expected(&status)) {
            assert_eq!(row.operation, op);
            assert_eq!(row.allowed, want, "{status:?} × {op}");
            match check(&status, op) {
                Ok(()) => assert_eq!(row.reason, None),
                Err(why) => assert_eq!(row.reason.as_deref(), Some(why)),
            }
        }
    }
}

#[test]
fn lifecycle_reasons_say_why() {
    let r = |s: OrderStatus, op| check(&s, op).unwrap_err();
    assert!(r(OrderStatus::Shipped, Operation::Cancel).contains("refund it instead"));
    assert!(r(OrderStatus::Shipped, Operation::Ship).contains("already shipped"));
    assert!(r(OrderStatus::Created, Operation::Ship).contains("payment"));
    assert!(r(OrderStatus::WaitingStoreAcceptance, Operation::Ship).contains("accepted"));
    assert!(r(OrderStatus::WaitingShipment, Operation::Accept).contains("waiting for store acceptance"));
    assert!(r(OrderStatus::PartiallyShipped, Operation::Deliver).contains("fully shipped"));
    assert!(r(OrderStatus::Refunded, Operation::Refund).contains("already fully refunded"));
    assert!(r(OrderStatus::Cancelled, Operation::Ship).contains("cancelled"));
    assert!(r(OrderStatus::Refused, Operation::Cancel).contains("refused"));
    assert!(r(OrderStatus::Unknown("accepted".into()), Operation::Ship).contains("unknown"));
    assert!(r(OrderStatus::Missing, Operation::Cancel).contains("unknown"));
}

#[test]
fn allowances_serialize_camel_case() {
    let rows = serde_json::to_value(allowances(&OrderStatus::Shipped)).unwrap();
    assert_eq!(rows[0]["operation"], "accept");
    assert_eq!(rows[0]["allowed"], false);
    assert!(rows[0]["reason"].is_string());
    assert_eq!(rows[4], json!({"operation": "refund", "allowed": true}));
    assert_eq!(rows[8]["operation"], "upload-documents");
}

#[test]
fn operation_spellings_and_ticket_types() {
    let want = [
        (Operation::Accept, "accept", "order.notify.acceptance"),
        (Operation::Refuse, "refuse", "order.notify.refusal"),
        (Operation::Ship, "ship", "order.notify.shipment"),
        (Operation::Cancel, "cancel", "order.notify.cancellation"),
        (Operation::Refund, "refund", "order.notify.refund"),
        (Operation::Acknowledge, "acknowledge", "order.acknowledge"),
        (Operation::Unacknowledge, "unacknowledge", "order.unacknowledge"),
        // Not in the doc's §5.11 list: the code's guess.
        (Operation::Deliver, "deliver", "order.notify.delivery"),
        (Operation::UploadDocuments, "upload-documents", "order.notify.upload-documents"),
    ];
    for (op, path, ticket) in want {
        assert_eq!(op.as_str(), path);
        assert_eq!(op.to_string(), path);
        assert_eq!(Operation::parse(path), Some(op));
        assert_eq!(op.ticket_type(), ticket);
        assert_eq!(serde_json::to_value(op).unwrap(), json!(path));
        assert_eq!(serde_json::from_value::<Operation>(json!(path)).unwrap(), op);
    }
    assert_eq!(Operation::parse("Ship"), None);
    assert_eq!(Operation::parse("upload_documents"), None);
}

fn support(refund: bool, partial_refund: bool, partial_ship: bool, cancel: bool, documents: bool) -> ChannelSupport {
    ChannelSupport { refund, partial_refund, partial_ship, cancel, documents, tracking_url: false }
}

/// The same, for a channel that requires a tracking URL with each shipment.
fn with_url(s: ChannelSupport) -> ChannelSupport {
    ChannelSupport { tracking_url: true, ..s }
}

#[test]
fn channel_support_table() {
    // §5.12: Refund, Partial refund, Partial ship, Cancel, Docs upload.
    let cases = [
        ("Amazon", support(N, N, N, Y, N)),
        ("CDiscount", with_url(support(Y, Y, N, Y, N))),
        ("Monechelle", with_url(support(N, N, Y, N, N))),
        ("ManoMano", with_url(support(N, N, Y, N, N))),
        ("manomanopro", with_url(support(N, N, Y, N, N))),
        ("leroymerlin", with_url(support(Y, Y, Y, Y, Y))),
        ("bol", support(N, N, Y, Y, Y)),
        ("Bol.com", support(N, N, Y, Y, Y)),
        ("zalandomyunittest", support(Y, Y, N, Y, N)),
        ("Zalando_FR", support(Y, Y, N, Y, N)),
        ("Backmarket", support(N, N, N, N, Y)),
        ("eBay", support(Y, N, N, Y, N)),
        ("Fnac", support(N, N, N, N, Y)),
        ("Rakuten", support(N, N, N, Y, N)),
        ("Miravia", support(Y, N, Y, N, N)),
        ("Veepee", support(Y, Y, N, N, Y)),
        ("Wayfair", support(N, N, N, N, N)),
        ("TikTokShop", support(Y, Y, Y, Y, N)),
        // Unknown (and Mirakl-powered, Real): everything; Shoppingfeed has the last word.
        ("SomeNewMarketplace", support(Y, Y, Y, Y, Y)),
        ("", support(Y, Y, Y, Y, Y)),
    ];
    for (name, want) in cases {
        assert_eq!(ChannelSupport::for_channel(name), want, "{name}");
    }
    assert_eq!(ChannelSupport::for_channel("AMAZON"), ChannelSupport::for_channel("amazon"));
}

// ---------------------------------------------------------------------------------------------
// Ship validation
// ---------------------------------------------------------------------------------------------

fn req(carrier: &str, tracking: &str, url: Option<&str>, items: &[(u64, u32)]) -> ShipRequest {
    ShipRequest {
        carrier: carrier.into(),
        tracking_number: tracking.into(),
        tracking_url: url.map(str::to_string),
        items: items.iter().map(|&(id, quantity)| ShipLine { id, quantity }).collect(),
        warehouse_id: None,
        return_info: None,
    }
}

/// Item 1 × 2, item 2 × 1.
fn two_lines() -> Vec<OrderedLine> {
    vec![OrderedLine { id: Some(1), quantity: 2 }, OrderedLine { id: Some(2), quantity: 1 }]
}

fn none_shipped() -> BTreeMap<u64, u32> {
    BTreeMap::new()
}

#[test]
fn carrier_required() {
    for c in ["", "   ", "\t\n"] {
        let err = validate(&req(c, "123456789", None, &[]), &two_lines(), &none_shipped(), "").unwrap_err();
        assert_eq!(err, ShipmentError::CarrierMissing, "{c:?}");
    }
    let long = "C".repeat(101);
    assert_eq!(
        validate(&req(&long, "123456789", None, &[]), &two_lines(), &none_shipped(), "").unwrap_err(),
        ShipmentError::CarrierInvalid { value: format!("{}…", "C".repeat(80)) }
    );
    assert_eq!(
        validate(&req("D\u{7}PD", "123456789", None, &[]), &two_lines(), &none_shipped(), "").unwrap_err(),
        ShipmentError::CarrierInvalid { value: "D\u{7}PD".into() }
    );
    assert!(validate(&req(&"C".repeat(100), "123456789", None, &[]), &two_lines(), &none_shipped(), "").is_ok());
}

#[test]
fn tracking_required() {
    for t in ["", "   "] {
        let err = validate(&req("DPD", t, None, &[]), &two_lines(), &none_shipped(), "").unwrap_err();
        assert_eq!(err, ShipmentError::TrackingNumberMissing, "{t:?}");
    }
}

#[test]
fn tracking_placeholders_refused() {
    for p in ["0", "-", "N/A", "n/a", "TBD", "concept", "Concept", "0000000", "xxxx", "XXXX", "----", "...", "none", "11111", " tbd "] {
        assert!(is_placeholder_tracking(p), "{p:?} should be a placeholder");
        let err = validate(&req("DPD", p, None, &[]), &two_lines(), &none_shipped(), "").unwrap_err();
        assert_eq!(err, ShipmentError::TrackingNumberPlaceholder { value: p.trim().into() }, "{p:?}");
    }
    assert!(is_placeholder_tracking(""));
}

#[test]
fn real_tracking_numbers_accepted() {
    for (c, t) in [
        ("DPD", "123456789"),
        ("Colissimo", "6A12345678901"),
        ("UPS", "1Z999AA10123456784"),
        ("DHL Express", "JD014600006281234567"),
        ("Colissimo", "CB123456789FR"),
    ] {
        assert!(!is_placeholder_tracking(t), "{t:?}");
        let ok = validate(&req(c, t, None, &[]), &two_lines(), &none_shipped(), "Amazon").unwrap();
        assert_eq!(ok.tracking_number, t);
    }
}

#[test]
fn tracking_number_too_long_or_control() {
    let long = "A1".repeat(51);
    assert_eq!(
        validate(&req("Transports Martin", &long, None, &[]), &two_lines(), &none_shipped(), "").unwrap_err(),
        ShipmentError::TrackingNumberInvalid { value: format!("{}…", &long[..80]) }
    );
    assert_eq!(
        validate(&req("Transports Martin", "ABC\u{7}123", None, &[]), &two_lines(), &none_shipped(), "").unwrap_err(),
        ShipmentError::TrackingNumberInvalid { value: "ABC\u{7}123".into() }
    );
    assert!(validate(&req("Transports Martin", &"A1".repeat(50), None, &[]), &two_lines(), &none_shipped(), "").is_ok());
}

fn url_reason(url: &str) -> &'static str {
    match check_tracking_url(url) {
        Err(ShipmentError::TrackingUrlInvalid { reason, .. }) => reason,
        other => panic!("{url:?}: expected TrackingUrlInvalid, got {other:?}"),
    }
}

#[test]
fn bad_tracking_urls() {
    let scheme = "must be an absolute http:// or https:// URL";
    assert_eq!(url_reason("javascript:alert(1)"), scheme);
    assert_eq!(url_reason("ftp://x"), scheme);
    assert_eq!(url_reason("//host/p"), scheme);
    assert_eq!(url_reason("/track/123"), scheme);
    assert_eq!(url_reason("data:text/html,<script>"), scheme);
    assert_eq!(url_reason("https://user:pw@host/"), "must not carry credentials");
    assert_eq!(url_reason("https://user@host/"), "must not carry credentials");
    assert_eq!(url_reason("https://track.example.com/a b"), "contains spaces or control characters");
    assert_eq!(url_reason("https://track.example.com/\u{0}"), "contains spaces or control characters");
    assert_eq!(url_reason("http://"), "has no host");
    assert_eq!(url_reason("https:///path"), "has no host");
    assert_eq!(url_reason("https://:443/x"), "has no host");
    assert_eq!(url_reason("https://a..b/"), "has no host");
    assert_eq!(url_reason("https://host<x>/"), "contains characters a URL cannot hold (\\ < > \" `)");
    assert_eq!(url_reason("https://[::1/"), "has an invalid host");
    assert_eq!(url_reason("https://host:99999/"), "has an invalid port");
    assert_eq!(url_reason("https://host:80a/"), "has an invalid port");
}

#[test]
fn overlong_tracking_url() {
    let prefix = "https://t.example.com/";
    let at_max = format!("{prefix}{}", "a".repeat(MAX_TRACKING_URL - prefix.len()));
    assert_eq!(at_max.chars().count(), 2048);
    assert_eq!(check_tracking_url(&at_max), Ok(()));
    let over = format!("{at_max}a");
    assert_eq!(over.chars().count(), 2049);
    match check_tracking_url(&over).unwrap_err() {
        ShipmentError::TrackingUrlInvalid { value, reason } => {
            assert_eq!(reason, "longer than 2048 characters");
            assert_eq!(value.chars().count(), 81, "the quoted value is clipped");
            assert!(value.starts_with(prefix) && value.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn good_tracking_urls() {
    for url in [
        "https://trace.dpd.fr/trace/123456789",
        "http://www.colissimo.fr/portail_colissimo/suivre.do?colispart=6A12345678901",
        "https://track.example.com:8443/t?n=1Z999AA10123456784&lang=fr#top",
        "HTTPS://Track.Example.COM/x",
        "https://[2001:db8::1]/track?id=1",
        "https://track.example.com:/x",
        "https://suivi.la-poste.fr",
    ] {
        assert_eq!(check_tracking_url(url), Ok(()), "{url}");
    }
}

#[test]
fn validate_checks_the_url_and_trims() {
    let err = validate(&req("DPD", "123456789", Some("javascript:alert(1)"), &[]), &two_lines(), &none_shipped(), "").unwrap_err();
    assert_eq!(err.code(), "TrackingUrlInvalid");
    assert_eq!(err.field(), "trackingUrl");

    let mut r = req("  DPD  ", " 123456789 ", Some("  https://trace.dpd.fr/trace/123456789 "), &[]);
    r.warehouse_id = Some("   ".into());
    r.return_info = Some(ReturnLabel { carrier: " ".into(), tracking_number: "".into() });
    let ok = validate(&r, &two_lines(), &none_shipped(), "Amazon").unwrap();
    assert_eq!(ok.carrier, "DPD");
    assert_eq!(ok.tracking_number, "123456789");
    assert_eq!(ok.tracking_url, "https://trace.dpd.fr/trace/123456789");
    assert_eq!(ok.warehouse_id, None, "blank warehouse → default");
    assert_eq!(ok.return_info, None, "blank return label dropped");
    assert!(ok.items.is_empty(), "whole order");
    assert!(ok.complete);

    let mut r = req("DPD", "123456789", Some("   "), &[]);
    r.warehouse_id = Some("WH-1".into());
    r.return_info = Some(ReturnLabel { carrier: "Colissimo".into(), tracking_number: "8R123".into() });
    let ok = validate(&r, &two_lines(), &none_shipped(), "Amazon").unwrap();
    assert_eq!(ok.tracking_url, "", "blank URL → none");
    assert_eq!(ok.warehouse_id.as_deref(), Some("WH-1"));
    assert_eq!(ok.return_info, Some(ReturnLabel { carrier: "Colissimo".into(), tracking_number: "8R123".into() }));
}

#[test]
fn partial_unknown_item() {
    let err = validate(&req("DPD", "123456789", None, &[(9, 1)]), &two_lines(), &none_shipped(), "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemUnknown { id: 9 });
    // An ordered line without an id cannot be matched by id (when others have one).
    let some_ids = vec![OrderedLine { id: None, quantity: 1 }, OrderedLine { id: Some(2), quantity: 1 }];
    let err = validate(&req("DPD", "123456789", None, &[(1, 1)]), &some_ids, &none_shipped(), "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemUnknown { id: 1 });
}

#[test]
fn partial_repeated_item() {
    let err = validate(&req("DPD", "123456789", None, &[(1, 1), (1, 1)]), &two_lines(), &none_shipped(), "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemRepeated { id: 1 });
}

#[test]
fn partial_quantity_zero_and_too_many() {
    let err = validate(&req("DPD", "123456789", None, &[(1, 0)]), &two_lines(), &none_shipped(), "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemQuantity { id: 1, quantity: 0, remaining: 2 });
    let err = validate(&req("DPD", "123456789", None, &[(1, 3)]), &two_lines(), &none_shipped(), "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemQuantity { id: 1, quantity: 3, remaining: 2 });
    let shipped: BTreeMap<u64, u32> = [(1, 1)].into();
    let err = validate(&req("DPD", "123456789", None, &[(1, 2)]), &two_lines(), &shipped, "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemQuantity { id: 1, quantity: 2, remaining: 1 });
    let all_of_2: BTreeMap<u64, u32> = [(2, 1)].into();
    let err = validate(&req("DPD", "123456789", None, &[(2, 1)]), &two_lines(), &all_of_2, "").unwrap_err();
    assert_eq!(err, ShipmentError::ItemQuantity { id: 2, quantity: 1, remaining: 0 });
}

#[test]
fn partial_ship_valid_and_complete_flag() {
    let ok = validate(&req("DPD", "123456789", None, &[(1, 1)]), &two_lines(), &none_shipped(), "").unwrap();
    assert_eq!(ok.items, vec![ShipLine { id: 1, quantity: 1 }]);
    assert!(!ok.complete);

    // Listing every line with its full quantity is a complete shipment, allowed even without partial ship.
    let ok = validate(&req("DPD", "123456789", None, &[(2, 1), (1, 2)]), &two_lines(), &none_shipped(), "Amazon").unwrap();
    assert_eq!(ok.items, vec![ShipLine { id: 2, quantity: 1 }, ShipLine { id: 1, quantity: 2 }]);
    assert!(ok.complete);

    // The rest after a partial, listed explicitly.
    let shipped: BTreeMap<u64, u32> = [(1, 1)].into();
    let ok = validate(&req("DPD", "123456789", None, &[(1, 1), (2, 1)]), &two_lines(), &shipped, "").unwrap();
    assert!(ok.complete);
    assert_eq!(ok.items.len(), 2);
}

#[test]
fn partial_on_channel_without_partial_ship() {
    let err = validate(&req("DPD", "123456789", None, &[(1, 1)]), &two_lines(), &none_shipped(), "Amazon").unwrap_err();
    assert_eq!(err, ShipmentError::PartialShipUnsupported { channel: "Amazon".into() });
    // Anything after a partial is partial too.
    let shipped: BTreeMap<u64, u32> = [(1, 1)].into();
    let err = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &shipped, "Amazon").unwrap_err();
    assert_eq!(err, ShipmentError::PartialShipUnsupported { channel: "Amazon".into() });
    // Amazon (no partial ship) from the support table.
    let err = validate(&req("DPD", "123456789", None, &[(1, 1)]), &two_lines(), &none_shipped(), "Amazon").unwrap_err();
    assert_eq!(err, ShipmentError::PartialShipUnsupported { channel: "Amazon".into() });
}

#[test]
fn whole_order_after_partial_names_remaining_lines() {
    let shipped: BTreeMap<u64, u32> = [(1, 1)].into();
    let ok = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &shipped, "").unwrap();
    assert_eq!(ok.items, vec![ShipLine { id: 1, quantity: 1 }, ShipLine { id: 2, quantity: 1 }]);
    assert!(ok.complete);

    let shipped: BTreeMap<u64, u32> = [(1, 2)].into();
    let ok = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &shipped, "").unwrap();
    assert_eq!(ok.items, vec![ShipLine { id: 2, quantity: 1 }], "fully shipped line 1 is left out");
    assert!(ok.complete);
}

#[test]
fn whole_order_first_time() {
    let ok = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &none_shipped(), "Amazon").unwrap();
    assert!(ok.items.is_empty(), "empty items = whole order");
    assert!(ok.complete);
    // Fixture orders have no item ids: a whole-order ship still works.
    let o = amazon();
    let ok = validate(&req("Colissimo", "6A12345678901", None, &[]), &ordered_lines(&o), &none_shipped(), "Amazon").unwrap();
    assert!(ok.items.is_empty() && ok.complete);
}

/// BUG: once every line is shipped, a whole-order request (`items: []`) validates and yields a
/// `ValidShipment` with no lines — which the ship body sends as `"items": []`, i.e. "ship the whole
/// order" again: it must be refused as already shipped.
#[test]
fn nothing_left_to_ship_is_refused() {
    let shipped: BTreeMap<u64, u32> = [(1, 2), (2, 1)].into();
    let got = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &shipped, "");
    assert!(matches!(got, Err(ShipmentError::AlreadyShipped)), "got {got:?}");
    // On a whole-order-only channel the reason is the same (today: PartialShipUnsupported).
    let got = validate(&req("DPD", "123456789", None, &[]), &two_lines(), &shipped, "Amazon");
    assert!(matches!(got, Err(ShipmentError::AlreadyShipped)), "got {got:?}");
}

#[test]
fn shipment_error_codes_and_fields() {
    let cases: Vec<(ShipmentError, &str, &str)> = vec![
        (ShipmentError::CarrierMissing, "CarrierMissing", "carrier"),
        (ShipmentError::CarrierInvalid { value: "x".into() }, "CarrierInvalid", "carrier"),
        (ShipmentError::TrackingNumberMissing, "TrackingNumberMissing", "trackingNumber"),
        (ShipmentError::TrackingNumberPlaceholder { value: "0".into() }, "TrackingNumberPlaceholder", "trackingNumber"),
        (ShipmentError::TrackingNumberInvalid { value: "x".into() }, "TrackingNumberInvalid", "trackingNumber"),
        (ShipmentError::TrackingUrlInvalid { value: "x".into(), reason: "r" }, "TrackingUrlInvalid", "trackingUrl"),
        (ShipmentError::ItemUnknown { id: 1 }, "ItemUnknown", "items"),
        (ShipmentError::ItemRepeated { id: 1 }, "ItemRepeated", "items"),
        (ShipmentError::ItemQuantity { id: 1, quantity: 3, remaining: 2 }, "ItemQuantity", "items"),
        (ShipmentError::PartialShipUnsupported { channel: "Amazon".into() }, "PartialShipUnsupported", "items"),
        (ShipmentError::AlreadyShipped, "AlreadyShipped", "items"),
    ];
    for (err, code, field) in &cases {
        assert_eq!(err.code(), *code);
        assert_eq!(err.field(), *field, "{code}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        ShipmentError::ItemQuantity { id: 1, quantity: 3, remaining: 2 }.to_string(),
        "item 1: quantity 3 is not between 1 and the 2 left to ship"
    );
    assert_eq!(
        ShipmentError::TrackingUrlInvalid { value: "ftp://x".into(), reason: "must be an absolute http:// or https:// URL" }.to_string(),
        "tracking URL `ftp://x` must be an absolute http:// or https:// URL"
    );
    assert_eq!(ShipmentError::AlreadyShipped.to_string(), "the order is already fully shipped");
}

// ---------------------------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------------------------

fn at(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    at(s).with_timezone(&Utc)
}

#[test]
fn deadline_none() {
    let d = deadline(None, Some(&at("2024-08-26T14:19:19+02:00")), utc("2024-08-27T00:00:00Z"));
    assert_eq!(d.state, DeadlineState::None);
    assert_eq!(d.seconds_left, None);
    assert_eq!(d.elapsed_share, None);
}

#[test]
fn deadline_on_time() {
    // Created 2024-08-26 12:00Z, due 2024-08-31 12:00Z (5 days), now 1 day in: 20 %.
    let created = at("2024-08-26T14:00:00+02:00");
    let due = at("2024-08-31T12:00:00+00:00");
    let d = deadline(Some(&due), Some(&created), utc("2024-08-27T12:00:00Z"));
    assert_eq!(d.state, DeadlineState::OnTime);
    assert_eq!(d.seconds_left, Some(4 * 86_400));
    assert!((d.elapsed_share.unwrap() - 0.2).abs() < 1e-9);
}

#[test]
fn deadline_at_risk_past_80_percent() {
    let created = at("2024-08-26T12:00:00Z");
    let due = at("2024-08-31T12:00:00Z");
    let just_before = created.with_timezone(&Utc) + Duration::seconds((5.0 * 86_400.0 * AT_RISK_SHARE) as i64 - 1);
    assert_eq!(deadline(Some(&due), Some(&created), just_before).state, DeadlineState::OnTime);
    let exactly = utc("2024-08-30T12:00:00Z"); // 4 of 5 days = 80 %
    let d = deadline(Some(&due), Some(&created), exactly);
    assert_eq!(d.state, DeadlineState::AtRisk);
    assert_eq!(d.elapsed_share, Some(0.8));
    assert_eq!(d.seconds_left, Some(86_400));
    let d = deadline(Some(&due), Some(&created), utc("2024-08-31T06:00:00Z"));
    assert_eq!(d.state, DeadlineState::AtRisk);
    assert_eq!(d.elapsed_share, Some(0.95));
    // At the deadline itself: 0 s left is not yet overdue.
    let d = deadline(Some(&due), Some(&created), utc("2024-08-31T12:00:00Z"));
    assert_eq!(d.state, DeadlineState::AtRisk);
    assert_eq!(d.seconds_left, Some(0));
}

#[test]
fn deadline_overdue() {
    let created = at("2024-08-26T12:00:00Z");
    let due = at("2024-08-31T12:00:00Z");
    let d = deadline(Some(&due), Some(&created), utc("2024-08-31T12:00:01Z"));
    assert_eq!(d.state, DeadlineState::Overdue);
    assert_eq!(d.seconds_left, Some(-1));
    let d = deadline(Some(&due), None, utc("2024-09-02T12:00:00Z"));
    assert_eq!(d.state, DeadlineState::Overdue);
    assert_eq!(d.seconds_left, Some(-2 * 86_400));
    assert_eq!(d.elapsed_share, None);
}

#[test]
fn deadline_unknown_creation_date() {
    let due = at("2024-08-31T12:00:00Z");
    let d = deadline(Some(&due), None, utc("2024-08-29T12:00:00Z"));
    assert_eq!(d.state, DeadlineState::OnTime, "two days left, window unknown");
    assert_eq!(d.elapsed_share, None);
    assert_eq!(d.seconds_left, Some(2 * 86_400));
    let d = deadline(Some(&due), None, utc("2024-08-30T18:00:00Z"));
    assert_eq!(d.state, DeadlineState::AtRisk, "last day counts as at risk");
    assert_eq!(d.seconds_left, Some(18 * 3600));
    // A creation date after the due date gives no usable window: same fallback.
    let d = deadline(Some(&due), Some(&at("2024-09-01T00:00:00Z")), utc("2024-08-29T12:00:00Z"));
    assert_eq!(d.elapsed_share, None);
    assert_eq!(d.state, DeadlineState::OnTime);
}

#[test]
fn deadline_from_fixture_naive_date() {
    // Amazon fixture: created 2024-08-26T14:19:19+02:00, ship by 2024-08-29 21:59:59 (UTC).
    let o = amazon();
    let due = o.latest_ship_date.unwrap();
    let created = o.created_at.unwrap();
    let d = deadline(Some(&due), Some(&created), utc("2024-08-27T12:19:19Z"));
    assert_eq!(d.state, DeadlineState::OnTime);
    assert_eq!(d.seconds_left, Some(2 * 86_400 + 9 * 3600 + 40 * 60 + 40));
    let d = deadline(Some(&due), Some(&created), utc("2024-08-29T22:00:00Z"));
    assert_eq!(d.state, DeadlineState::Overdue);
    assert_eq!(d.seconds_left, Some(-1));
    let d = deadline(Some(&due), Some(&created), utc("2024-08-29T12:00:00Z"));
    assert_eq!(d.state, DeadlineState::AtRisk);
}

#[test]
fn deadline_state_serializes_snake_case() {
    let d = deadline(Some(&at("2024-08-31T12:00:00Z")), None, utc("2024-09-01T00:00:00Z"));
    assert_eq!(serde_json::to_value(d).unwrap(), json!({"state": "overdue", "secondsLeft": -43_200, "elapsedShare": null}));
    assert_eq!(serde_json::to_value(DeadlineState::AtRisk).unwrap(), json!("at_risk"));
    assert_eq!(serde_json::to_value(DeadlineState::OnTime).unwrap(), json!("on_time"));
}

/// The field of a bad value is named from where the typed parse stopped in the text itself: checked
/// on the pretty-printed fixtures (many lines, nesting, arrays), not only on one-line orders.
#[test]
fn bad_fields_in_pretty_printed_fixtures_are_named() {
    let text = fixture(AMAZON);
    let cases = [
        (r#""quantity": 2,"#, r#""quantity": "lots","#, "items[0].quantity", "expected a number, found `lots`"),
        (r#""quantity": 2,"#, r#""quantity": -2,"#, "items[0].quantity", "expected a whole non-negative quantity, found `-2`"),
        (
            r#""totalAmount": 107.4,"#,
            r#""totalAmount": {"v": 1},"#,
            "payment.totalAmount",
            "invalid type: map, expected a number, a numeric string or null",
        ),
        (r#""price": 53.7,"#, r#""price": "soon","#, "items[0].price", "expected a number, found `soon`"),
        (r#""channelId": 66,"#, r#""channelId": [66],"#, "channelId", "expected an id, found `[66]`"),
    ];
    for (from, to, want_field, want_msg) in cases {
        assert!(text.contains(from), "{from}");
        let (field, message) = malformed(parse_order(&text.replacen(from, to, 1)).unwrap_err());
        assert_eq!((field.as_str(), message.as_str()), (want_field, want_msg), "{to}");
    }
}

/// A key given twice counts once, the last value winning; a bad last value is still named.
#[test]
fn duplicate_keys_keep_the_last_value() {
    let o = parse_order(r#"{"id": 1, "reference": "A", "reference": "B", "items": [{"quantity": 1, "quantity": 3}]}"#).unwrap();
    assert_eq!((o.reference.as_str(), o.items[0].quantity), ("B", 3));
    let (field, message) = malformed(parse_order(r#"{"id": 1, "reference": "A", "id": "x"}"#).unwrap_err());
    assert_eq!((field.as_str(), message.as_str()), ("id", "expected a numeric id, found `x`"));
}

// ---------------------------------------------------------------------------------------------
// Mapping: what a shop cannot create
// ---------------------------------------------------------------------------------------------

/// BUG (issue 11): an order whose shipping address is missing or null was mapped to a draft with an empty
/// address and created in the shop, which cannot ship it. "Missing" is: no `shippingAddress` key, `null`,
/// `{}`, or an address with names, phone or e-mail but no street, postal code, city or country; the error
/// names the field (it becomes the error acknowledgement's message).
#[test]
fn no_shipping_address_no_order() {
    let mut base: Value = serde_json::from_str(&fixture(AMAZON)).unwrap();
    let names_only = json!({"firstName": "Martin", "lastName": "Bernard", "phone": "0123456789", "email": "a@b.fr", "street": "  "});
    let mut absent = base.clone();
    absent.as_object_mut().unwrap().remove("shippingAddress");
    let mut cases = vec![absent];
    for value in [json!(null), json!({}), json!([]), names_only] {
        let mut o = base.clone();
        o["shippingAddress"] = value;
        cases.push(o);
    }
    for case in cases {
        let order = parse_order(&case.to_string()).unwrap();
        let err = to_draft(&order, &MappingOptions::default()).unwrap_err();
        assert_eq!(err, MappingError::NoShippingAddress, "{}", case["shippingAddress"]);
        assert_eq!(err.code(), "NoShippingAddress");
        assert!(err.to_string().contains("shippingAddress"), "{err}");
    }
    // One of street, postal code, city or country is a destination the shop can judge (Hong Kong has
    // no postal codes; relay orders carry the point's address).
    base["shippingAddress"] = json!({"lastName": "Chan", "street": "1 Queen's Road", "city": "Hong Kong", "country": "HK"});
    let draft = to_draft(&parse_order(&base.to_string()).unwrap(), &MappingOptions::default()).unwrap();
    assert_eq!(draft.shipping_address.city, "Hong Kong");
    to_draft(&amazon(), &MappingOptions::default()).unwrap();
}

/// An external fixture (`../shared/fixtures/external/`, the PrestaShop module's dataset).
fn external(name: &str) -> Order {
    parse_order(&fixture(&format!("external/prestashop_{name}.json"))).unwrap()
}

fn relay(order: &Order) -> Option<(String, String, Option<String>)> {
    relay_point(order).map(|p| (p.id, p.source, p.product_code))
}

fn some_relay(id: &str, source: &str, code: Option<&str>) -> Option<(String, String, Option<String>)> {
    Some((id.to_string(), source.to_string(), code.map(str::to_string)))
}

/// BUG (issue 11): Zalando's `additionalFields.service_point_id` `BPR:100562` gave relay id `BPR`; the
/// PrestaShop module (`ColissimoRule::formatPointId`, `getProductCode`; its test
/// `OrderImportSimpleTest::testImportZalando` expects colissimo_id `100562`, product_code `BPR`) reads the
/// part after the colon as the id and the part before as the product code, for every source.
/// `shippingAddress.relayID` (capital D) and `additionalFields.pickup_point_id` were not read at all.
#[test]
fn relay_points_as_the_module_reads_them() {
    assert_eq!(relay(&external("order-zalando")), some_relay("100562", "additionalFields.service_point_id", Some("BPR")));
    let v: Value = serde_json::from_str(&fixture("external/prestashop_order-zalando.json")).unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut o = v.clone();
        o["additionalFields"].as_object_mut().unwrap().remove("service_point_id");
        f(&mut o);
        parse_order(&o.to_string()).unwrap()
    };
    let upper = with(&|o| o["shippingAddress"]["relayID"] = json!("100563"));
    assert_eq!(upper.shipping_address.relay_id, None, "relayId and relayID are two keys");
    assert_eq!(relay(&upper), some_relay("100563", "shippingAddress.relayID", None));
    let pickup = with(&|o| o["additionalFields"]["pickup_point_id"] = json!(" A2P : 100564 "));
    assert_eq!(relay(&pickup), some_relay("100564", "additionalFields.pickup_point_id", Some("A2P")));
    let camel = with(&|o| {
        o["shippingAddress"]["relayId"] = json!("CMT:100565");
        o["shippingAddress"]["relayID"] = json!("100566");
    });
    assert_eq!(relay(&camel), some_relay("100565", "shippingAddress.relayId", Some("CMT")), "relayId comes first");
    let numeric = with(&|o| o["additionalFields"]["shippingRelayId"] = json!(60559));
    assert_eq!(relay(&numeric), some_relay("60559", "additionalFields.shippingRelayId", None));
    // Mirakl's `type-de-point` is the product code when the id carries none (GaleriesLafayette).
    assert_eq!(relay(&external("order-galerieslafayette-colissimo")), some_relay("908557", "additionalFields.relais-id", Some("A2P")));
    // Nothing where a point id would go: no relay point, whatever the prefix.
    for empty in [":", "BPR:", "  "] {
        assert_eq!(relay(&with(&|o| o["additionalFields"]["service_point_id"] = json!(empty))), None, "{empty:?}");
    }
    // The serialized names stay; the code is added.
    let p = relay_point(&external("order-zalando")).unwrap();
    assert_eq!(
        serde_json::to_value(p).unwrap(),
        json!({"id": "100562", "source": "additionalFields.service_point_id", "productCode": "BPR"})
    );
}

/// `shippingAddress.other` also holds door codes: it is read as a point id only on Cdiscount's relay
/// delivery modes (`SO1`, `REL`, `RCO`, as `ColissimoRule::isCdiscount`) or a carrier named as a relay
/// service; never on eBay (the module stopped looking there, "Do not look for a point id if an order comes
/// from eBay").
#[test]
fn shipping_address_other_is_a_point_id_only_on_relay_deliveries() {
    assert_eq!(relay(&external("order-cdiscount-colissimorelais")), some_relay("096772", "shippingAddress.other", None));
    assert_eq!(relay(&external("order-manomano")), some_relay("p31175", "shippingAddress.other", None));
    assert_eq!(relay(&external("order-ebay")), None, "eBay's other is `leg1520`, not a point");
    let mut v: Value = serde_json::from_str(&fixture("external/prestashop_order-cdiscount-colissimorelais.json")).unwrap();
    v["shipment"]["carrier"] = json!("Standard");
    v["shippingAddress"]["other"] = json!("Digicode 4512");
    assert_eq!(relay(&parse_order(&v.to_string()).unwrap()), None, "a Cdiscount home delivery's door code");
}

/// One reading of ship-by dates: a `latestShipDate` without a zone is UTC.
///
/// Evidence, from the fixtures and the modules:
/// - `prestashop_order-amazon-business.json` was created `2024-08-26T14:19:19+02:00` (Paris, summer time)
///   and must ship by `2024-08-29 21:59:59`. Read as UTC that is 23:59:59 in Paris: the end of the
///   marketplace's day, which is how Amazon sets ship-by dates (Amazon's order API gives them in UTC,
///   `2024-08-29T21:59:59Z`; Shoppingfeed dropped the `Z`, not the zone). Read as Paris time it would be a
///   21:59:59 cut-off that no Amazon deadline has, two hours earlier.
/// - The Magento 2 module reads `latestShipDate` in UTC (`Model/Marketplace/Order/Importer.php`:
///   `new \DateTimeImmutable($matches[0], new \DateTimeZone('UTC'))`) and shows it in UTC (admin
///   `sales/order/view/marketplace.phtml`); the PrestaShop module never reads it.
/// - Every other date of the same files carries an offset, so nothing else needs a zone guess.
#[test]
fn zone_less_ship_by_dates_are_utc() {
    let o = amazon();
    let due = o.latest_ship_date.unwrap();
    assert_ts(Some(&due), "2024-08-29T21:59:59+00:00");
    let paris = chrono::FixedOffset::east_opt(2 * 3600).unwrap();
    assert_eq!(due.with_timezone(&paris).to_rfc3339(), "2024-08-29T23:59:59+02:00", "end of the day in Paris");
    assert_ts(o.created_at.as_ref(), "2024-08-26T14:19:19+02:00");
    // The engine hands it on with its offset, so no later reader (store, dashboard) guesses again.
    let draft = to_draft(&o, &MappingOptions::default()).unwrap();
    assert_eq!(draft.latest_ship_date.as_deref(), Some("2024-08-29T21:59:59+00:00"));
    // Winter: the same end of day is 22:59:59 UTC, read as such.
    assert_ts(parse_timestamp("2024-12-20 22:59:59").as_ref(), "2024-12-20T22:59:59+00:00");
    assert_eq!(parse_timestamp("2024-12-20 22:59:59"), parse_timestamp("2024-12-20T23:59:59+01:00"));
}
