//! The engine's host traits backed by JavaScript: the shop's HTTP function or the global `fetch`
//! (gloo-net), the shop's store object, and the JS clock.

use super::convert::{from_js, to_js};
use super::error::{js_error, message_of};
use crate::api::{HttpRequest, HttpResponse};
use crate::mapping::OrderDraft;
use crate::order::OrderStatus;
use crate::sync::{Clock, CreateOutcome, Http, ImportRecord, OperationQuery, OperationRecord, Store, StoreError, TransportError};
use chrono::{DateTime, Utc};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// An optional function property of a host object.
pub fn function(obj: &JsValue, key: &str) -> Option<Function> {
    get(obj, key).dyn_into::<Function>().ok()
}

/// Awaits a value that may or may not be a Promise.
async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

/// HTTP through the host's function, or gloo-net (global `fetch`) when none is given.
pub struct JsHttp {
    host_fn: Option<Function>,
}

impl JsHttp {
    /// `host_fn(request) → { status, headers, body }` or a fetch `Response`.
    pub fn new(host_fn: Option<Function>) -> Self {
        JsHttp { host_fn }
    }

    async fn via_host(f: &Function, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let r = Object::new();
        let headers = Object::new();
        for (k, v) in &req.headers {
            let _ = Reflect::set(&headers, &JsValue::from_str(k), &JsValue::from_str(v));
        }
        let _ = Reflect::set(&r, &"method".into(), &JsValue::from_str(req.method));
        let _ = Reflect::set(&r, &"url".into(), &JsValue::from_str(&req.url));
        let _ = Reflect::set(&r, &"headers".into(), &headers);
        if let Some(body) = &req.body {
            let value = match std::str::from_utf8(body) {
                Ok(text) => JsValue::from_str(text),
                Err(_) => Uint8Array::from(body.as_slice()).into(),
            };
            let _ = Reflect::set(&r, &"body".into(), &value);
        }
        let out = f.call1(&JsValue::NULL, &r).map_err(|e| TransportError(message_of(&e)))?;
        let resp = settle(out).await.map_err(|e| TransportError(message_of(&e)))?;
        let status = get(&resp, "status").as_f64().ok_or_else(|| TransportError("host http function returned no status".into()))? as u16;
        // A fetch Response has a text() method; a plain answer carries `body`.
        let body = match function(&resp, "text") {
            Some(text) => {
                let p = text.call0(&resp).map_err(|e| TransportError(message_of(&e)))?;
                settle(p).await.map_err(|e| TransportError(message_of(&e)))?.as_string().unwrap_or_default()
            }
            None => {
                let b = get(&resp, "body");
                if let Some(s) = b.as_string() {
                    s
                } else if b.is_instance_of::<Uint8Array>() {
                    String::from_utf8_lossy(&Uint8Array::new(&b).to_vec()).into_owned()
                } else {
                    String::new()
                }
            }
        };
        Ok(HttpResponse { status, headers: header_pairs(&get(&resp, "headers")), body })
    }

    async fn via_fetch(req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = gloo_net::http::Method::from_bytes(req.method.as_bytes()).map_err(|e| TransportError(e.to_string()))?;
        let mut builder = gloo_net::http::RequestBuilder::new(&req.url).method(method);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let request = match &req.body {
            Some(body) => builder.body(Uint8Array::from(body.as_slice())),
            None => builder.build(),
        }
        .map_err(|e| TransportError(e.to_string()))?;
        let resp = request.send().await.map_err(|e| TransportError(e.to_string()))?;
        // A body cut short (reset mid-answer) fails here, as a transport error.
        let body = resp.text().await.map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpResponse { status: resp.status(), headers: resp.headers().entries().collect(), body })
    }
}

/// Header pairs from a `Headers` object, an array of pairs or a plain object.
fn header_pairs(h: &JsValue) -> Vec<(String, String)> {
    if h.is_undefined() || h.is_null() {
        return Vec::new();
    }
    if let Some(entries) = function(h, "entries") {
        if let Ok(iter) = entries.call0(h) {
            if let Ok(Some(it)) = js_sys::try_iter(&iter) {
                return it
                    .filter_map(Result::ok)
                    .filter_map(|pair| {
                        let a = js_sys::Array::from(&pair);
                        Some((a.get(0).as_string()?, a.get(1).as_string()?))
                    })
                    .collect();
            }
        }
    }
    Object::entries(&Object::from(h.clone()))
        .iter()
        .filter_map(|pair| {
            let a = js_sys::Array::from(&pair);
            let v = a.get(1);
            Some((a.get(0).as_string()?, v.as_string().or_else(|| v.as_f64().map(|n| n.to_string()))?))
        })
        .collect()
}

impl Http for JsHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match &self.host_fn {
            Some(f) => Self::via_host(f, request).await,
            None => Self::via_fetch(request).await,
        }
    }
}

/// The clock: the host's `now()` / `sleep(ms)` when given (tests fast-forward), else `Date.now()`
/// and `setTimeout`.
pub struct JsClock {
    now: Option<Function>,
    sleep: Option<Function>,
}

impl JsClock {
    /// A clock over the optional host functions.
    pub fn new(now: Option<Function>, sleep: Option<Function>) -> Self {
        JsClock { now, sleep }
    }
}

fn ms_to_utc(ms: f64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap_or_default()
}

impl Clock for JsClock {
    fn now(&self) -> DateTime<Utc> {
        let host = self.now.as_ref().and_then(|f| f.call0(&JsValue::NULL).ok());
        match host {
            Some(v) if v.as_f64().is_some() => ms_to_utc(v.as_f64().unwrap_or_default()),
            Some(v) if v.is_instance_of::<js_sys::Date>() => ms_to_utc(js_sys::Date::from(v).get_time()),
            Some(v) if v.as_string().is_some() => v
                .as_string()
                .and_then(|s| crate::order::lenient::parse_timestamp(&s))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| ms_to_utc(js_sys::Date::now())),
            _ => ms_to_utc(js_sys::Date::now()),
        }
    }

    async fn sleep(&self, ms: u64) {
        let promise = match &self.sleep {
            Some(f) => f.call1(&JsValue::NULL, &JsValue::from_f64(ms as f64)).unwrap_or(JsValue::UNDEFINED),
            None => Promise::new(&mut |resolve, _| {
                let set_timeout = function(&js_sys::global(), "setTimeout");
                if let Some(st) = set_timeout {
                    let _ = st.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms as f64));
                } else {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            })
            .into(),
        };
        let _ = settle(promise).await;
    }
}

/// The shop's store: a JS object whose (async or sync) methods the engine calls.
pub struct JsStore {
    obj: JsValue,
}

/// Methods a store must have.
pub const REQUIRED_STORE_METHODS: [&str; 5] = ["loadImports", "createOrder", "saveImports", "saveOperations", "operations"];

impl JsStore {
    /// Wraps `obj`, checking it has the required methods.
    pub fn new(obj: JsValue) -> Result<Self, JsValue> {
        if !obj.is_object() {
            return Err(js_error("ConfigError", "Config", "host.store is required (an object with the store methods)"));
        }
        for m in REQUIRED_STORE_METHODS {
            if function(&obj, m).is_none() {
                return Err(js_error("ConfigError", "Config", &format!("host.store.{m} must be a function")));
            }
        }
        Ok(JsStore { obj })
    }

    async fn call(&self, method: &str, args: &[JsValue]) -> Result<JsValue, StoreError> {
        let Some(f) = function(&self.obj, method) else {
            return Ok(JsValue::UNDEFINED);
        };
        let array: js_sys::Array = args.iter().collect();
        let out = f.apply(&self.obj, &array).map_err(|e| StoreError(format!("{method}: {}", message_of(&e))))?;
        settle(out).await.map_err(|e| StoreError(format!("{method}: {}", message_of(&e))))
    }

    fn arg<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, StoreError> {
        to_js(value).map_err(|e| StoreError(message_of(&e)))
    }

    fn parse<T: DeserializeOwned>(value: JsValue, method: &str) -> Result<T, StoreError> {
        from_js(value, method).map_err(|e| StoreError(message_of(&e)))
    }

    fn list<T: DeserializeOwned>(value: JsValue, method: &str) -> Result<Vec<T>, StoreError> {
        if value.is_undefined() || value.is_null() {
            return Ok(Vec::new());
        }
        Self::parse(value, method)
    }
}

impl Store for JsStore {
    async fn try_lock(&self, owner: &str, ttl_ms: u64) -> Result<bool, StoreError> {
        if function(&self.obj, "tryLock").is_none() {
            return Ok(true);
        }
        let v = self.call("tryLock", &[JsValue::from_str(owner), JsValue::from_f64(ttl_ms as f64)]).await?;
        Ok(v.as_bool().unwrap_or(false))
    }

    async fn unlock(&self, owner: &str) -> Result<(), StoreError> {
        self.call("unlock", &[JsValue::from_str(owner)]).await.map(|_| ())
    }

    async fn load_imports(&self, ids: &[u64]) -> Result<Vec<ImportRecord>, StoreError> {
        let v = self.call("loadImports", &[Self::arg(ids)?]).await?;
        Self::list(v, "loadImports")
    }

    async fn load_unconfirmed(&self, limit: u32) -> Result<Vec<ImportRecord>, StoreError> {
        // Optional for stores: without it, lost acknowledgements are only repaired when listed again.
        if function(&self.obj, "loadUnconfirmed").is_none() {
            return Ok(Vec::new());
        }
        let v = self.call("loadUnconfirmed", &[JsValue::from_f64(f64::from(limit))]).await?;
        Self::list(v, "loadUnconfirmed")
    }

    async fn create_order(&self, draft: &OrderDraft) -> Result<CreateOutcome, StoreError> {
        let v = self.call("createOrder", &[Self::arg(draft)?]).await?;
        Self::parse(v, "createOrder")
    }

    async fn create_orders(&self, drafts: &[OrderDraft]) -> Vec<Result<CreateOutcome, StoreError>> {
        if function(&self.obj, "createOrders").is_none() {
            let mut out = Vec::with_capacity(drafts.len());
            for d in drafts {
                out.push(self.create_order(d).await);
            }
            return out;
        }
        let answer = match Self::arg(drafts) {
            Ok(arg) => self.call("createOrders", &[arg]).await.and_then(|v| Self::parse::<Vec<CreateOutcome>>(v, "createOrders")),
            Err(e) => Err(e),
        };
        match answer {
            Ok(list) if list.len() == drafts.len() => list.into_iter().map(Ok).collect(),
            Ok(list) => {
                let e = StoreError(format!("createOrders answered {} outcomes for {} drafts", list.len(), drafts.len()));
                drafts.iter().map(|_| Err(e.clone())).collect()
            }
            Err(e) => drafts.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn save_imports(&self, records: &[ImportRecord]) -> Result<(), StoreError> {
        self.call("saveImports", &[Self::arg(records)?]).await.map(|_| ())
    }

    async fn save_operations(&self, records: &[OperationRecord]) -> Result<(), StoreError> {
        self.call("saveOperations", &[Self::arg(records)?]).await.map(|_| ())
    }

    async fn operations(&self, query: &OperationQuery) -> Result<Vec<OperationRecord>, StoreError> {
        let v = self.call("operations", &[Self::arg(query)?]).await?;
        Self::list(v, "operations")
    }

    async fn insert_operation(&self, record: &OperationRecord) -> Result<bool, StoreError> {
        // Optional: stores written before it get the read-then-write fallback.
        if function(&self.obj, "insertOperation").is_none() {
            return crate::sync::host::insert_if_absent(self, record).await;
        }
        let v = self.call("insertOperation", &[Self::arg(record)?]).await?;
        v.as_bool().ok_or_else(|| StoreError("insertOperation must answer true (written) or false (the id exists)".into()))
    }

    async fn marketplace_status_changed(&self, record: &ImportRecord, previous: &OrderStatus) -> Result<(), StoreError> {
        self.call("marketplaceStatusChanged", &[Self::arg(record)?, JsValue::from_str(previous.as_str())]).await.map(|_| ())
    }
}
