//! One order as a merchant reads it: journal entry, shipment, operations, deadline, what needs
//! attention. The CLI and the dashboard both show this, so it is computed once, here.

use super::journal::{ImportRecord, ImportState, OperationRecord, OperationState};
use crate::api::OperationPayload;
use crate::mapping::ChannelRef;
use crate::order::lenient::parse_timestamp;
use crate::order::{Deadline, DeadlineState, Operation, OrderStatus, ShipLine, deadline, deadline_sent, lifecycle};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The shipment sent (or being sent) for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentView {
    /// Carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Tracking URL.
    pub tracking_url: String,
    /// Items (empty: whole order).
    pub items: Vec<ShipLine>,
    /// Where the ship operation stands.
    pub state: OperationState,
    /// Failure text.
    pub message: Option<String>,
}

/// An operation in an order's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    /// Local id.
    pub id: String,
    /// Operation.
    pub operation: Operation,
    /// State.
    pub state: OperationState,
    /// Batch id.
    pub batch_id: Option<String>,
    /// Failure text.
    pub message: Option<String>,
    /// Recorded at.
    pub recorded_at: String,
    /// Last change.
    pub updated_at: String,
}

/// One order for lists and detail pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// Shoppingfeed order id.
    pub id: u64,
    /// Marketplace reference.
    pub reference: String,
    /// Marketplace.
    pub channel: ChannelRef,
    /// Last known Shoppingfeed status.
    pub status: OrderStatus,
    /// Import state.
    pub state: ImportState,
    /// Shop order id (the `storeReference` sent to Shoppingfeed).
    pub store_reference: Option<String>,
    /// Acknowledged to Shoppingfeed.
    pub acknowledged: bool,
    /// Failed import attempts.
    pub tries: u32,
    /// Last import error.
    pub last_error: Option<String>,
    /// Created on the marketplace.
    pub created_at: Option<String>,
    /// Ship-by date.
    pub latest_ship_date: Option<String>,
    /// The ship-by date as the marketplace sent it, when it could not be read (the deadline is then
    /// at risk: it exists, nobody can see it).
    pub latest_ship_date_unreadable: Option<String>,
    /// Deadline status (only meaningful while unshipped).
    pub deadline: Deadline,
    /// The shipment, if one was recorded: the latest live one, else the latest failed one.
    pub shipment: Option<ShipmentView>,
    /// Every parcel recorded and not failed or canceled, oldest first: a partial-ship channel takes
    /// several, and each has its own tracking number the buyer may ask about.
    pub parcels: Vec<ShipmentView>,
    /// Every operation, oldest first.
    pub operations: Vec<OperationView>,
    /// Operations the status allows now.
    pub allowed: Vec<Operation>,
    /// Failed import or operation, or a deadline at risk or passed while unshipped.
    pub needs_attention: bool,
}

fn shipment_view(o: &OperationRecord) -> Option<ShipmentView> {
    match &o.payload {
        OperationPayload::Ship { shipment } => Some(ShipmentView {
            carrier: shipment.carrier.clone(),
            tracking_number: shipment.tracking_number.clone(),
            tracking_url: shipment.tracking_url.clone(),
            items: shipment.items.clone(),
            state: o.state,
            message: o.message.clone(),
        }),
        _ => None,
    }
}

/// Builds the view of `record` with its `operations` at `now`.
pub fn order_view(record: &ImportRecord, operations: &[OperationRecord], now: DateTime<Utc>) -> OrderView {
    let mut ops: Vec<&OperationRecord> = operations.iter().filter(|o| o.shoppingfeed_id == record.shoppingfeed_id).collect();
    ops.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at).then_with(|| a.id.cmp(&b.id)));
    let ship_ops: Vec<&&OperationRecord> = ops.iter().filter(|o| o.operation() == Operation::Ship).collect();
    let is_live = |o: &OperationRecord| !matches!(o.state, OperationState::Failed | OperationState::Canceled);
    let live = ship_ops.iter().rev().find(|o| is_live(o));
    let shipment = live.or(ship_ops.last()).and_then(|o| shipment_view(o));
    let parcels = ship_ops.iter().filter(|o| is_live(o)).filter_map(|o| shipment_view(o)).collect();
    let status = &record.order.status;
    let shipped = live.is_some() || matches!(status, OrderStatus::Shipped | OrderStatus::PartiallyShipped) || status.is_closed();
    let due = record.order.latest_ship_date.as_deref().and_then(parse_timestamp);
    let created = record.order.created_at.as_deref().and_then(parse_timestamp);
    let unreadable = record.order.latest_ship_date_unreadable.clone();
    let deadline =
        if shipped { deadline(None, None, now) } else { deadline_sent(due.as_ref(), unreadable.is_some(), created.as_ref(), now) };
    // A failure counts until a later operation of the same kind is under way or done (a retry).
    let failed_op = ops.iter().enumerate().any(|(i, o)| {
        o.state == OperationState::Failed
            && !ops[i + 1..].iter().any(|later| {
                later.operation() == o.operation() && !matches!(later.state, OperationState::Failed | OperationState::Canceled)
            })
    });
    let needs_attention =
        record.state == ImportState::Failed || failed_op || matches!(deadline.state, DeadlineState::AtRisk | DeadlineState::Overdue);
    OrderView {
        id: record.shoppingfeed_id,
        reference: record.reference.clone(),
        channel: record.channel.clone(),
        status: status.clone(),
        state: record.state,
        store_reference: record.shop_order_id.clone(),
        acknowledged: record.state == ImportState::Acknowledged,
        tries: record.tries,
        last_error: record.last_error.clone(),
        created_at: record.order.created_at.clone(),
        latest_ship_date: record.order.latest_ship_date.clone(),
        latest_ship_date_unreadable: unreadable,
        deadline,
        shipment,
        parcels,
        operations: ops
            .iter()
            .map(|o| OperationView {
                id: o.id.clone(),
                operation: o.operation(),
                state: o.state,
                batch_id: o.batch_id.clone(),
                message: o.message.clone(),
                recorded_at: o.recorded_at.clone(),
                updated_at: o.updated_at.clone(),
            })
            .collect(),
        allowed: Operation::ALL
            .into_iter()
            .filter(|op| lifecycle::check(status, *op).is_ok())
            // No ship while everything is shipped, nor while a shipment waits to be sent (the engine
            // refuses it then: ShipmentPending).
            .filter(|op| {
                !(*op == Operation::Ship
                    && (live.is_some_and(|o| matches!(&o.payload, OperationPayload::Ship { shipment } if shipment.complete))
                        || ship_ops.iter().any(|o| matches!(o.state, OperationState::Pending | OperationState::Sending))))
            })
            .collect(),
        needs_attention,
    }
}
