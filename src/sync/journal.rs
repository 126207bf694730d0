//! The connector's journal: which Shoppingfeed order became which shop order, acknowledgement state,
//! operations and their batches. Plain data the store keeps as it likes.

use crate::api::OperationPayload;
use crate::mapping::ChannelRef;
use crate::order::shipment::OrderedLine;
use crate::order::{Operation, OrderStatus};
use serde::{Deserialize, Serialize};

/// The largest Shoppingfeed id the journal holds: journal entries, drafts, reports and log lines
/// reach the host as JSON, and a JavaScript host reads numbers as doubles, exact only up to 2^53 − 1
/// (`Number.MAX_SAFE_INTEGER`). Above it an id would silently become another order's.
pub const MAX_JOURNAL_ID: u64 = (1 << 53) - 1;

/// What the store answers to `create_order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum CreateOutcome {
    /// The order exists in the shop (just created, or already there).
    #[serde(rename_all = "camelCase")]
    Created {
        /// The shop's order id, sent as `storeReference`.
        shop_order_id: String,
        /// The order was already in the shop (an earlier run created it); optional for stores.
        #[serde(default)]
        existed: bool,
    },
    /// The shop refuses it (unknown SKU, out of stock…); the message goes into the error acknowledge.
    Rejected {
        /// Why, naming the field and value.
        message: String,
    },
}

/// Where an imported order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// In the shop; the success acknowledge is not confirmed yet.
    Created,
    /// In the shop and acknowledged to Shoppingfeed.
    Acknowledged,
    /// Could not be created; retried every cycle.
    Failed,
}

/// The order data the engine needs later (ship validation, lifecycle) without asking the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSnapshot {
    /// Last known Shoppingfeed status.
    pub status: OrderStatus,
    /// Ordered lines (item id, quantity).
    pub lines: Vec<OrderedLine>,
    /// Ship-by deadline.
    pub latest_ship_date: Option<String>,
    /// A ship-by date the marketplace sent that could not be read, as sent (clipped): the deadline
    /// exists, nobody can see it. Absent from records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_ship_date_unreadable: Option<String>,
    /// Created on the marketplace.
    pub created_at: Option<String>,
}

/// One Shoppingfeed order in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRecord {
    /// Shoppingfeed order id.
    pub shoppingfeed_id: u64,
    /// Marketplace reference.
    pub reference: String,
    /// Marketplace.
    pub channel: ChannelRef,
    /// Import state.
    pub state: ImportState,
    /// Shop order id, once created.
    pub shop_order_id: Option<String>,
    /// What the engine remembers of the order.
    pub order: OrderSnapshot,
    /// Failed creation attempts.
    pub tries: u32,
    /// Last failure message.
    pub last_error: Option<String>,
    /// Message of the last error acknowledge sent (the same one is not sent again).
    pub error_acked: Option<String>,
    /// Batch of the last acknowledge.
    pub ack_batch_id: Option<String>,
    /// That acknowledge's ticket was seen done: if the order is listed unacknowledged again, the
    /// merchant asked for it again (it is acknowledged again), Shoppingfeed is not just late.
    #[serde(default)]
    pub ack_applied: bool,
    /// Last change (ISO 8601).
    pub updated_at: String,
}

/// Where an outbound operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    /// Recorded, not sent yet.
    Pending,
    /// Being sent; if the engine stops here, the next run reads tickets back before sending again.
    Sending,
    /// Accepted by Shoppingfeed (202); following its ticket.
    Sent,
    /// The marketplace has it.
    Succeeded,
    /// Refused by Shoppingfeed or the marketplace.
    Failed,
    /// Dropped by Shoppingfeed (ticket `canceled`).
    Canceled,
}

impl OperationState {
    /// Final: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, OperationState::Succeeded | OperationState::Failed | OperationState::Canceled)
    }
}

/// One outbound operation on one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRecord {
    /// Local id (`<order id>:<operation>:<n>`).
    pub id: String,
    /// Shoppingfeed order id.
    pub shoppingfeed_id: u64,
    /// Marketplace reference (tickets may name the order by it).
    pub reference: String,
    /// The operation and its fields.
    pub payload: OperationPayload,
    /// State.
    pub state: OperationState,
    /// Batch id once accepted.
    pub batch_id: Option<String>,
    /// Failure or cancel message.
    pub message: Option<String>,
    /// Send attempts.
    pub attempts: u32,
    /// Recorded at (ISO 8601).
    pub recorded_at: String,
    /// Last change (ISO 8601).
    pub updated_at: String,
}

impl OperationRecord {
    /// The operation.
    pub fn operation(&self) -> Operation {
        self.payload.operation()
    }
}

/// Which operation records to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OperationQuery {
    /// Only these states (empty: all).
    pub states: Vec<OperationState>,
    /// Only this order.
    pub shoppingfeed_id: Option<u64>,
}
