//! What the engine asks of its host: HTTP, the order store with the connector's journal, a clock.
//! Single-threaded and async: the Wasm host is one JS event loop.

use super::journal::{CreateOutcome, ImportRecord, OperationQuery, OperationRecord};
use crate::api::{HttpRequest, HttpResponse};
use crate::mapping::OrderDraft;
use crate::order::OrderStatus;
use chrono::{DateTime, Utc};
use thiserror::Error;

/// The request did not complete (refused, reset, DNS, cut body).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// The store failed (database down, constraint…); not a business refusal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Sends HTTP requests.
#[allow(async_fn_in_trait)]
pub trait Http {
    /// Sends one request; any complete answer (whatever its status) is `Ok`.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Time, from the host (std's clock traps on wasm32).
#[allow(async_fn_in_trait)]
pub trait Clock {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u64);
}

/// The shop's order store plus the connector's journal.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Takes the store-wide sync lock for `ttl_ms` (renewing it when already held by this engine);
    /// false when another process holds it.
    async fn try_lock(&self, owner: &str, ttl_ms: u64) -> Result<bool, StoreError>;
    /// Releases the lock.
    async fn unlock(&self, owner: &str) -> Result<(), StoreError>;
    /// Journal entries of these Shoppingfeed orders (missing ones left out).
    async fn load_imports(&self, ids: &[u64]) -> Result<Vec<ImportRecord>, StoreError>;
    /// Journal entries in state `created` (in the shop, acknowledgement not confirmed), at most `limit`.
    async fn load_unconfirmed(&self, limit: u32) -> Result<Vec<ImportRecord>, StoreError>;
    /// Creates the shop order. Must be idempotent on `draft.shoppingfeed_id`: a second call returns the
    /// order created by the first.
    async fn create_order(&self, draft: &OrderDraft) -> Result<CreateOutcome, StoreError>;
    /// Creates several shop orders (one page's worth), each as `create_order` would; a store that can
    /// do it in one transaction overrides this. One answer per draft, in order.
    async fn create_orders(&self, drafts: &[OrderDraft]) -> Vec<Result<CreateOutcome, StoreError>> {
        let mut out = Vec::with_capacity(drafts.len());
        for d in drafts {
            out.push(self.create_order(d).await);
        }
        out
    }
    /// Writes journal entries (insert or replace, one transaction).
    async fn save_imports(&self, records: &[ImportRecord]) -> Result<(), StoreError>;
    /// Writes operation records (insert or replace, one transaction).
    async fn save_operations(&self, records: &[OperationRecord]) -> Result<(), StoreError>;
    /// Operation records matching the query.
    async fn operations(&self, query: &OperationQuery) -> Result<Vec<OperationRecord>, StoreError>;
    /// Writes a new operation record unless one with its id exists; false then, nothing written. Two
    /// processes recording the same operation of one order pick the same id, so this is what stops the
    /// second from overwriting the first. The default reads then writes, which leaves a short window:
    /// a store that can insert atomically (a unique key) overrides it.
    async fn insert_operation(&self, record: &OperationRecord) -> Result<bool, StoreError> {
        insert_if_absent(self, record).await
    }
    /// The marketplace changed an imported order's status (cancelled after import, refunded…): the
    /// shop should reflect it. `record` already carries the new status.
    async fn marketplace_status_changed(&self, record: &ImportRecord, previous: &OrderStatus) -> Result<(), StoreError>;
}

/// [`Store::insert_operation`] for stores without an atomic insert: a read, then a write.
pub async fn insert_if_absent<S: Store + ?Sized>(store: &S, record: &OperationRecord) -> Result<bool, StoreError> {
    let query = OperationQuery { states: vec![], shoppingfeed_id: Some(record.shoppingfeed_id) };
    if store.operations(&query).await?.iter().any(|o| o.id == record.id) {
        return Ok(false);
    }
    store.save_operations(std::slice::from_ref(record)).await?;
    Ok(true)
}
