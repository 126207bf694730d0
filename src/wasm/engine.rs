//! The exported engine class.

use super::convert::{from_js, order_id, to_js};
use super::error::{cycle_error, js_error, sync_error};
use super::host::{JsClock, JsHttp, JsStore, function};
use crate::api::{RefundLine, RetryPolicy};
use crate::order::ShipRequest;
use crate::sync::{Engine, EngineConfig, discover_stores};
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

type Inner = Engine<JsHttp, JsStore, JsClock>;

/// The order-sync engine for one Shoppingfeed store, hosted by JS.
#[wasm_bindgen]
pub struct SyncEngine {
    // Shared with the futures of running calls, so calls may overlap (the engine refuses overlapping
    // cycles itself) without a borrow held across an await.
    inner: Rc<Inner>,
}

type Boxed = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>>;

fn promise<F, T>(fut: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<T, JsValue>> + 'static,
    T: serde::Serialize,
{
    // Boxed so `future_to_promise` is instantiated once for every method, not once per method.
    let boxed: Boxed = Box::pin(async move { to_js(&fut.await?) });
    future_to_promise(boxed)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RefundArgs {
    shipping: Option<bool>,
    products: Vec<RefundLine>,
}

#[wasm_bindgen]
impl SyncEngine {
    /// `config`: { apiUrl, token, storeId, sinceDays, importFulfilled, autoAccept, includeTest, … };
    /// `host`: { store, http?, now?, sleep?, log? }.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, host: JsValue) -> Result<SyncEngine, JsValue> {
        let config: EngineConfig = from_js(config, "config")?;
        if !host.is_object() {
            return Err(js_error("ConfigError", "Config", "host must be an object with a store"));
        }
        let store = JsStore::new(js_sys::Reflect::get(&host, &"store".into()).unwrap_or(JsValue::UNDEFINED))?;
        let http = JsHttp::new(function(&host, "http"));
        let clock = JsClock::new(function(&host, "now"), function(&host, "sleep"));
        let mut engine = Engine::new(config, http, store, clock).map_err(|e| sync_error(&e))?;
        if let Some(log) = function(&host, "log") {
            engine = engine.with_log(move |record| {
                if let Ok(v) = to_js(record) {
                    // A throwing logger must not break a cycle.
                    let _ = log.call1(&JsValue::NULL, &v);
                }
            });
        }
        Ok(SyncEngine { inner: Rc::new(engine) })
    }

    /// Runs one cycle; resolves to the report, or rejects with an Error carrying `code` and `report`.
    #[wasm_bindgen(js_name = runCycle)]
    pub fn run_cycle(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move { inner.run_cycle().await.map_err(|f| cycle_error(&f)) })
    }

    /// Ships an order: { carrier, trackingNumber, trackingUrl?, items?: [{ id, quantity }] }.
    pub fn ship(&self, id: JsValue, shipment: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            let req: ShipRequest = from_js(shipment, "shipment")?;
            inner.ship(id, &req).await.map_err(|e| sync_error(&e))
        })
    }

    /// Cancels an order before shipment.
    pub fn cancel(&self, id: JsValue, reason: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            inner.cancel(id, reason.as_deref().unwrap_or("")).await.map_err(|e| sync_error(&e))
        })
    }

    /// Refunds an order: { shipping?: boolean, products?: [{ reference, quantity }] } (none = whole order).
    pub fn refund(&self, id: JsValue, refund: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            let args: RefundArgs =
                if refund.is_undefined() || refund.is_null() { RefundArgs::default() } else { from_js(refund, "refund")? };
            inner.refund(id, args.shipping.unwrap_or(true), args.products).await.map_err(|e| sync_error(&e))
        })
    }

    /// Accepts an order waiting for store acceptance.
    pub fn accept(&self, id: JsValue, reason: Option<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            inner.accept(id, reason.as_deref().unwrap_or("")).await.map_err(|e| sync_error(&e))
        })
    }

    /// Refuses an order waiting for store acceptance.
    pub fn refuse(&self, id: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            inner.refuse(id).await.map_err(|e| sync_error(&e))
        })
    }

    /// Marks a shipped order delivered.
    pub fn deliver(&self, id: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            inner.deliver(id).await.map_err(|e| sync_error(&e))
        })
    }

    /// Uploads an invoice PDF (bytes).
    #[wasm_bindgen(js_name = uploadInvoice)]
    pub fn upload_invoice(&self, id: JsValue, pdf: Vec<u8>) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let id = order_id(&id)?;
            inner.upload_invoice(id, pdf).await.map_err(|e| sync_error(&e))
        })
    }

    /// HTTP calls made by this engine so far (retries included).
    #[wasm_bindgen(getter)]
    pub fn requests(&self) -> f64 {
        self.inner.requests() as f64
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscoverArgs {
    #[serde(default)]
    api_url: Option<String>,
    token: String,
}

/// Lists the stores a token can see: { apiUrl?, token, http? } → [{ id, name, status, country }].
#[wasm_bindgen(js_name = discoverStores)]
pub fn discover(options: JsValue) -> js_sys::Promise {
    let http = JsHttp::new(function(&options, "http"));
    promise(async move {
        let args: DiscoverArgs = from_js(options, "options")?;
        let url = args.api_url.unwrap_or_else(|| crate::api::DEFAULT_API_URL.to_string());
        discover_stores(http, JsClock::new(None, None), &url, &args.token, RetryPolicy::default()).await.map_err(|e| sync_error(&e))
    })
}
