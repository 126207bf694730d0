//! HAL collections (API reference §2.2): paging figures, `_links.next`, `_embedded`.

use super::error::ApiError;
use crate::order::lenient::clip;
use crate::order::{Order, OrderError, parse_order};
use serde_json::Value;

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items matching the query, all pages together.
    pub total: u64,
    /// Page size the server applied.
    pub limit: u64,
    /// Page count.
    pub pages: u64,
    /// This page's number.
    pub page: u64,
    /// Items in this page.
    pub count: u64,
    /// `_links.next.href`, absent on the last page.
    pub next: Option<String>,
    /// The embedded items.
    pub items: Vec<T>,
}

/// An entry of an order page: a usable order, or one that could not be read (the others go on).
#[derive(Debug, Clone, PartialEq)]
pub enum PageEntry {
    /// Parsed.
    Order(Box<Order>),
    /// Unreadable; the id and reference are kept when they could be read, to acknowledge it with an error.
    Malformed {
        /// Shoppingfeed id, if readable.
        id: Option<u64>,
        /// Marketplace reference, if readable.
        reference: Option<String>,
        /// Channel id and name, as far as readable (kept in the journal for the merchant).
        channel: (Option<u64>, String),
        /// Status, as far as readable.
        status: crate::order::OrderStatus,
        /// What is wrong.
        error: OrderError,
        /// Messages of the error acknowledgements Shoppingfeed already recorded for it (`errors[]` of
        /// type `acknowledge`), as far as readable.
        acknowledge_errors: Vec<String>,
    },
}

fn number(v: &Value, key: &str) -> u64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// Decodes a collection, handing each embedded item to `item`. The SDK takes the first embedded rel
/// whatever its name; `rel` is preferred when present.
pub fn parse_page<T>(body: &str, rel: &str, what: &'static str, item: impl Fn(&Value) -> T) -> Result<Page<T>, ApiError> {
    let v: Value = serde_json::from_str(body).map_err(|e| ApiError::Decode { what, message: e.to_string() })?;
    if !v.is_object() {
        return Err(ApiError::Decode { what, message: format!("expected a HAL object, got `{}`", clip(body)) });
    }
    let embedded = v.get("_embedded");
    let list =
        embedded.and_then(|e| e.get(rel)).or_else(|| embedded.and_then(Value::as_object).and_then(|m| m.values().find(|x| x.is_array())));
    let items = match list {
        Some(Value::Array(a)) => a.iter().map(item).collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(ApiError::Decode { what, message: format!("`_embedded.{rel}` is not a list") }),
    };
    Ok(page_of(&v, v.get("_links").cloned().unwrap_or(Value::Null), items))
}

/// The paging figures and `next` link of a collection around `items`.
fn page_of<T>(figures: &Value, links: Value, items: Vec<T>) -> Page<T> {
    let next = links.pointer("/next/href").and_then(Value::as_str).filter(|h| !h.is_empty()).map(str::to_string);
    Page {
        total: number(figures, "total"),
        limit: number(figures, "limit"),
        pages: number(figures, "pages"),
        page: number(figures, "page"),
        count: number(figures, "count"),
        next,
        items,
    }
}

/// Decodes an order list page; a malformed order becomes [`PageEntry::Malformed`], not a failure.
/// Each order is parsed once, straight from its own text; only one that fails is read again, to name
/// the bad field and keep its id.
pub fn parse_order_page(body: &str) -> Result<Page<PageEntry>, ApiError> {
    use serde_json::value::RawValue;
    let what = "order list";
    let decode = |e: serde_json::Error| ApiError::Decode { what, message: e.to_string() };
    let top: std::collections::BTreeMap<&str, &RawValue> = serde_json::from_str(body).map_err(decode)?;
    let field = |k: &str| top.get(k).and_then(|r| serde_json::from_str::<Value>(r.get()).ok()).unwrap_or(Value::Null);
    let figures = serde_json::json!({
        "total": field("total"), "limit": field("limit"), "pages": field("pages"), "page": field("page"), "count": field("count"),
    });
    let embedded: std::collections::BTreeMap<&str, &RawValue> = match top.get("_embedded") {
        Some(raw) if raw.get().trim_start().starts_with('{') => serde_json::from_str(raw.get()).map_err(decode)?,
        _ => Default::default(),
    };
    let list = embedded.get("order").copied().or_else(|| embedded.values().copied().find(|r| r.get().trim_start().starts_with('[')));
    let raws: Vec<&RawValue> = match list {
        Some(r) if r.get().trim() == "null" => Vec::new(),
        Some(r) => {
            serde_json::from_str(r.get()).map_err(|_| ApiError::Decode { what, message: "`_embedded.order` is not a list".into() })?
        }
        None => Vec::new(),
    };
    let items = raws
        .into_iter()
        .map(|raw| match parse_order(raw.get()) {
            Ok(o) => PageEntry::Order(Box::new(o)),
            // Only a bad order is decoded a second time, generically, for what can still be read of it.
            Err(error) => malformed(&serde_json::from_str(raw.get()).unwrap_or(Value::Null), error),
        })
        .collect();
    Ok(page_of(&figures, field("_links"), items))
}

fn malformed(v: &Value, error: OrderError) -> PageEntry {
    PageEntry::Malformed {
        id: v.get("id").and_then(|i| i.as_u64().or_else(|| i.as_str().and_then(|s| s.trim().parse().ok()))),
        reference: v.get("reference").and_then(Value::as_str).map(str::to_string),
        channel: (
            v.get("channelId").or_else(|| v.pointer("/_embedded/channel/id")).and_then(Value::as_u64),
            v.pointer("/_embedded/channel/name").and_then(Value::as_str).map(clip).unwrap_or_default(),
        ),
        status: v.get("status").and_then(Value::as_str).map(crate::order::OrderStatus::parse).unwrap_or_default(),
        error,
        acknowledge_errors: v
            .get("errors")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|e| e.get("type").and_then(Value::as_str) == Some("acknowledge"))
                    .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Resolves a link href against the API base URL. Only a relative href or one on the API's own
/// origin is followed: the bearer token must never travel to another host.
pub fn resolve_link(base_url: &str, href: &str) -> Result<String, ApiError> {
    let base = base_url.trim_end_matches('/');
    if href.starts_with('/') {
        return Ok(format!("{base}{href}"));
    }
    let origin_end = base.find("://").map(|i| i + 3).and_then(|s| base[s..].find('/').map(|p| s + p)).unwrap_or(base.len());
    let origin = &base[..origin_end];
    if href.starts_with(&format!("{origin}/")) {
        return Ok(href.to_string());
    }
    Err(ApiError::Decode { what: "link", message: format!("refusing to follow a link off the API origin: `{}`", clip(href)) })
}
