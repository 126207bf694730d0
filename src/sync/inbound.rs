//! Marketplace-side status changes: imported orders cancelled, refused or refunded on the marketplace.

use super::engine::{CycleReport, Engine};
use super::error::SyncError;
use super::host::{Clock, Http, Store};
use super::journal::MAX_JOURNAL_ID;
use crate::api::{OrderQuery, PageEntry};
use crate::order::{Order, OrderStatus};
use chrono::Duration;

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    /// Orders cancelled, refused or refunded on the marketplace after import: the shop is told.
    pub(super) async fn inbound_statuses(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let since = self.client.clock().now() - Duration::days(i64::from(self.config.inbound_days.max(1)));
        let query = OrderQuery {
            status: vec![OrderStatus::Cancelled, OrderStatus::Refused, OrderStatus::Refunded, OrderStatus::PartiallyRefunded],
            // Not only acknowledged ones: an order cancelled before its acknowledge landed is in the
            // shop too (the journal check below keeps it to imported orders).
            acknowledgment: None,
            since: Some(since),
            ..OrderQuery::default()
        };
        let mut scan_pages = 0;
        let (entries, error) = self.list_all(&query, &mut scan_pages).await;
        let orders: Vec<&Order> = entries
            .iter()
            .filter_map(|e| match e {
                PageEntry::Order(o) => Some(o.as_ref()),
                PageEntry::Malformed { .. } => None,
            })
            .collect();
        for chunk in orders.chunks(200) {
            // An id above what the journal holds cannot be an imported order (and would fail the call).
            let ids: Vec<u64> = chunk.iter().map(|o| o.id).filter(|id| *id <= MAX_JOURNAL_ID).collect();
            let records = self.store.load_imports(&ids).await?;
            for mut rec in records {
                let Some(order) = chunk.iter().find(|o| o.id == rec.shoppingfeed_id) else { continue };
                if rec.order.status == order.status || rec.shop_order_id.is_none() {
                    continue;
                }
                let previous = std::mem::replace(&mut rec.order.status, order.status.clone());
                rec.updated_at = self.now_iso();
                self.store.save_imports(std::slice::from_ref(&rec)).await?;
                self.store.marketplace_status_changed(&rec, &previous).await?;
                report.status_changes += 1;
                self.log(
                    "info",
                    Some(rec.shoppingfeed_id),
                    format!("order {} is now {} on the marketplace (was {previous})", rec.shoppingfeed_id, order.status),
                );
            }
        }
        match error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}
