//! The order list query (`GET /v1/store/{storeId}/order`, API reference §2.1).

use crate::order::OrderStatus;
use crate::order::lenient::format_utc;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// The API's page size ceiling.
pub const MAX_PAGE_SIZE: u32 = 200;

// Everything but unreserved characters (RFC 3986) is encoded in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes one query or path value.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Acknowledgment filter (spelled without the middle "e" by the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acknowledgment {
    /// Acknowledged by the shop.
    Acknowledged,
    /// Not yet acknowledged: what the shop still has to import.
    Unacknowledged,
}

/// Filters of the order list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderQuery {
    /// Statuses (sent as a comma list).
    pub status: Vec<OrderStatus>,
    /// Acknowledgment state.
    pub acknowledgment: Option<Acknowledgment>,
    /// Created on the channel at or after.
    pub since: Option<DateTime<Utc>>,
    /// Created on the channel at or before.
    pub until: Option<DateTime<Utc>>,
    /// Channel id.
    pub channel_id: Option<u64>,
    /// Marketplace order reference.
    pub reference: Option<String>,
    /// The shop's order reference.
    pub store_reference: Option<String>,
    /// `store`, `channel` or `undefined`.
    pub fulfilled_by: Option<String>,
    /// Only test orders (true) or only real ones (false).
    pub is_test: Option<bool>,
    /// 1-based page.
    pub page: u32,
    /// Page size, capped at [`MAX_PAGE_SIZE`].
    pub limit: u32,
}

impl Default for OrderQuery {
    fn default() -> Self {
        OrderQuery {
            status: Vec::new(),
            acknowledgment: None,
            since: None,
            until: None,
            channel_id: None,
            reference: None,
            store_reference: None,
            fulfilled_by: None,
            is_test: None,
            page: 1,
            limit: MAX_PAGE_SIZE,
        }
    }
}

impl OrderQuery {
    /// The import query: unacknowledged orders in `statuses` created since `since`.
    pub fn to_import(statuses: Vec<OrderStatus>, since: DateTime<Utc>) -> OrderQuery {
        OrderQuery { status: statuses, acknowledgment: Some(Acknowledgment::Unacknowledged), since: Some(since), ..OrderQuery::default() }
    }

    /// The query string, without the leading `?`.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |k: &str, v: &str| parts.push(format!("{k}={}", encode(v)));
        if !self.status.is_empty() {
            let list: Vec<&str> = self.status.iter().map(OrderStatus::as_str).collect();
            push("status", &list.join(","));
        }
        if let Some(a) = self.acknowledgment {
            push("acknowledgment", if a == Acknowledgment::Acknowledged { "acknowledged" } else { "unacknowledged" });
        }
        if let Some(t) = &self.since {
            push("since", &format_utc(t));
        }
        if let Some(t) = &self.until {
            push("until", &format_utc(t));
        }
        if let Some(c) = self.channel_id {
            push("channelId", &c.to_string());
        }
        if let Some(r) = &self.reference {
            push("reference", r);
        }
        if let Some(r) = &self.store_reference {
            push("storeReference", r);
        }
        if let Some(f) = &self.fulfilled_by {
            push("fulfilledBy", f);
        }
        if let Some(t) = self.is_test {
            push("isTest", if t { "true" } else { "false" });
        }
        push("page", &self.page.max(1).to_string());
        push("limit", &self.limit.clamp(1, MAX_PAGE_SIZE).to_string());
        parts.join("&")
    }
}
