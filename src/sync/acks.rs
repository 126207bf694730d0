//! Acknowledgements: orders listed again while ours is being applied (settle), acknowledgements whose
//! answer was lost (confirm), and the batched acknowledge calls themselves.

use super::client::Retry;
use super::engine::{CycleReport, Engine, MAX_PAGES};
use super::error::SyncError;
use super::host::{Clock, Http, Store};
use super::journal::{ImportRecord, ImportState, MAX_JOURNAL_ID};
use crate::api::{
    AckStatus, Acknowledgment, ApiError, MAX_BATCH, OperationPayload, OrderQuery, PageEntry, TicketState, batch_body, parse_batch_accepted,
    parse_order_page, paths,
};
use crate::order::lenient::{Timestamp, parse_timestamp};
use crate::order::{Operation, OrderStatus, parse_order};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// An acknowledgement waiting for the end of paging, kept small: 100,000 of them must not weigh.
pub(super) struct PendingAck {
    pub(super) id: u64,
    /// The shop order id (success) or the error message.
    pub(super) outcome: Result<String, String>,
}

/// An order acknowledged by an earlier cycle yet listed again as unacknowledged. Shoppingfeed applies
/// an acknowledge when its ticket runs, so a cycle started soon after the last one sees it again: its
/// ticket says whether to wait or to send it again.
pub(super) struct Settling {
    pub(super) id: u64,
    pub(super) batch: String,
    pub(super) shop_order_id: String,
    pub(super) acked_at: Option<String>,
    /// The order's `updatedAt` as listed (Shoppingfeed's clock, like the ticket's `finishedAt`).
    pub(super) updated_at: Option<Timestamp>,
}

/// Orders created within a day of each other are read back with one list; the window is widened by
/// a few hours each side because how the API reads the zone of `since`/`until` is not documented.
fn creation_windows(mut created: Vec<DateTime<Utc>>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    created.sort();
    let margin = Duration::hours(3);
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for t in created {
        match windows.last_mut() {
            Some((_, until)) if t - margin <= *until + Duration::days(1) => *until = (*until).max(t + margin),
            _ => windows.push((t - margin, t + margin)),
        }
    }
    windows
}

/// Beyond this, a ticket still not run is not waited for: the acknowledge is sent again.
const ACK_TICKET_PATIENCE_MINUTES: i64 = 60;

/// How long before the list reading a ticket must have finished for the listing to count as current.
/// The ticket's `finishedAt` is Shoppingfeed's clock, the list reading ours: a Shoppingfeed clock a
/// second behind, or a list served a moment behind its tickets, would otherwise send an acknowledgement
/// again that was applied just after the list was read (seen with three workers: 100 orders
/// acknowledged twice). A merchant's un-acknowledgement or an acknowledgement lost on their side comes
/// minutes or days after our ticket: a minute of margin leaves those to this cycle.
const LISTING_MARGIN_SECONDS: i64 = 60;

/// Whether an acknowledgement whose ticket succeeded at `finished` was already applied when the
/// order was listed unacknowledged. The order changed after the ticket finished (both times are
/// Shoppingfeed's, no clock skew), or the ticket finished over [`LISTING_MARGIN_SECONDS`] before the
/// list reading began (our clock). Only a clock skew beyond that margin can make this say yes too
/// early: the acknowledgement is then sent twice with the same reference, which Shoppingfeed takes as
/// the same acknowledgement.
fn applied_before_listing(finished: Option<Timestamp>, updated: Option<Timestamp>, listed_at: DateTime<Utc>) -> bool {
    let Some(finished) = finished else { return false };
    updated.is_some_and(|u| u > finished) || finished.timestamp() < listed_at.timestamp() - LISTING_MARGIN_SECONDS
}

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    /// Orders created in the shop whose acknowledgement was never confirmed (the answer was lost in a
    /// crash) and that the unacknowledged list did not show: all of them, however many, read back a
    /// list page at a time. Acknowledged with our reference → the journal says so; otherwise the
    /// acknowledgements to send again are returned. Runs after this cycle's acknowledgements, so the
    /// journal's `created` entries are only the ones left over from before.
    pub(super) async fn confirm_lost_acks(&self, listed: &BTreeSet<u64>, report: &mut CycleReport) -> Result<Vec<PendingAck>, SyncError> {
        // Journal entries read per round; the store has no cursor, so each round asks for the ones
        // still unresolved plus this many.
        const ROUND: u32 = 1000;
        let mut acks = Vec::new();
        let mut left: BTreeSet<u64> = BTreeSet::new();
        let mut confirmed_total = 0usize;
        loop {
            let limit = u32::try_from(left.len()).unwrap_or(u32::MAX).saturating_add(ROUND);
            let records = self.store.load_unconfirmed(limit).await?;
            let exhausted = records.len() < limit as usize;
            let fresh: Vec<ImportRecord> = records
                .into_iter()
                .filter(|r| left.insert(r.shoppingfeed_id) && !listed.contains(&r.shoppingfeed_id) && r.shop_order_id.is_some())
                .collect();
            if fresh.is_empty() {
                break;
            }
            let confirmed = self.read_back(fresh, &mut acks, report).await?;
            for r in &confirmed {
                left.remove(&r.shoppingfeed_id);
            }
            if !confirmed.is_empty() {
                confirmed_total += confirmed.len();
                self.store.save_imports(&confirmed).await?;
            }
            if exhausted {
                break;
            }
        }
        if confirmed_total > 0 {
            self.log("info", None, format!("{confirmed_total} acknowledgement(s) found confirmed at Shoppingfeed after an interruption"));
        }
        Ok(acks)
    }

    /// Reads `records` back from Shoppingfeed: the acknowledged orders created around theirs, a page at
    /// a time (stopping once all are found), then one GET for each the list did not show. Returns the
    /// confirmed records, updated; queues an acknowledgement for the others that still exist.
    async fn read_back(
        &self,
        records: Vec<ImportRecord>,
        acks: &mut Vec<PendingAck>,
        report: &mut CycleReport,
    ) -> Result<Vec<ImportRecord>, SyncError> {
        let mut pending: BTreeMap<u64, ImportRecord> = records.into_iter().map(|r| (r.shoppingfeed_id, r)).collect();
        let mut confirmed = Vec::new();
        let mut again = Vec::new();
        let mut resolve = |mut rec: ImportRecord, acked: bool, store_reference: Option<&str>, status: &OrderStatus| {
            let shop_id = rec.shop_order_id.clone().unwrap_or_default();
            if acked && store_reference == Some(shop_id.as_str()) {
                rec.state = ImportState::Acknowledged;
                rec.order.status = status.clone();
                rec.updated_at = self.now_iso();
                confirmed.push(rec);
            } else {
                again.push(self.success_ack(rec.shoppingfeed_id, &shop_id));
            }
        };
        let created: Vec<DateTime<Utc>> = pending
            .values()
            .filter_map(|r| r.order.created_at.as_deref().and_then(parse_timestamp))
            .map(|t| t.with_timezone(&Utc))
            .collect();
        for (since, until) in creation_windows(created) {
            let query = OrderQuery {
                acknowledgment: Some(Acknowledgment::Acknowledged),
                since: Some(since),
                until: Some(until),
                ..OrderQuery::default()
            };
            let mut next = Some(paths::orders(self.config.store_id, &query.to_query_string()));
            let mut pages = 0;
            while let Some(href) = next.take() {
                let page = self.client.get(&href, "order list", parse_order_page).await?;
                pages += 1;
                if pages % 20 == 0 {
                    self.renew_lock().await?;
                }
                for entry in page.items {
                    if let PageEntry::Order(o) = entry {
                        if let Some(rec) = pending.remove(&o.id) {
                            resolve(rec, o.acknowledged_at.is_some(), o.store_reference.as_deref(), &o.status);
                        }
                    }
                }
                if pending.is_empty() {
                    break;
                }
                next = page.next.filter(|n| *n != href && pages < MAX_PAGES);
            }
        }
        // Not acknowledged after all, or its creation date unknown: few, read one by one.
        for (id, rec) in pending {
            let decode = |b: &str| parse_order(b).map_err(|e| ApiError::Decode { what: "order", message: e.to_string() });
            match self.client.get(&paths::order(self.config.store_id, id), "order", decode).await {
                Ok(o) => resolve(rec, o.acknowledged_at.is_some(), o.store_reference.as_deref(), &o.status),
                Err(ApiError::NotFound { .. }) => {}
                // One unreadable order is reported; the others are still confirmed.
                Err(e @ ApiError::Decode { .. }) => report.issue(Some(id), Some(&rec.reference), e.code(), e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        report.reacknowledged += again.len() as u64;
        acks.extend(again);
        Ok(confirmed)
    }

    pub(super) fn success_ack(&self, id: u64, shop_order_id: &str) -> PendingAck {
        PendingAck { id, outcome: Ok(shop_order_id.to_string()) }
    }

    /// Orders we acknowledged that are listed again: one ticket read per batch tells whether
    /// Shoppingfeed is still applying that acknowledge (wait: sending it again would only queue a
    /// duplicate), applied it after the list was read (nothing to do), applied it before (the merchant
    /// asked for the order again, or the acknowledgement was lost on their side: send it again now),
    /// or failed or cancelled it (send it again). `listed_at` is when the list reading began.
    pub(super) async fn settle_acks(
        &self,
        settling: Vec<Settling>,
        listed_at: DateTime<Utc>,
        acks: &mut Vec<PendingAck>,
        report: &mut CycleReport,
    ) -> Result<(), SyncError> {
        let mut batches: BTreeMap<String, Vec<Settling>> = BTreeMap::new();
        for s in settling {
            batches.entry(s.batch.clone()).or_default().push(s);
        }
        let now = self.client.clock().now();
        for (batch, orders) in batches {
            let (tickets, processing) = match self.tickets_of_batch(&batch).await {
                Ok(t) => t,
                // Forgotten batch (tickets expire) or unreadable tickets: the acknowledge is idempotent,
                // sending it again is the safe side.
                Err(ApiError::NotFound { .. }) => (Vec::new(), false),
                Err(e) => {
                    report.issue(None, None, e.code(), format!("tickets of acknowledge batch {batch} unreadable: {e}"));
                    (Vec::new(), false)
                }
            };
            let mut applied = Vec::new();
            for s in orders {
                let ticket = tickets.iter().find(|t| t.order_id == Some(s.id));
                if let Some(t) = ticket.filter(|t| t.state == TicketState::Succeed) {
                    if !applied_before_listing(t.finished_at, s.updated_at, listed_at) {
                        // Ran after the list was read, or cannot tell: the listing is stale. The record
                        // remembers it, so an order listed once more is acknowledged again then.
                        report.ack_in_flight += 1;
                        applied.push(s.id);
                        continue;
                    }
                    self.log(
                        "info",
                        Some(s.id),
                        format!("order {} offered again after its acknowledgement was applied: acknowledged again", s.id),
                    );
                    acks.push(self.success_ack(s.id, &s.shop_order_id));
                    report.reacknowledged += 1;
                    continue;
                }
                let running = match ticket {
                    Some(t) => t.state.is_processing(),
                    None => processing,
                };
                let patient = s
                    .acked_at
                    .as_deref()
                    .and_then(parse_timestamp)
                    .is_some_and(|at| now - at.with_timezone(&Utc) < Duration::minutes(ACK_TICKET_PATIENCE_MINUTES));
                if running && patient {
                    report.ack_in_flight += 1;
                    self.log("debug", Some(s.id), format!("order {}: acknowledge of batch {batch} not applied yet", s.id));
                } else {
                    acks.push(self.success_ack(s.id, &s.shop_order_id));
                    report.reacknowledged += 1;
                }
            }
            if !applied.is_empty() {
                let mut records = self.store.load_imports(&applied).await?;
                for r in &mut records {
                    r.ack_applied = true;
                }
                self.store.save_imports(&records).await?;
            }
        }
        Ok(())
    }

    /// Sends `acks`, 100 a call. An entry whose id the journal cannot hold goes in a call of its own,
    /// after the others, and that call failing is reported, not fatal: a server that refuses such an id
    /// must not take the good acknowledgements, nor the rest of the cycle, down with it.
    pub(super) async fn acknowledge(&self, acks: Vec<PendingAck>, report: &mut CycleReport) -> Result<(), SyncError> {
        let (unfit, acks): (Vec<PendingAck>, Vec<PendingAck>) = acks.into_iter().partition(|a| a.id > MAX_JOURNAL_ID);
        self.acknowledge_batches(acks, report).await?;
        if unfit.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = unfit.iter().map(|a| a.id.to_string()).collect();
        if let Err(e) = self.acknowledge_batches(unfit, report).await {
            let message = format!("error acknowledgement of order(s) {} not sent: {e}", ids.join(", "));
            self.log("warn", None, message.clone());
            report.issue(None, None, e.code(), message);
        }
        Ok(())
    }

    async fn acknowledge_batches(&self, acks: Vec<PendingAck>, report: &mut CycleReport) -> Result<(), SyncError> {
        for (n, pending) in acks.chunks(MAX_BATCH).enumerate() {
            if n > 0 && n % 20 == 0 {
                self.renew_lock().await?;
            }
            let at = self.now_iso();
            let chunk: Vec<(u64, OperationPayload)> = pending
                .iter()
                .map(|a| {
                    let payload = match &a.outcome {
                        Ok(shop_id) => OperationPayload::Acknowledge {
                            status: AckStatus::Success,
                            store_reference: shop_id.clone(),
                            acknowledged_at: at.clone(),
                            message: None,
                        },
                        Err(message) => OperationPayload::Acknowledge {
                            status: AckStatus::Error,
                            store_reference: String::new(),
                            acknowledged_at: at.clone(),
                            message: Some(message.clone()),
                        },
                    };
                    (a.id, payload)
                })
                .collect();
            let body = batch_body(chunk.iter().map(|(id, p)| (*id, p)));
            let accepted = self
                .client
                .post(
                    &paths::operation(self.config.store_id, Operation::Acknowledge),
                    body.into_bytes(),
                    "application/json",
                    "acknowledge",
                    Retry::Idempotent,
                    parse_batch_accepted,
                )
                .await?;
            let ignored: BTreeMap<u64, String> = accepted.ignored.iter().filter_map(|i| Some((i.id?, i.message.clone()))).collect();
            let ids: Vec<u64> = chunk.iter().map(|(id, _)| *id).filter(|id| *id <= MAX_JOURNAL_ID).collect();
            let mut records: BTreeMap<u64, ImportRecord> =
                self.store.load_imports(&ids).await?.into_iter().map(|r| (r.shoppingfeed_id, r)).collect();
            let mut to_save = Vec::new();
            for (id, payload) in &chunk {
                if let Some(why) = ignored.get(id) {
                    report.issue(Some(*id), None, "AckIgnored", format!("acknowledge ignored by Shoppingfeed (order {id}): {why}"));
                    continue;
                }
                let Some(rec) = records.get_mut(id) else {
                    // Only an entry the journal cannot hold has no record: its error acknowledgement counts.
                    if matches!(payload, OperationPayload::Acknowledge { status: AckStatus::Error, .. }) {
                        report.error_acknowledged += 1;
                    }
                    continue;
                };
                if let OperationPayload::Acknowledge { status, message, .. } = payload {
                    match status {
                        AckStatus::Success => {
                            report.acknowledged += 1;
                            rec.state = ImportState::Acknowledged;
                            rec.ack_batch_id = Some(accepted.batch_id.clone());
                            rec.ack_applied = false;
                        }
                        AckStatus::Error => {
                            report.error_acknowledged += 1;
                            rec.error_acked = message.clone();
                        }
                    }
                    rec.updated_at = self.now_iso();
                    to_save.push(rec.clone());
                }
            }
            self.store.save_imports(&to_save).await?;
        }
        Ok(())
    }
}
