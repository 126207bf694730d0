//! Shared wasm-bindgen-test cases. The sandbox URL, token and store id are fixed at compile time by
//! `scripts/test-wasm.sh`, which starts one sandbox per run.
#![allow(clippy::unwrap_used)]

use js_sys::{Array, Function, Object, Reflect};
use shoppingfeed_orders::wasm::{
    SyncEngine, allowed_operations, channel_support, deadline_status, discover, order_view_js, parse_order_js, to_order_draft,
    validate_shipment, version,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const API: &str = match option_env!("SF_SANDBOX_URL") {
    Some(s) => s,
    None => "http://127.0.0.1:8787",
};
const TOKEN: &str = match option_env!("SF_SANDBOX_TOKEN") {
    Some(s) => s,
    None => "missing-token",
};
const STORE: &str = match option_env!("SF_SANDBOX_STORE") {
    Some(s) => s,
    None => "1",
};
const AMAZON: &str = include_str!("../../../shared/fixtures/prestashop_order-amazon-business.json");

/// An in-memory store written in JS, as a shop would write one: idempotent createOrder, a SKU it does
/// not know (`UNKNOWN-*`), counters to assert on.
const JS_STORE: &str = r#"
  const imports = new Map(), ops = new Map(), orders = new Map();
  let lock = null, created = 0, statusChanges = [];
  return {
    async tryLock(owner) { if (lock && lock !== owner) return false; lock = owner; return true; },
    async unlock(owner) { if (lock === owner) lock = null; },
    async loadImports(ids) { return ids.filter((id) => imports.has(id)).map((id) => imports.get(id)); },
    async createOrder(draft) {
      const bad = draft.lines.find((l) => l.sku.startsWith('UNKNOWN'));
      if (bad) return { outcome: 'rejected', message: `unknown SKU ${bad.sku}` };
      if (!orders.has(draft.shoppingfeedId)) { created += 1; orders.set(draft.shoppingfeedId, { id: `SHOP-${created}`, draft }); }
      return { outcome: 'created', shopOrderId: orders.get(draft.shoppingfeedId).id };
    },
    async saveImports(records) { for (const r of records) imports.set(r.shoppingfeedId, r); },
    async saveOperations(records) { for (const r of records) ops.set(r.id, r); },
    async operations(q) {
      return [...ops.values()].filter((o) => (!q.states.length || q.states.includes(o.state))
        && (q.shoppingfeedId == null || o.shoppingfeedId === q.shoppingfeedId));
    },
    async marketplaceStatusChanged(record, previous) { statusChanges.push([record.shoppingfeedId, previous]); },
    stats() { return { created, imports: imports.size, ops: [...ops.values()], orders: [...orders.values()] }; },
  };
"#;

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

fn num(v: &JsValue, k: &str) -> f64 {
    get(v, k).as_f64().unwrap_or_else(|| panic!("{k} is not a number"))
}

fn text(v: &JsValue, k: &str) -> String {
    get(v, k).as_string().unwrap_or_else(|| panic!("{k} is not a string"))
}

fn new_store() -> JsValue {
    Function::new_no_args(JS_STORE).call0(&JsValue::NULL).unwrap()
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn config(token: &str) -> JsValue {
    obj(&[
        ("apiUrl", API.into()),
        ("token", token.into()),
        ("storeId", JsValue::from_f64(STORE.parse::<f64>().unwrap())),
        // Fast retries: the tests must not wait on backoff.
        ("retry", obj(&[("baseDelayMs", JsValue::from_f64(10.0)), ("maxAttempts", JsValue::from_f64(3.0))])),
    ])
}

fn engine(store: &JsValue, token: &str, http: Option<&Function>) -> SyncEngine {
    let mut host = vec![("store", store.clone())];
    if let Some(f) = http {
        host.push(("http", f.clone().into()));
    }
    SyncEngine::new(config(token), obj(&host)).unwrap()
}

async fn settle(p: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

fn assert_error(e: &JsValue, name: &str, code: &str) {
    let err: &js_sys::Error = e.dyn_ref().unwrap_or_else(|| panic!("not an Error: {e:?}"));
    assert_eq!(err.name().as_string().unwrap(), name, "{:?}", err.message());
    assert_eq!(text(e, "code"), code, "{:?}", err.message());
}

#[wasm_bindgen_test]
async fn discovers_the_store_over_real_fetch() {
    let stores = settle(discover(obj(&[("apiUrl", API.into()), ("token", TOKEN.into())]))).await.unwrap();
    let ids: Vec<f64> = Array::from(&stores).iter().map(|s| num(&s, "id")).collect();
    assert!(ids.contains(&STORE.parse::<f64>().unwrap()), "{ids:?}");
}

#[wasm_bindgen_test]
async fn whole_cycle_with_js_store_then_ship_once() {
    let store = new_store();
    let e = engine(&store, TOKEN, None);
    let report = settle(e.run_cycle()).await.unwrap();
    let imported = num(&report, "imported");
    assert!(imported >= 1.0, "nothing imported: {report:?}");
    assert_eq!(num(&report, "acknowledged"), imported);
    assert!(num(&report, "requests") >= 2.0);
    let stats = Reflect::get(&store, &"stats".into()).unwrap().dyn_into::<Function>().unwrap().call0(&store).unwrap();
    assert_eq!(num(&stats, "created"), imported);

    // The same cycle again creates nothing. Acknowledgements are applied asynchronously by
    // Shoppingfeed, so some orders may still be listed: they are acknowledged again, not re-created.
    let again = settle(e.run_cycle()).await.unwrap();
    assert_eq!(num(&again, "imported"), 0.0);
    assert_eq!(num(&again, "reacknowledged"), num(&again, "acknowledged"));
    let stats = Reflect::get(&store, &"stats".into()).unwrap().dyn_into::<Function>().unwrap().call0(&store).unwrap();
    assert_eq!(num(&stats, "created"), imported);

    // Ship the first imported order once; the second ship is refused before anything is sent.
    let first = Array::from(&get(&stats, "orders")).get(0);
    let id = get(&get(&first, "draft"), "shoppingfeedId");
    let shipment = obj(&[
        ("carrier", "Colissimo".into()),
        ("trackingNumber", "6A12345678901".into()),
        ("trackingUrl", "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901".into()),
    ]);
    let op = settle(e.ship(id.clone(), shipment.clone())).await.unwrap();
    assert_eq!(text(&op, "state"), "sent");
    assert!(get(&op, "batchId").as_string().is_some_and(|b| !b.is_empty()));
    let second = settle(e.ship(id.clone(), shipment)).await.unwrap_err();
    assert_error(&second, "ShipmentError", "AlreadyShipped");

    let bad = obj(&[("carrier", "DPD".into()), ("trackingNumber", "09876543210".into()), ("trackingUrl", "javascript:alert(1)".into())]);
    // On an order not shipped yet, so the URL check itself is what refuses it.
    let other = get(&get(&Array::from(&get(&stats, "orders")).get(1), "draft"), "shoppingfeedId");
    let refused = settle(e.ship(other.clone(), bad)).await.unwrap_err();
    assert_error(&refused, "ShipmentError", "TrackingUrlInvalid");
    assert_eq!(text(&refused, "field"), "trackingUrl");
    let ops = Reflect::get(&store, &"stats".into()).unwrap().dyn_into::<Function>().unwrap().call0(&store).unwrap();
    let recorded: Vec<JsValue> = Array::from(&get(&ops, "ops")).iter().filter(|o| get(o, "shoppingfeedId") == other).collect();
    assert!(recorded.is_empty(), "a refused shipment was recorded");
}

#[wasm_bindgen_test]
async fn host_http_function_carries_every_call() {
    let calls = Array::new();
    // The shop's HTTP layer: records each request, then uses fetch.
    let http: Function = Function::new_with_args(
        "calls, req",
        "calls.push(req); return fetch(req.url, { method: req.method, headers: req.headers, body: req.body })",
    )
    .bind1(&JsValue::NULL, &calls)
    .unchecked_into();
    let e = engine(&new_store(), TOKEN, Some(&http));
    let report = settle(e.run_cycle()).await.unwrap();
    assert_eq!(calls.length() as f64, num(&report, "requests"));
    assert!(calls.length() >= 2);
    let first = calls.get(0);
    assert_eq!(text(&first, "method"), "GET");
    assert!(text(&first, "url").contains(&format!("/v1/store/{STORE}/order?")));
    assert!(text(&get(&first, "headers"), "Authorization").starts_with("Bearer "));
}

#[wasm_bindgen_test]
async fn wrong_token_rejects_with_a_coded_error_and_a_report() {
    let e = engine(&new_store(), "not-the-token", None);
    let err = settle(e.run_cycle()).await.unwrap_err();
    assert_error(&err, "ApiError", "Unauthorized");
    let message = err.dyn_ref::<js_sys::Error>().unwrap().message().as_string().unwrap();
    assert!(!message.contains("not-the-token"), "token leaked: {message}");
    assert_eq!(num(&get(&err, "report"), "imported"), 0.0);
}

#[wasm_bindgen_test]
fn config_and_argument_errors_are_coded() {
    let bad = SyncEngine::new(
        obj(&[("apiUrl", "ftp://x".into()), ("token", "t".into()), ("storeId", JsValue::from_f64(1.0))]),
        obj(&[("store", new_store())]),
    );
    let err = bad.err().unwrap();
    assert_error(&err, "ConfigError", "Config");
    assert_eq!(text(&err, "field"), "apiUrl");
    let no_store = SyncEngine::new(config(TOKEN), obj(&[])).err().unwrap();
    assert_error(&no_store, "ConfigError", "Config");
}

#[wasm_bindgen_test]
fn parse_order_reads_a_fixture_and_names_a_bad_field() {
    let order = parse_order_js(AMAZON.into()).unwrap();
    assert_eq!(num(&order, "id"), 19777592554.0);
    assert_eq!(text(&order, "latestShipDate"), "2024-08-29T21:59:59+00:00");
    assert!(get(&order, "itemsReferencesAliases").is_object());
    let broken = AMAZON.replace("\"quantity\": 2", "\"quantity\": \"two\"");
    let err = parse_order_js(broken.into()).unwrap_err();
    assert_error(&err, "OrderError", "Malformed");
    assert_eq!(text(&err, "field"), "items[0].quantity");
    let draft = to_order_draft(AMAZON.into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(num(&draft, "totalAmount"), 107.4);
    assert_eq!(get(&draft, "business").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn lifecycle_validation_and_deadline_helpers() {
    let row = Array::from(&allowed_operations("waiting_shipment".into()).unwrap());
    let allowed: Vec<String> = row.iter().filter(|a| get(a, "allowed").as_bool() == Some(true)).map(|a| text(&a, "operation")).collect();
    assert!(allowed.contains(&"ship".to_string()) && allowed.contains(&"cancel".to_string()));
    assert!(!allowed.contains(&"accept".to_string()));

    let ok = validate_shipment(obj(&[("carrier", " UPS ".into()), ("trackingNumber", "1Z999AA10123456784".into())]), JsValue::UNDEFINED)
        .unwrap();
    assert_eq!(text(&ok, "carrier"), "UPS");
    let placeholder =
        validate_shipment(obj(&[("carrier", "UPS".into()), ("trackingNumber", "TBD".into())]), JsValue::UNDEFINED).unwrap_err();
    assert_error(&placeholder, "ShipmentError", "TrackingNumberPlaceholder");
    assert_eq!(text(&placeholder, "field"), "trackingNumber");

    let d = deadline_status(
        Some("2026-01-10T00:00:00+00:00".into()),
        Some("2026-01-01T00:00:00+00:00".into()),
        "2026-01-09T00:00:00+00:00".into(),
    )
    .unwrap();
    assert_eq!(text(&d, "state"), "at_risk");
    let late = deadline_status(Some("2026-01-10T00:00:00+00:00".into()), None, "2026-01-11T00:00:00+00:00".into()).unwrap();
    assert_eq!(text(&late, "state"), "overdue");
    assert!(!version().is_empty());
}

#[wasm_bindgen_test]
fn order_view_and_channel_support_for_the_dashboard() {
    let record: JsValue = js_sys::JSON::parse(
        r#"{"shoppingfeedId": 42, "reference": "R-42", "channel": {"id": 66, "name": "Amazon"}, "state": "acknowledged",
            "shopOrderId": "SO-1", "order": {"status": "waiting_shipment", "lines": [{"id": 7, "quantity": 2}],
            "latestShipDate": "2026-01-10T00:00:00+00:00", "createdAt": "2026-01-01T00:00:00+00:00"},
            "tries": 0, "lastError": null, "errorAcked": null, "ackBatchId": "b1", "updatedAt": "2026-01-01T00:00:00+00:00"}"#,
    )
    .unwrap();
    let ops: JsValue = js_sys::JSON::parse(
        r#"[{"id": "42:ship:1", "shoppingfeedId": 42, "reference": "R-42", "state": "failed", "batchId": "b2",
             "message": "tracking URL required", "attempts": 1, "recordedAt": "2026-01-02T00:00:00+00:00",
             "updatedAt": "2026-01-02T00:00:00+00:00", "payload": {"operation": "ship", "shipment": {"carrier": "UPS",
             "trackingNumber": "1Z999AA10123456784", "trackingUrl": "", "items": [], "warehouseId": null, "returnInfo": null,
             "complete": true}}}]"#,
    )
    .unwrap();
    let view = order_view_js(record, ops, "2026-01-09T12:00:00+00:00".into()).unwrap();
    assert_eq!(text(&view, "storeReference"), "SO-1");
    assert_eq!(get(&view, "acknowledged").as_bool(), Some(true));
    assert_eq!(get(&view, "needsAttention").as_bool(), Some(true));
    assert_eq!(text(&get(&view, "deadline"), "state"), "at_risk");
    assert_eq!(text(&get(&view, "shipment"), "state"), "failed");
    let allowed: Vec<String> = Array::from(&get(&view, "allowed")).iter().map(|a| a.as_string().unwrap()).collect();
    assert!(allowed.contains(&"ship".to_string()), "a failed shipment can be sent again: {allowed:?}");

    let amazon = channel_support("Amazon").unwrap();
    assert_eq!(get(&amazon, "partialShip").as_bool(), Some(false));
    assert_eq!(get(&amazon, "cancel").as_bool(), Some(true));
    let mano = channel_support("Monechelle").unwrap();
    assert_eq!(get(&mano, "partialShip").as_bool(), Some(true));
}
