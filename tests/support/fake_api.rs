//! `FakeShoppingfeed`: an in-memory, stateful Shoppingfeed order API written from
//! `docs/shoppingfeed-api.md` (§1.2, §1.5, §1.6, §2, §5), not from the engine's code.
//!
//! Pages are computed from the current state at each request, so acknowledging while paging would
//! really skip orders; operations answer 202 with a batch id and leave tickets the test settles.

use super::clock::ManualClock;
use chrono::{DateTime, NaiveDateTime, Utc};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use shoppingfeed_orders::api::{HttpRequest, HttpResponse};
use shoppingfeed_orders::sync::{Clock, Http, TransportError};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// What goes wrong with a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `X-RateLimit-Wait` set to this text (seconds); not processed.
    RateLimited(&'static str),
    /// This status with a problem+json body; not processed.
    Status(u16),
    /// Processed, but the 2xx body arrives cut in half.
    Truncated,
    /// The connection fails before the server sees the request.
    Transport,
    /// Processed, then answered with this status (5xx).
    ProcessThenStatus(u16),
    /// Processed, then the connection drops before the answer.
    ProcessThenDrop,
}

struct FaultRule {
    method: &'static str,
    contains: Vec<String>,
    fault: Fault,
    remaining: u32,
    /// Matching requests let through before the fault starts.
    skip: u32,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// JSON body, parsed.
    pub body: Option<Value>,
    /// The fault injected into it, if any.
    pub fault: Option<Fault>,
}

/// How the test settles a ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `succeed`: the marketplace took it; the status change is applied.
    Succeed,
    /// `failed` with the marketplace's message.
    Failed(String),
    /// `running`.
    Running,
}

struct TicketRec {
    json: Value,
    operation: String,
    entry: Value,
}

struct State {
    store_id: u64,
    token: String,
    clock: ManualClock,
    orders: Vec<Value>,
    tickets: Vec<TicketRec>,
    shipments: BTreeMap<u64, Vec<Value>>,
    shipped_qty: BTreeMap<(u64, u64), u64>,
    applied: BTreeMap<String, u32>,
    log: Vec<LoggedRequest>,
    faults: Vec<FaultRule>,
    batches: u64,
    /// Acknowledges wait for their ticket to run, as on the real API.
    defer_acks: bool,
    /// Deferred acknowledges run just before a ticket list is read (between the engine's order list
    /// and its ticket read).
    run_acks_on_ticket_read: bool,
    /// How far Shoppingfeed's clock is ahead of the shop's (timestamps it writes).
    ahead: chrono::Duration,
    /// The list lets every status through, whatever `status` asks.
    ignore_status_filter: bool,
}

/// A shared handle on the fake API.
#[derive(Clone)]
pub struct FakeShoppingfeed(Rc<RefCell<State>>);

/// Yields once to the executor, as a real network call would.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn problem(status: u16, title: &str, detail: &str) -> HttpResponse {
    let body =
        json!({"type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html", "title": title, "detail": detail, "status": status});
    HttpResponse { status, headers: vec![("Content-Type".into(), "application/problem+json".into())], body: body.to_string() }
}

fn hal(status: u16, body: &Value) -> HttpResponse {
    HttpResponse { status, headers: vec![("Content-Type".into(), "application/hal+json".into())], body: body.to_string() }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// ISO 8601 with or without offset (a naive value is UTC); `None` when it is not a date.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc()))
}

fn order_id(o: &Value) -> Option<u64> {
    o.get("id").and_then(Value::as_u64)
}

fn is_acknowledged(o: &Value) -> bool {
    o.get("acknowledgedAt").and_then(Value::as_str).is_some_and(|s| !s.is_empty())
}

fn ticket_type(operation: &str) -> &'static str {
    match operation {
        "acknowledge" => "order.acknowledge",
        "unacknowledge" => "order.unacknowledge",
        "accept" => "order.notify.acceptance",
        "refuse" => "order.notify.refusal",
        "ship" => "order.notify.shipment",
        "cancel" => "order.notify.cancellation",
        "refund" => "order.notify.refund",
        "deliver" => "order.notify.delivery",
        _ => "order.notify.upload-documents",
    }
}

/// Query pairs, raw (as sent) and decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Query {
        Query(
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
    }

    fn number(&self, key: &str, default: u64) -> u64 {
        self.get(key).and_then(|v| v.trim().parse().ok()).unwrap_or(default)
    }

    /// The same query with `page` replaced.
    fn with_page(&self, page: u64) -> String {
        let mut parts: Vec<String> = self.0.iter().filter(|(k, _)| k != "page").map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("page={page}"));
        parts.join("&")
    }
}

/// A HAL collection page over `items`, links keeping the query.
fn collection(path: &str, query: &Query, rel: &str, items: &[Value], extra: Option<(&str, Value)>) -> Value {
    // "larger values are ignored": capped at 200 (API reference §2.1).
    let limit = query.number("limit", 20).clamp(1, 200);
    let page = query.number("page", 1).max(1);
    let total = items.len() as u64;
    let pages = total.div_ceil(limit);
    let start = usize::try_from((page - 1) * limit).unwrap_or(usize::MAX).min(items.len());
    let end = usize::try_from(page * limit).unwrap_or(usize::MAX).min(items.len());
    let slice = &items[start..end];
    let href = |p: u64| json!({"href": format!("{path}?{}", query.with_page(p))});
    let mut links = json!({"self": href(page), "first": href(1), "last": href(pages.max(1))});
    if page < pages {
        links["next"] = href(page + 1);
    }
    if page > 1 {
        links["prev"] = href(page - 1);
    }
    let mut body = json!({
        "total": total, "limit": limit, "pages": pages, "page": page, "count": slice.len(),
        "_links": links, "_embedded": {rel: slice},
    });
    if let Some((k, v)) = extra {
        body[k] = v;
    }
    body
}

impl FakeShoppingfeed {
    /// An API for store `store_id` that accepts `token`.
    pub fn new(store_id: u64, token: &str, clock: ManualClock) -> Self {
        FakeShoppingfeed(Rc::new(RefCell::new(State {
            store_id,
            token: token.to_string(),
            clock,
            orders: Vec::new(),
            tickets: Vec::new(),
            shipments: BTreeMap::new(),
            shipped_qty: BTreeMap::new(),
            applied: BTreeMap::new(),
            log: Vec::new(),
            faults: Vec::new(),
            batches: 0,
            defer_acks: false,
            run_acks_on_ticket_read: false,
            ahead: chrono::Duration::zero(),
            ignore_status_filter: false,
        })))
    }

    /// From now on a success acknowledge is applied only when its ticket is settled (`settle`), as
    /// Shoppingfeed does: until then the order stays in the unacknowledged list.
    pub fn defer_acks(&self) {
        self.0.borrow_mut().defer_acks = true;
    }

    /// Adds an order (listed after the ones already there).
    pub fn add_order(&self, order: Value) {
        self.0.borrow_mut().orders.push(order);
    }

    /// The order as the API holds it now.
    pub fn order(&self, id: u64) -> Value {
        self.0.borrow().orders.iter().find(|o| order_id(o) == Some(id)).cloned().unwrap_or(Value::Null)
    }

    /// Changes an order's status, as the marketplace would (buyer cancels…).
    pub fn set_status(&self, id: u64, status: &str) {
        let mut s = self.0.borrow_mut();
        let now = iso(s.now());
        if let Some(o) = s.orders.iter_mut().find(|o| order_id(o) == Some(id)) {
            o["status"] = json!(status);
            o["updatedAt"] = json!(now);
        }
    }

    /// The merchant asks for an order again from the back office (`unacknowledge`).
    pub fn unacknowledge(&self, id: u64) {
        let mut s = self.0.borrow_mut();
        let now = iso(s.now());
        if let Some(o) = s.orders.iter_mut().find(|o| order_id(o) == Some(id)) {
            o["acknowledgedAt"] = Value::Null;
            o["updatedAt"] = json!(now);
        }
    }

    /// The acknowledgement is lost on Shoppingfeed's side: the order is offered again, nothing else
    /// about it changes.
    pub fn lose_acknowledgement(&self, id: u64) {
        if let Some(o) = self.0.borrow_mut().orders.iter_mut().find(|o| order_id(o) == Some(id)) {
            o["acknowledgedAt"] = Value::Null;
        }
    }

    /// Orders not acknowledged yet.
    pub fn unacknowledged(&self) -> usize {
        self.0.borrow().orders.iter().filter(|o| !is_acknowledged(o)).count()
    }

    /// The next `times` requests with this method whose path+query contains every one of `contains`
    /// get `fault` (`*` matches any method).
    pub fn inject(&self, method: &'static str, contains: &[&str], fault: Fault, times: u32) {
        let contains = contains.iter().map(|c| (*c).to_string()).collect();
        self.0.borrow_mut().faults.push(FaultRule { method, contains, fault, remaining: times, skip: 0 });
    }

    /// As [`inject`](Self::inject), after `skip` matching requests went through untouched.
    pub fn inject_after(&self, skip: u32, method: &'static str, contains: &[&str], fault: Fault, times: u32) {
        let contains = contains.iter().map(|c| (*c).to_string()).collect();
        self.0.borrow_mut().faults.push(FaultRule { method, contains, fault, remaining: times, skip });
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.0.borrow_mut().faults.clear();
    }

    /// Every request received.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.0.borrow().log.clone()
    }

    /// Requests with this method whose path+query contains every one of `contains`.
    pub fn count(&self, method: &str, contains: &[&str]) -> usize {
        self.0.borrow().log.iter().filter(|r| r.method == method && contains.iter().all(|c| r.path.contains(c))).count()
    }

    /// Calls of an operation the API processed (faulted-before-processing ones not counted).
    pub fn applied(&self, operation: &str) -> u32 {
        self.0.borrow().applied.get(operation).copied().unwrap_or(0)
    }

    /// Entries (`order[]` items) of every processed call of an operation, in order.
    pub fn entries(&self, operation: &str) -> Vec<Value> {
        let suffix = format!("/order/{operation}");
        self.0
            .borrow()
            .log
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with(&suffix))
            .filter(|r| matches!(r.fault, None | Some(Fault::Truncated | Fault::ProcessThenStatus(_) | Fault::ProcessThenDrop)))
            .filter_map(|r| r.body.as_ref()?.get("order")?.as_array().cloned())
            .flatten()
            .collect()
    }

    /// Shipments recorded for an order (one per processed ship).
    pub fn shipments(&self, id: u64) -> Vec<Value> {
        self.0.borrow().shipments.get(&id).cloned().unwrap_or_default()
    }

    /// Every ticket.
    pub fn tickets(&self) -> Vec<Value> {
        self.0.borrow().tickets.iter().map(|t| t.json.clone()).collect()
    }

    /// Settles the open (`scheduled`/`running`) tickets of `operation`, for one order or all; returns
    /// how many it touched.
    pub fn settle(&self, operation: &str, order: Option<u64>, outcome: &Outcome) -> usize {
        self.0.borrow_mut().settle(operation, order, outcome)
    }

    /// Settles the open tickets of one batch (the marketplace need not run batches in order).
    pub fn settle_batch(&self, batch: &str, outcome: &Outcome) -> usize {
        self.0.borrow_mut().settle_where(outcome, |t| t.json["batchId"].as_str() == Some(batch))
    }

    /// From now on the deferred acknowledges run the moment the engine reads tickets: after it read
    /// the order list, before it reads their tickets.
    pub fn run_acks_on_ticket_read(&self) {
        self.0.borrow_mut().run_acks_on_ticket_read = true;
    }

    /// From now on the order list does not apply its `status` filter (the API's own example shows a
    /// status, `accepted`, that its filter cannot even name).
    pub fn ignore_status_filter(&self) {
        self.0.borrow_mut().ignore_status_filter = true;
    }

    /// Shoppingfeed's clock runs `by` ahead of the shop's.
    pub fn clock_ahead(&self, by: chrono::Duration) {
        self.0.borrow_mut().ahead = by;
    }
}

impl State {
    /// Shoppingfeed's time.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now() + self.ahead
    }

    fn settle(&mut self, operation: &str, order: Option<u64>, outcome: &Outcome) -> usize {
        self.settle_where(outcome, |t| {
            let oid = t.json["payload"]["id"].as_u64();
            t.operation == operation && order.is_none_or(|o| Some(o) == oid)
        })
    }

    fn settle_where(&mut self, outcome: &Outcome, wanted: impl Fn(&TicketRec) -> bool) -> usize {
        let s = self;
        let now = iso(s.now());
        let mut done = Vec::new();
        let mut touched = 0;
        for t in s.tickets.iter_mut() {
            let open = matches!(t.json["state"].as_str(), Some("scheduled" | "running"));
            if !open || !wanted(t) {
                continue;
            }
            touched += 1;
            t.json["startedAt"] = json!(now);
            match outcome {
                Outcome::Running => t.json["state"] = json!("running"),
                Outcome::Succeed => {
                    t.json["state"] = json!("succeed");
                    t.json["finishedAt"] = json!(now);
                    done.push((t.operation.clone(), t.entry.clone(), None));
                }
                Outcome::Failed(message) => {
                    t.json["state"] = json!("failed");
                    t.json["finishedAt"] = json!(now);
                    t.json["message"] = json!(message);
                    done.push((t.operation.clone(), t.entry.clone(), Some(message.clone())));
                }
            }
        }
        for (operation, entry, failure) in done {
            match failure {
                None => s.apply(&operation, &entry),
                Some(message) => {
                    let id = entry["id"].as_u64();
                    let kind = if operation == "ship" { "ship" } else { "operation" };
                    if let Some(o) = s.orders.iter_mut().find(|o| order_id(o) == id) {
                        if let Some(errors) = o["errors"].as_array_mut() {
                            errors.push(json!({"type": kind, "message": message, "occurredAt": now}));
                        }
                    }
                }
            }
        }
        touched
    }

    /// Status change of a succeeded operation ticket.
    fn apply(&mut self, operation: &str, entry: &Value) {
        let Some(id) = entry["id"].as_u64() else {
            return;
        };
        let now = iso(self.now());
        let Some(pos) = self.orders.iter().position(|o| order_id(o) == Some(id)) else {
            return;
        };
        let status = match operation {
            "ship" => {
                let lines: Vec<(u64, u64)> = self.orders[pos]["items"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|i| Some((i["id"].as_u64()?, i["quantity"].as_u64()?))).collect())
                    .unwrap_or_default();
                let sent: Vec<(u64, u64)> = entry["items"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|i| Some((i["id"].as_u64()?, i["quantity"].as_u64()?))).collect())
                    .unwrap_or_default();
                let sent = if sent.is_empty() { lines.clone() } else { sent };
                for (item, qty) in sent {
                    *self.shipped_qty.entry((id, item)).or_default() += qty;
                }
                let all = lines.iter().all(|(item, qty)| self.shipped_qty.get(&(id, *item)).copied().unwrap_or(0) >= *qty);
                let o = &mut self.orders[pos];
                o["shipment"]["carrier"] = entry["carrier"].clone();
                o["shipment"]["trackingNumber"] = entry["trackingNumber"].clone();
                o["shipment"]["trackingLink"] = entry["trackingLink"].clone();
                if all { "shipped" } else { "partially_shipped" }
            }
            "cancel" => "cancelled",
            "refuse" => "refused",
            "accept" => "waiting_shipment",
            "refund" if entry["refund"]["products"].as_array().is_none_or(Vec::is_empty) => "refunded",
            "refund" => "partially_refunded",
            "acknowledge" => {
                let o = &mut self.orders[pos];
                o["acknowledgedAt"] = if entry["acknowledgedAt"].is_string() { entry["acknowledgedAt"].clone() } else { json!(now) };
                o["storeReference"] = entry["storeReference"].clone();
                return;
            }
            _ => return,
        };
        self.orders[pos]["status"] = json!(status);
        self.orders[pos]["updatedAt"] = json!(now);
    }

    fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let rule = self
            .faults
            .iter_mut()
            .find(|r| r.remaining > 0 && (r.method == "*" || r.method == method) && r.contains.iter().all(|c| path.contains(c.as_str())))?;
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.remaining -= 1;
        Some(rule.fault.clone())
    }

    fn route(&mut self, req: &HttpRequest, path: &str, query: &Query, body: Option<&Value>) -> HttpResponse {
        let expected = format!("Bearer {}", self.token);
        let authorized = req.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("authorization") && *v == expected);
        if !authorized {
            return problem(403, "Forbidden", "Service not authorized");
        }
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let store_ok = segs.get(2).and_then(|s| s.parse::<u64>().ok()) == Some(self.store_id);
        if segs.len() < 4 || segs[0] != "v1" || segs[1] != "store" {
            return problem(404, "Not Found", "No route");
        }
        if !store_ok {
            return problem(403, "Forbidden", "Service not authorized");
        }
        match (req.method, &segs[3..]) {
            ("GET", ["order"]) => self.list_orders(path, query),
            ("GET", ["order", id]) if id.parse::<u64>().is_ok() => match self.orders.iter().find(|o| order_id(o) == id.parse().ok()) {
                Some(o) => hal(200, o),
                None => problem(404, "Not Found", "Order not found"),
            },
            ("POST", ["order", op]) => self.operation(op, body),
            ("GET", ["ticket"]) => self.list_tickets(path, query),
            ("GET", ["ticket", id]) => match self.tickets.iter().find(|t| t.json["id"].as_str() == Some(id)) {
                Some(t) => hal(200, &t.json),
                None => problem(404, "Not Found", "Ticket not found"),
            },
            _ => problem(404, "Not Found", "No route"),
        }
    }

    fn list_orders(&self, path: &str, query: &Query) -> HttpResponse {
        let statuses: Option<Vec<String>> =
            query.get("status").filter(|_| !self.ignore_status_filter).map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let ack = query.get("acknowledgment");
        let since = query.get("since").map(|s| parse_date(&s));
        let until = query.get("until").map(|s| parse_date(&s));
        if matches!(since, Some(None)) || matches!(until, Some(None)) {
            return problem(400, "Bad Request", "since/until must be ISO 8601 date-times");
        }
        let created = |o: &Value| o.get("createdAt").and_then(Value::as_str).and_then(parse_date);
        let matching: Vec<Value> = self
            .orders
            .iter()
            .filter(|o| statuses.as_ref().is_none_or(|l| l.iter().any(|s| o["status"].as_str() == Some(s.as_str()))))
            .filter(|o| match ack.as_deref() {
                Some("acknowledged") => is_acknowledged(o),
                Some("unacknowledged") => !is_acknowledged(o),
                _ => true,
            })
            // An order whose date cannot be read is not filtered out (the engine must see it to report it).
            .filter(|o| since.flatten().is_none_or(|s| created(o).is_none_or(|c| c >= s)))
            .filter(|o| until.flatten().is_none_or(|u| created(o).is_none_or(|c| c <= u)))
            .cloned()
            .collect();
        hal(200, &collection(path, query, "order", &matching, None))
    }

    fn list_tickets(&self, path: &str, query: &Query) -> HttpResponse {
        let batch = query.get("batchId");
        let kind = query.get("type");
        let payload_id = query.get("payloadId");
        let state = query.get("state");
        if payload_id.is_some() && !kind.as_deref().is_some_and(|k| k.contains("order")) {
            return problem(400, "Bad Request", "payloadId requires an order ticket type");
        }
        let matching: Vec<Value> = self
            .tickets
            .iter()
            .map(|t| &t.json)
            .filter(|t| batch.as_deref().is_none_or(|b| t["batchId"].as_str() == Some(b)))
            .filter(|t| kind.as_deref().is_none_or(|k| t["type"].as_str() == Some(k)))
            .filter(|t| payload_id.as_deref().is_none_or(|p| t["payload"]["id"].as_u64().map(|i| i.to_string()).as_deref() == Some(p)))
            .filter(|t| state.as_deref().is_none_or(|s| t["state"].as_str() == Some(s)))
            .cloned()
            .collect();
        let processing = matching.iter().any(|t| matches!(t["state"].as_str(), Some("scheduled" | "running")));
        hal(200, &collection(path, query, "ticket", &matching, Some(("meta", json!({"processing": processing})))))
    }

    fn operation(&mut self, op: &str, body: Option<&Value>) -> HttpResponse {
        const OPS: [&str; 9] =
            ["acknowledge", "unacknowledge", "accept", "refuse", "ship", "cancel", "refund", "deliver", "upload-documents"];
        if !OPS.contains(&op) {
            return problem(404, "Not Found", "Unknown operation");
        }
        let Some(entries) = body.and_then(|b| b.get("order")).and_then(Value::as_array) else {
            return problem(400, "Bad Request", "body must be {\"order\": [...]}");
        };
        self.batches += 1;
        let batch = format!("5f{:010x}", self.batches);
        let now = iso(self.now());
        *self.applied.entry(op.to_string()).or_default() += 1;
        let mut report = Vec::new();
        for entry in entries {
            let id = entry["id"].as_u64();
            let Some(pos) = id.and_then(|id| self.orders.iter().position(|o| order_id(o) == Some(id))) else {
                report.push(json!({"id": entry["id"], "state": "ignored", "message": "Order not found"}));
                continue;
            };
            let mut state = "scheduled";
            if op == "acknowledge" && self.defer_acks && entry["status"].as_str() != Some("error") {
                // Applied by `settle`, through `apply`.
            } else if op == "acknowledge" {
                state = "succeed";
                let o = &mut self.orders[pos];
                if entry["status"].as_str() == Some("error") {
                    if let Some(errors) = o["errors"].as_array_mut() {
                        errors.push(json!({"type": "acknowledge", "message": entry["message"], "occurredAt": now}));
                    }
                } else {
                    o["acknowledgedAt"] = if entry["acknowledgedAt"].is_string() { entry["acknowledgedAt"].clone() } else { json!(now) };
                    o["storeReference"] = entry["storeReference"].clone();
                }
            } else if op == "unacknowledge" {
                state = "succeed";
                self.orders[pos]["acknowledgedAt"] = Value::Null;
            } else if op == "ship" {
                let shipment = json!({
                    "carrier": entry["carrier"], "trackingNumber": entry["trackingNumber"], "trackingLink": entry["trackingLink"],
                    "returnInfo": entry.get("returnInfo").cloned().unwrap_or(Value::Null), "createdAt": now, "items": entry["items"],
                });
                self.shipments.entry(id.unwrap_or_default()).or_default().push(shipment);
            }
            let o = &self.orders[pos];
            let n = self.tickets.len() + 1;
            let ticket = json!({
                "id": format!("t{n:08}"), "batchId": batch, "type": ticket_type(op), "state": state,
                "scheduledAt": now, "startedAt": Value::Null, "finishedAt": if state == "succeed" { json!(now) } else { Value::Null },
                "payload": {"id": o["id"], "reference": o["reference"], "channel": o["_embedded"]["channel"]["name"]},
                "_links": {"self": {"href": format!("/v1/store/{}/ticket/t{n:08}", self.store_id)}},
            });
            self.tickets.push(TicketRec { json: ticket, operation: op.to_string(), entry: entry.clone() });
        }
        let mut answer =
            json!({"id": batch, "_links": {"ticket": {"href": format!("/v1/store/{}/ticket?batchId={batch}", self.store_id)}}});
        if !report.is_empty() {
            answer["report"] = json!(report);
        }
        HttpResponse { status: 202, headers: vec![("Content-Type".into(), "application/json".into())], body: answer.to_string() }
    }
}

impl Http for FakeShoppingfeed {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        YieldOnce(false).await;
        let after_host = req.url.find("://").map(|i| i + 3).unwrap_or(0);
        let path_and_query = req.url[after_host..].find('/').map(|i| &req.url[after_host + i..]).unwrap_or("/").to_string();
        let (path, query) = path_and_query.split_once('?').unwrap_or((&path_and_query, ""));
        let body = req.body.as_ref().and_then(|b| serde_json::from_slice::<Value>(b).ok());
        let mut s = self.0.borrow_mut();
        if s.run_acks_on_ticket_read && req.method == "GET" && path.ends_with("/ticket") {
            s.settle("acknowledge", None, &Outcome::Succeed);
        }
        let fault = s.take_fault(req.method, &path_and_query);
        s.log.push(LoggedRequest {
            method: req.method.to_string(),
            path: path_and_query.clone(),
            body: body.clone(),
            fault: fault.clone(),
        });
        match fault {
            Some(Fault::Transport) => return Err(TransportError("connection refused".into())),
            Some(Fault::Status(code)) => {
                return Ok(problem(code, "Service Unavailable", "Try again later"));
            }
            Some(Fault::RateLimited(wait)) => {
                let mut r = problem(429, "Too Many Requests", "Rate limit exceeded");
                r.headers.push(("X-RateLimit-Wait".into(), wait.into()));
                return Ok(r);
            }
            _ => {}
        }
        let mut resp = s.route(&req, path, &Query::parse(query), body.as_ref());
        match fault {
            Some(Fault::ProcessThenStatus(code)) => Ok(problem(code, "Internal Server Error", "Unexpected error")),
            Some(Fault::ProcessThenDrop) => Err(TransportError("connection reset by peer".into())),
            Some(Fault::Truncated) => {
                let mut cut = resp.body.len() / 2;
                while !resp.body.is_char_boundary(cut) {
                    cut -= 1;
                }
                resp.body.truncate(cut);
                Ok(resp)
            }
            _ => Ok(resp),
        }
    }
}
