//! Tickets: how an operation's result is read back (API reference §5.11).

use super::error::ApiError;
use super::hal::{Page, parse_page};
use crate::order::lenient::{Timestamp, clip, parse_timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A ticket state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketState {
    /// Queued.
    Scheduled,
    /// Being relayed.
    Running,
    /// Done.
    Succeed,
    /// Processed with an error.
    Failed,
    /// Refused / dropped by Shoppingfeed.
    Canceled,
    /// Anything else (kept, treated as still processing).
    #[serde(untagged)]
    Unknown(String),
}

impl TicketState {
    /// Parses the API spelling.
    pub fn parse(s: &str) -> TicketState {
        match s {
            "scheduled" => TicketState::Scheduled,
            "running" => TicketState::Running,
            "succeed" | "succeeded" => TicketState::Succeed,
            "failed" => TicketState::Failed,
            "canceled" | "cancelled" => TicketState::Canceled,
            other => TicketState::Unknown(other.to_string()),
        }
    }

    /// Still being worked on (the "processing" macro state).
    pub fn is_processing(&self) -> bool {
        matches!(self, TicketState::Scheduled | TicketState::Running | TicketState::Unknown(_))
    }
}

/// One ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// Ticket id.
    pub id: String,
    /// Batch (one API call) it belongs to.
    pub batch_id: Option<String>,
    /// `order.notify.shipment`, …
    pub kind: Option<String>,
    /// State.
    pub state: TicketState,
    /// Queued at.
    pub scheduled_at: Option<Timestamp>,
    /// Finished at.
    pub finished_at: Option<Timestamp>,
    /// Order id from the payload, when present.
    pub order_id: Option<u64>,
    /// Marketplace reference from the payload.
    pub reference: Option<String>,
    /// Failure text, wherever the ticket carries it.
    pub message: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads one ticket object.
pub fn ticket_from_value(v: &Value) -> Ticket {
    let payload = v.get("payload");
    let p = |k: &str| payload.and_then(|p| p.get(k));
    let state = TicketState::parse(v.get("state").and_then(Value::as_str).unwrap_or(""));
    // A reason on a successful accept or cancel is not failure text.
    // Failure text may sit in `errors[].message` or in a message-like field, on the ticket or its payload.
    let from_errors = |x: Option<&Value>| {
        x.and_then(Value::as_array).and_then(|list| list.iter().find_map(|e| text(e.get("message")).or_else(|| text(Some(e)))))
    };
    let message = matches!(state, TicketState::Failed | TicketState::Canceled)
        .then(|| {
            from_errors(v.get("errors"))
                .or_else(|| from_errors(p("errors")))
                .or_else(|| ["message", "error", "reason", "detail"].iter().find_map(|k| text(v.get(*k)).or_else(|| text(p(k)))))
        })
        .flatten()
        .map(|m| clip(&m));
    Ticket {
        id: text(v.get("id")).unwrap_or_default(),
        batch_id: text(v.get("batchId")),
        kind: text(v.get("type")),
        state,
        scheduled_at: v.get("scheduledAt").and_then(Value::as_str).and_then(parse_timestamp),
        finished_at: v.get("finishedAt").and_then(Value::as_str).and_then(parse_timestamp),
        order_id: id(p("id")).or_else(|| id(p("orderId"))).or_else(|| id(payload.and_then(|p| p.pointer("/order/id")))),
        reference: text(p("reference")),
        message,
    }
}

/// A page of tickets and whether any is still processing.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPage {
    /// The tickets.
    pub page: Page<Ticket>,
    /// `meta.processing`, or any ticket of the page still scheduled/running.
    pub processing: bool,
}

/// Decodes a ticket collection.
pub fn parse_ticket_page(body: &str) -> Result<TicketPage, ApiError> {
    let page = parse_page(body, "ticket", "ticket list", ticket_from_value)?;
    let meta = serde_json::from_str::<Value>(body).ok().and_then(|v| v.pointer("/meta/processing").cloned());
    let meta_processing = match meta {
        Some(Value::Bool(b)) => b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => false,
    };
    let processing = meta_processing || page.items.iter().any(|t| t.state.is_processing());
    Ok(TicketPage { page, processing })
}

/// Decodes a single ticket.
pub fn parse_ticket(body: &str) -> Result<Ticket, ApiError> {
    let v: Value = serde_json::from_str(body).map_err(|e| ApiError::Decode { what: "ticket", message: e.to_string() })?;
    let t = ticket_from_value(&v);
    if !v.is_object() || t.id.is_empty() {
        return Err(ApiError::Decode { what: "ticket", message: format!("not a ticket: `{}`", clip(body)) });
    }
    Ok(t)
}
