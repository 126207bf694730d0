//! Ticket follow-up: what Shoppingfeed and the marketplace made of the operations sent, and the
//! journal's order status following what they confirmed.

use super::engine::{CycleReport, Engine};
use super::error::SyncError;
use super::host::{Clock, Http, Store};
use super::journal::{ImportRecord, OperationQuery, OperationRecord, OperationState};
use crate::api::{ApiError, OperationPayload, Ticket, TicketState, parse_ticket_page, paths};
use crate::order::{OrderStatus, parse_order};
use std::collections::BTreeMap;

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    pub(super) async fn follow_tickets(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let sent = self.store.operations(&OperationQuery { states: vec![OperationState::Sent], shoppingfeed_id: None }).await?;
        let mut batches: BTreeMap<String, Vec<OperationRecord>> = BTreeMap::new();
        for op in sent {
            batches.entry(op.batch_id.clone().unwrap_or_default()).or_default().push(op);
        }
        for (batch, ops) in batches {
            let (tickets, processing) = match self.tickets_of_batch(&batch).await {
                Ok(t) => t,
                Err(ApiError::NotFound { .. }) => (Vec::new(), false),
                Err(e) => return Err(e.into()),
            };
            let mut changed = Vec::new();
            for mut op in ops {
                let ticket = tickets
                    .iter()
                    .find(|t| t.order_id == Some(op.shoppingfeed_id))
                    .or_else(|| tickets.iter().find(|t| t.order_id.is_none() && t.reference.as_deref() == Some(op.reference.as_str())));
                let state = match ticket.map(|t| &t.state) {
                    Some(TicketState::Succeed) => OperationState::Succeeded,
                    Some(TicketState::Failed) => OperationState::Failed,
                    Some(TicketState::Canceled) => OperationState::Canceled,
                    Some(_) => continue,
                    None if processing => continue,
                    None => OperationState::Failed,
                };
                op.state = state;
                op.updated_at = self.now_iso();
                match state {
                    OperationState::Succeeded => report.succeeded += 1,
                    _ => {
                        let mut why = ticket.and_then(|t| t.message.clone());
                        if why.is_none() && state == OperationState::Failed {
                            // Tickets need not say why; the order's `errors` does.
                            why = self.latest_order_error(op.shoppingfeed_id).await;
                        }
                        let why = why.unwrap_or_else(|| {
                            if ticket.is_some() {
                                format!("ticket {state:?}")
                            } else {
                                format!("no ticket for this order in batch {batch}")
                            }
                        });
                        report.operations_failed += 1;
                        report.issue(
                            Some(op.shoppingfeed_id),
                            Some(&op.reference),
                            "OperationFailed",
                            format!("{}: {why}", op.operation()),
                        );
                        op.message = Some(why);
                    }
                }
                changed.push(op);
            }
            if !changed.is_empty() {
                self.store.save_operations(&changed).await?;
                self.apply_succeeded(&changed).await?;
            }
        }
        Ok(())
    }

    /// The newest message in an order's `errors` (where Shoppingfeed records a failed push).
    async fn latest_order_error(&self, id: u64) -> Option<String> {
        let decode = |b: &str| parse_order(b).map_err(|e| ApiError::Decode { what: "order", message: e.to_string() });
        let order = self.client.get(&paths::order(self.config.store_id, id), "order", decode).await.ok()?;
        order
            .errors
            .iter()
            .rev()
            .find(|e| e.kind != "acknowledge" && !e.message.is_empty())
            .map(|e| crate::order::lenient::clip(&e.message))
    }

    pub(super) async fn tickets_of_batch(&self, batch: &str) -> Result<(Vec<Ticket>, bool), ApiError> {
        let mut tickets = Vec::new();
        let mut processing = false;
        let mut next = Some(paths::tickets_of_batch(self.config.store_id, batch, 1));
        let mut pages = 0;
        while let Some(href) = next.take() {
            let page = self.client.get(&href, "ticket list", parse_ticket_page).await?;
            processing |= page.processing;
            tickets.extend(page.page.items);
            pages += 1;
            next = page.page.next.filter(|n| *n != href && pages < 100);
        }
        Ok((tickets, processing))
    }

    /// The journal's status follows what the marketplace confirmed.
    async fn apply_succeeded(&self, ops: &[OperationRecord]) -> Result<(), SyncError> {
        let done: Vec<&OperationRecord> = ops.iter().filter(|o| o.state == OperationState::Succeeded).collect();
        if done.is_empty() {
            return Ok(());
        }
        let ids: Vec<u64> = done.iter().map(|o| o.shoppingfeed_id).collect();
        let mut records: BTreeMap<u64, ImportRecord> =
            self.store.load_imports(&ids).await?.into_iter().map(|r| (r.shoppingfeed_id, r)).collect();
        for op in done {
            let Some(rec) = records.get_mut(&op.shoppingfeed_id) else { continue };
            let status = match &op.payload {
                OperationPayload::Ship { .. } => self.ship_status(op.shoppingfeed_id).await?,
                OperationPayload::Cancel { .. } => OrderStatus::Cancelled,
                OperationPayload::Refund { products, .. } if products.is_empty() => OrderStatus::Refunded,
                OperationPayload::Refund { .. } => OrderStatus::PartiallyRefunded,
                OperationPayload::Accept { .. } => OrderStatus::WaitingShipment,
                OperationPayload::Refuse => OrderStatus::Refused,
                _ => continue,
            };
            rec.order.status = status;
            rec.updated_at = self.now_iso();
        }
        let list: Vec<ImportRecord> = records.into_values().collect();
        self.store.save_imports(&list).await?;
        Ok(())
    }

    /// Shipped once the parcel that completes the order and every parcel before it went through:
    /// marketplaces run tickets in no set order, so the last parcel may be confirmed before the first.
    async fn ship_status(&self, id: u64) -> Result<OrderStatus, SyncError> {
        let ops = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(id) }).await?;
        let parcels: Vec<&OperationRecord> = ops
            .iter()
            .filter(|o| !matches!(o.state, OperationState::Failed | OperationState::Canceled))
            .filter(|o| matches!(o.payload, OperationPayload::Ship { .. }))
            .collect();
        let completed = parcels.iter().any(|o| matches!(&o.payload, OperationPayload::Ship { shipment } if shipment.complete));
        let all_through = parcels.iter().all(|o| o.state == OperationState::Succeeded);
        Ok(if completed && all_through { OrderStatus::Shipped } else { OrderStatus::PartiallyShipped })
    }
}
