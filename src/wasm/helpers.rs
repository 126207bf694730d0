//! Pure helpers the dashboard and the CLI share with the engine, so a rule is written once.

use super::convert::{from_js, to_js};
use super::error::{js_error, mapping_error, order_error, shipment_error};
use crate::mapping::{MappingOptions, to_draft};
use crate::order::lenient::parse_timestamp;
use crate::order::shipment::{OrderedLine, validate};
use crate::order::template;
use crate::order::{ChannelSupport, OrderStatus, ShipRequest, allowances, deadline, parse_order, parse_order_value};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

/// `now` given as milliseconds or an ISO string; the current time otherwise.
fn now_from(now: &JsValue) -> DateTime<Utc> {
    let ms = now
        .as_f64()
        .or_else(|| now.as_string().and_then(|s| parse_timestamp(&s)).map(|t| t.timestamp_millis() as f64))
        .unwrap_or_else(js_sys::Date::now);
    DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap_or_default()
}

fn order_from(input: JsValue) -> Result<crate::order::Order, JsValue> {
    match input.as_string() {
        Some(text) => parse_order(&text).map_err(|e| order_error(&e)),
        None => {
            let value: serde_json::Value = from_js(input, "order")?;
            parse_order_value(&value).map_err(|e| order_error(&e))
        }
    }
}

/// Parses a Shoppingfeed order (JSON text or object) leniently; throws an `OrderError` naming the field.
#[wasm_bindgen(js_name = parseOrder)]
pub fn parse_order_js(input: JsValue) -> Result<JsValue, JsValue> {
    to_js(&order_from(input)?)
}

/// Maps a Shoppingfeed order to the draft a shop creates its order from.
#[wasm_bindgen(js_name = toOrderDraft)]
pub fn to_order_draft(input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let order = order_from(input)?;
    let options: MappingOptions =
        if options.is_undefined() || options.is_null() { MappingOptions::default() } else { from_js(options, "options")? };
    to_js(&to_draft(&order, &options).map_err(|e| mapping_error(&e))?)
}

/// The lifecycle row of a status (or of an order's status): every operation, allowed or why not.
#[wasm_bindgen(js_name = allowedOperations)]
pub fn allowed_operations(status_or_order: JsValue) -> Result<JsValue, JsValue> {
    let status = match status_or_order.as_string() {
        Some(s) => OrderStatus::parse(&s),
        None => order_from(status_or_order)?.status,
    };
    to_js(&allowances(&status))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ShipContext {
    lines: Vec<OrderedLine>,
    channel: String,
    shipped: Vec<crate::order::ShipLine>,
}

/// Validates a shipment exactly as the engine will: { carrier, trackingNumber, trackingUrl?, items? },
/// with an optional context { lines: [{ id, quantity }], channel, shipped: [{ id, quantity }] }.
/// Returns the cleaned shipment or throws a `ShipmentError` with `code` and `field`.
/// Without the lines only the fields and the channel's rules are checked (carrier, tracking number,
/// tracking URL): items can be judged only against the order's lines, which the engine reads from the
/// journal when it ships.
#[wasm_bindgen(js_name = validateShipment)]
pub fn validate_shipment(shipment: JsValue, context: JsValue) -> Result<JsValue, JsValue> {
    let req: ShipRequest = from_js(shipment, "shipment")?;
    let ctx: ShipContext = if context.is_undefined() || context.is_null() { ShipContext::default() } else { from_js(context, "context")? };
    if ctx.lines.is_empty() {
        // The channel's own rules (a tracking URL required) apply without the lines; the items wait for
        // the engine.
        let fields = ShipRequest { items: Vec::new(), ..req.clone() };
        let mut valid = validate(&fields, &[], &BTreeMap::new(), &ctx.channel).map_err(|e| shipment_error(&e))?;
        valid.complete = req.items.is_empty();
        valid.items = req.items;
        return to_js(&valid);
    }
    let mut shipped: BTreeMap<u64, u32> = BTreeMap::new();
    for l in &ctx.shipped {
        *shipped.entry(l.id).or_default() += l.quantity;
    }
    to_js(&validate(&req, &ctx.lines, &shipped, &ctx.channel).map_err(|e| shipment_error(&e))?)
}

/// Deadline status against the ship-by date: { state: none|on_time|at_risk|overdue, secondsLeft, elapsedShare }.
/// `now` defaults to the current time (milliseconds or an ISO string).
#[wasm_bindgen(js_name = deadlineStatus)]
pub fn deadline_status(latest_ship_date: Option<String>, created_at: Option<String>, now: JsValue) -> Result<JsValue, JsValue> {
    let now = now_from(&now);
    let due = latest_ship_date.as_deref().and_then(parse_timestamp);
    let created = created_at.as_deref().and_then(parse_timestamp);
    to_js(&deadline(due.as_ref(), created.as_ref(), now))
}

/// What a channel supports beyond the basic operations (refunds, partial ship, cancel, documents).
#[wasm_bindgen(js_name = channelSupport)]
pub fn channel_support(channel: &str) -> Result<JsValue, JsValue> {
    to_js(&ChannelSupport::for_channel(channel))
}

/// One order as the CLI and the dashboard show it: `orderView(record, operations, now?)` with a
/// journal entry and its operation records (as the store keeps them).
#[wasm_bindgen(js_name = orderView)]
pub fn order_view_js(record: JsValue, operations: JsValue, now: JsValue) -> Result<JsValue, JsValue> {
    let record: crate::sync::ImportRecord = from_js(record, "record")?;
    let ops: Vec<crate::sync::OperationRecord> =
        if operations.is_undefined() || operations.is_null() { Vec::new() } else { from_js(operations, "operations")? };
    let now = now_from(&now);
    to_js(&crate::sync::order_view(&record, &ops, now))
}

/// The tracking URL a template gives: `fillTrackingUrl(template, trackingNumber, carrier?)`. The number
/// (and carrier) go in URL-encoded at `{trackingNumber}` (`{carrier}`), or the number is appended.
#[wasm_bindgen(js_name = fillTrackingUrl)]
pub fn fill_tracking_url(template: &str, tracking_number: &str, carrier: Option<String>) -> String {
    template::fill(template, tracking_number, carrier.as_deref().unwrap_or(""))
}

/// The tracking URL for a carrier from configured templates (`{ name: template }` or
/// `[{ name, template }]`): its own template whatever the case, else the `*` one; null when none.
#[wasm_bindgen(js_name = trackingUrlFor)]
pub fn tracking_url_for(templates: JsValue, carrier: &str, tracking_number: &str) -> Result<JsValue, JsValue> {
    if templates.is_undefined() || templates.is_null() || tracking_number.trim().is_empty() {
        return Ok(JsValue::NULL);
    }
    #[derive(Deserialize)]
    struct Named {
        name: String,
        template: String,
    }
    let list: Vec<(String, String)> = if js_sys::Array::is_array(&templates) {
        from_js::<Vec<Named>>(templates, "templates")?.into_iter().map(|n| (n.name, n.template)).collect()
    } else {
        from_js::<BTreeMap<String, String>>(templates, "templates")?.into_iter().collect()
    };
    let found = template::template_for(list.iter().map(|(n, t)| (n.as_str(), t.as_str())), carrier);
    Ok(found.map_or(JsValue::NULL, |t| JsValue::from(template::fill(t, tracking_number, carrier))))
}

/// Checks a tracking-URL template when it is configured; throws a `ConfigError` (`code` `Config`,
/// `reason` `TemplatePlaceholderUnknown` or `TemplateInvalid`) naming the template.
#[wasm_bindgen(js_name = checkTrackingUrlTemplate)]
pub fn check_tracking_url_template(template: &str) -> Result<(), JsValue> {
    template::check(template).map_err(|e| {
        let v = js_error("ConfigError", "Config", &e.to_string());
        let _ = js_sys::Reflect::set(&v, &"field".into(), &"trackingUrlTemplate".into());
        let _ = js_sys::Reflect::set(&v, &"reason".into(), &e.code().into());
        v
    })
}

/// The engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
