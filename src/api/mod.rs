//! The Shoppingfeed API as pure data: request values, the list query, HAL pages, operation bodies,
//! tickets, problem+json errors and the retry policy. No I/O here.

pub mod error;
pub mod hal;
pub mod http;
pub mod operation;
pub mod query;
pub mod retry;
pub mod store;
pub mod ticket;

pub use error::{ApiError, Problem, classify};
pub use hal::{Page, PageEntry, parse_order_page, resolve_link};
pub use http::{HttpRequest, HttpResponse};
pub use operation::{AckStatus, BatchAccepted, MAX_BATCH, OperationPayload, RefundLine, batch_body, parse_batch_accepted};
pub use query::{Acknowledgment, MAX_PAGE_SIZE, OrderQuery};
pub use retry::{Decision, RetryPolicy};
pub use store::{StoreInfo, parse_me};
pub use ticket::{Ticket, TicketPage, TicketState, parse_ticket, parse_ticket_page};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://api.shopping-feed.com";

/// Paths of the endpoints the engine calls.
pub mod paths {
    use super::query::encode;
    use crate::order::Operation;

    /// `GET /v1/me`.
    pub fn me() -> String {
        "/v1/me".to_string()
    }
    /// `GET /v1/store/{id}/order?...`.
    pub fn orders(store: u64, query: &str) -> String {
        format!("/v1/store/{store}/order?{query}")
    }
    /// `GET /v1/store/{id}/order/{orderId}`.
    pub fn order(store: u64, order: u64) -> String {
        format!("/v1/store/{store}/order/{order}")
    }
    /// `POST /v1/store/{id}/order/{operation}`.
    pub fn operation(store: u64, op: Operation) -> String {
        format!("/v1/store/{store}/order/{}", op.as_str())
    }
    /// `GET /v1/store/{id}/ticket?batchId=…`.
    pub fn tickets_of_batch(store: u64, batch: &str, page: u32) -> String {
        format!("/v1/store/{store}/ticket?batchId={}&page={page}&limit=200", encode(batch))
    }
    /// `GET /v1/store/{id}/ticket?type=…&payloadId=…`: the tickets an operation left for one order.
    pub fn tickets_of_order(store: u64, op: Operation, order: u64) -> String {
        format!("/v1/store/{store}/ticket?type={}&payloadId={order}&limit=200", encode(op.ticket_type()))
    }
}
