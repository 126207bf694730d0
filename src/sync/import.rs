//! Import: reading the order list page by page and creating each new order in the shop (the first
//! phase of a cycle); acknowledgements are only queued here, sent by `acks`.

use super::acks::{PendingAck, Settling};
use super::engine::{CycleReport, Engine, MAX_PAGES, channel_of, entry_id, snapshot};
use super::error::SyncError;
use super::host::{Clock, Http, Store, StoreError};
use super::journal::{CreateOutcome, ImportRecord, ImportState, MAX_JOURNAL_ID, OperationQuery, OperationState, OrderSnapshot};
use crate::api::{ApiError, OperationPayload, OrderQuery, PageEntry, parse_order_page, paths};
use crate::mapping::{ChannelRef, OrderDraft, is_fulfilled_by_channel, to_draft};
use crate::order::lenient::clip;
use crate::order::{Operation, Order, OrderError, OrderStatus};
use std::collections::{BTreeMap, BTreeSet};

/// What preparing an order led to.
enum Step {
    /// Nothing to create; the journal entry to save, if any.
    Done(Option<Box<ImportRecord>>),
    /// The journal entry and the draft the store must create.
    Create(Box<(ImportRecord, OrderDraft)>),
}

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    /// Reads every page of `query`, following `_links.next`; entries deduplicated by id. A failure
    /// returns what was read before it.
    pub(super) async fn list_all(&self, query: &OrderQuery, page_count: &mut u64) -> (Vec<PageEntry>, Option<ApiError>) {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut next = Some(paths::orders(self.config.store_id, &query.to_query_string()));
        let mut pages = 0u64;
        while let Some(href) = next.take() {
            let page = match self.client.get(&href, "order list", parse_order_page).await {
                Ok(p) => p,
                Err(e) => return (out, Some(e)),
            };
            pages += 1;
            *page_count += 1;
            for entry in page.items {
                if entry_id(&entry).is_none_or(|id| seen.insert(id)) {
                    out.push(entry);
                }
            }
            next = page.next.filter(|n| *n != href);
            if pages >= MAX_PAGES {
                self.log("warn", None, format!("stopped paging after {MAX_PAGES} pages"));
                break;
            }
        }
        (out, None)
    }

    fn skip_reason(&self, order: &Order) -> Option<&'static str> {
        if order.anonymized {
            return Some("anonymized (#GDPR) order");
        }
        if order.is_test && !self.config.include_test {
            return Some("test order");
        }
        let fulfilled = is_fulfilled_by_channel(order);
        if fulfilled && !self.config.import_fulfilled {
            return Some("fulfilled by the marketplace");
        }
        if order.status == OrderStatus::Shipped && !fulfilled {
            return Some("already shipped");
        }
        None
    }

    fn new_record(&self, id: u64, reference: &str, channel: ChannelRef, order: OrderSnapshot) -> ImportRecord {
        ImportRecord {
            shoppingfeed_id: id,
            reference: reference.to_string(),
            channel,
            state: ImportState::Failed,
            shop_order_id: None,
            order,
            tries: 0,
            last_error: None,
            error_acked: None,
            ack_batch_id: None,
            ack_applied: false,
            updated_at: self.now_iso(),
        }
    }

    /// An entry whose id is above [`MAX_JOURNAL_ID`]: nothing of it can reach the store, so it is
    /// reported and error-acknowledged (the id itself is sent back exactly: the body is built here)
    /// unless Shoppingfeed already recorded that very message for it — the journal cannot remember.
    /// Tries are not counted: the id will never fit, waiting for `error_ack_after` cannot help.
    fn unfit_entry(&self, entry: &PageEntry, acks: &mut Vec<PendingAck>, report: &mut CycleReport) {
        let (id, reference, message, recorded) = match entry {
            PageEntry::Order(order) => {
                if self.unexpected_status(order.id, Some(&order.reference), &order.status, report) {
                    return;
                }
                if let Some(reason) = self.skip_reason(order) {
                    report.skipped += 1;
                    self.log("debug", None, format!("order {} skipped: {reason}", order.id));
                    return;
                }
                let error = OrderError::Malformed {
                    field: "id".into(),
                    message: format!("{} is above {MAX_JOURNAL_ID} (2^53 - 1), the largest id the shop can hold exactly", order.id),
                };
                let recorded: Vec<&str> = order.errors.iter().filter(|e| e.kind == "acknowledge").map(|e| e.message.as_str()).collect();
                let message = error.to_string();
                let sent = recorded.contains(&message.as_str());
                (order.id, Some(order.reference.as_str()), message, sent)
            }
            PageEntry::Malformed { id: Some(id), reference, error, acknowledge_errors, .. } => {
                let message = error.to_string();
                let sent = acknowledge_errors.contains(&message);
                (*id, reference.as_deref(), message, sent)
            }
            PageEntry::Malformed { id: None, .. } => return,
        };
        report.failed += 1;
        report.issue(None, reference, "Malformed", format!("order {id}: {message}"));
        self.log("warn", None, format!("order {id} not imported: {message}"));
        if !recorded {
            acks.push(PendingAck { id, outcome: Err(message) });
        }
    }

    /// An order listed in a status the import did not ask for (an API that let it through, or one its
    /// status list lacks, like `accepted`): reported, neither created nor acknowledged. True if so.
    fn unexpected_status(&self, id: u64, reference: Option<&str>, status: &OrderStatus, report: &mut CycleReport) -> bool {
        let asked = self.config.import_statuses();
        if asked.contains(status) {
            return false;
        }
        let asked: Vec<&str> = asked.iter().map(OrderStatus::as_str).collect();
        let message = format!(
            "order {id} listed as `{}`, not one of the statuses asked for ({}): not imported",
            clip(status.as_str()),
            asked.join(", ")
        );
        report.skipped += 1;
        report.issue(Some(id), reference, "UnexpectedStatus", message.clone());
        self.log("warn", Some(id), message);
        true
    }

    /// Records a failed import; queues an error acknowledge unless this very message was sent already.
    fn fail_import(&self, mut rec: ImportRecord, message: String, acks: &mut Vec<PendingAck>, report: &mut CycleReport) -> ImportRecord {
        rec.state = ImportState::Failed;
        rec.tries += 1;
        rec.last_error = Some(message.clone());
        rec.updated_at = self.now_iso();
        report.failed += 1;
        report.issue(Some(rec.shoppingfeed_id), Some(&rec.reference), "ImportFailed", message.clone());
        self.log("warn", Some(rec.shoppingfeed_id), format!("order {} not imported: {message}", rec.shoppingfeed_id));
        if rec.tries >= self.config.error_ack_after.max(1) && rec.error_acked.as_deref() != Some(message.as_str()) {
            acks.push(PendingAck { id: rec.shoppingfeed_id, outcome: Err(message) });
        }
        rec
    }

    pub(super) async fn import_entries(
        &self,
        entries: Vec<PageEntry>,
        report: &mut CycleReport,
        settling: &mut Vec<Settling>,
    ) -> Result<Vec<PendingAck>, SyncError> {
        let mut acks = Vec::new();
        // An id the journal cannot hold would fail the store call of the whole chunk, every cycle:
        // such an entry is settled here, alone, without the store.
        let (unfit, entries): (Vec<PageEntry>, Vec<PageEntry>) =
            entries.into_iter().partition(|e| entry_id(e).is_some_and(|id| id > MAX_JOURNAL_ID));
        for entry in &unfit {
            self.unfit_entry(entry, &mut acks, report);
        }
        for chunk in entries.chunks(200) {
            let ids: Vec<u64> = chunk.iter().filter_map(entry_id).collect();
            let mut known: BTreeMap<u64, ImportRecord> =
                self.store.load_imports(&ids).await?.into_iter().map(|r| (r.shoppingfeed_id, r)).collect();
            let mut to_save = Vec::new();
            let mut to_create: Vec<(&Order, ImportRecord)> = Vec::new();
            let mut drafts: Vec<OrderDraft> = Vec::new();
            for entry in chunk {
                match entry {
                    PageEntry::Malformed { id: None, error, .. } => {
                        report.failed += 1;
                        report.issue(None, None, error.code(), format!("unreadable order without an id: {error}"));
                    }
                    PageEntry::Malformed { id: Some(id), reference, channel, status, error, .. } => {
                        // A status that could be read and was not asked for: not ours to acknowledge either way.
                        if *status != OrderStatus::Missing && self.unexpected_status(*id, reference.as_deref(), status, report) {
                            continue;
                        }
                        let reference = reference.clone().unwrap_or_default();
                        let rec = known.remove(id).unwrap_or_else(|| {
                            let snap = OrderSnapshot {
                                status: status.clone(),
                                lines: vec![],
                                latest_ship_date: None,
                                latest_ship_date_unreadable: None,
                                created_at: None,
                            };
                            self.new_record(*id, &reference, ChannelRef { id: channel.0, name: channel.1.clone() }, snap)
                        });
                        if rec.shop_order_id.is_some() {
                            // Already in the shop: a later unreadable copy must not undo that.
                            acks.push(self.success_ack(*id, rec.shop_order_id.as_deref().unwrap_or_default()));
                            report.reacknowledged += 1;
                            to_save.push(rec);
                            continue;
                        }
                        to_save.push(self.fail_import(rec, error.to_string(), &mut acks, report));
                    }
                    PageEntry::Order(order) => match self.prepare(order, known.remove(&order.id), report, &mut acks, settling).await {
                        Step::Done(rec) => to_save.extend(rec.map(|r| *r)),
                        Step::Create(c) => {
                            let (rec, draft) = *c;
                            to_create.push((order.as_ref(), rec));
                            drafts.push(draft);
                        }
                    },
                }
            }
            // The page's new orders go to the store in one call (one transaction where it can).
            if !to_create.is_empty() {
                let outcomes = self.store.create_orders(&drafts).await;
                for ((order, rec), outcome) in to_create.into_iter().zip(outcomes) {
                    to_save.extend(self.created(order, rec, outcome, report, &mut acks));
                }
            }
            if !to_save.is_empty() {
                self.store.save_imports(&to_save).await?;
            }
        }
        Ok(acks)
    }

    /// First half of importing one order: everything before the store creates it. Returns the journal
    /// entry to save when nothing needs creating, or the draft to create.
    async fn prepare(
        &self,
        order: &Order,
        known: Option<ImportRecord>,
        report: &mut CycleReport,
        acks: &mut Vec<PendingAck>,
        settling: &mut Vec<Settling>,
    ) -> Step {
        if self.unexpected_status(order.id, Some(&order.reference), &order.status, report) {
            return Step::Done(None);
        }
        if order.status == OrderStatus::WaitingStoreAcceptance {
            if self.config.auto_accept {
                self.auto_accept(order, report).await;
            }
            return Step::Done(None);
        }
        if let Some(reason) = self.skip_reason(order) {
            report.skipped += 1;
            self.log("debug", Some(order.id), format!("order {} skipped: {reason}", order.id));
            return Step::Done(None);
        }
        if let Some(mut rec) = known.clone().filter(|r| r.shop_order_id.is_some()) {
            // In the shop already but still unacknowledged at Shoppingfeed: acknowledge again, never
            // create again — unless our acknowledge is only waiting for its ticket to run.
            let shop_order_id = rec.shop_order_id.clone().unwrap_or_default();
            match (&rec.state, &rec.ack_batch_id) {
                (ImportState::Acknowledged, Some(batch)) if !rec.ack_applied => settling.push(Settling {
                    id: order.id,
                    batch: batch.clone(),
                    shop_order_id,
                    acked_at: Some(rec.updated_at.clone()),
                    updated_at: order.updated_at,
                }),
                _ => {
                    acks.push(self.success_ack(order.id, &shop_order_id));
                    report.reacknowledged += 1;
                }
            }
            rec.order.status = order.status.clone();
            return Step::Done(Some(Box::new(rec)));
        }
        let rec = known.unwrap_or_else(|| self.new_record(order.id, &order.reference, channel_of(order), snapshot(order)));
        match to_draft(order, &self.config.mapping) {
            Ok(draft) => Step::Create(Box::new((rec, draft))),
            Err(e) => Step::Done(Some(Box::new(self.fail_import(rec, e.to_string(), acks, report)))),
        }
    }

    /// Second half: what the store answered. Returns the journal entry to save, if any.
    fn created(
        &self,
        order: &Order,
        rec: ImportRecord,
        outcome: Result<CreateOutcome, StoreError>,
        report: &mut CycleReport,
        acks: &mut Vec<PendingAck>,
    ) -> Option<ImportRecord> {
        match outcome {
            Ok(CreateOutcome::Created { shop_order_id, existed }) => {
                // A store that says the order was already there (crash between create and journal)
                // makes this an acknowledgement again, not an import.
                if existed {
                    report.reacknowledged += 1;
                } else {
                    report.imported += 1;
                }
                acks.push(self.success_ack(order.id, &shop_order_id));
                self.log("debug", Some(order.id), format!("order {} created as {shop_order_id}", order.id));
                Some(ImportRecord {
                    state: ImportState::Created,
                    shop_order_id: Some(shop_order_id),
                    order: snapshot(order),
                    channel: channel_of(order),
                    reference: order.reference.clone(),
                    last_error: None,
                    updated_at: self.now_iso(),
                    ..rec
                })
            }
            Ok(CreateOutcome::Rejected { message }) => Some(self.fail_import(rec, message, acks, report)),
            Err(e) => {
                // An infrastructure failure, not a verdict on the order: no error acknowledge, the next
                // cycle tries again.
                report.failed += 1;
                report.issue(Some(order.id), Some(&order.reference), "StoreFailed", e.to_string());
                self.log("error", Some(order.id), format!("store failed creating order {}: {e}", order.id));
                None
            }
        }
    }

    async fn auto_accept(&self, order: &Order, report: &mut CycleReport) {
        let existing = match self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(order.id) }).await {
            Ok(ops) => ops,
            Err(e) => {
                report.issue(Some(order.id), Some(&order.reference), "StoreFailed", e.to_string());
                return;
            }
        };
        if existing
            .iter()
            .any(|o| o.operation() == Operation::Accept && !matches!(o.state, OperationState::Failed | OperationState::Canceled))
        {
            return;
        }
        let rec = self.operation_record(order.id, &order.reference, OperationPayload::Accept { reason: String::new() }, &existing);
        match self.store.save_operations(&[rec]).await {
            Ok(()) => report.accepted += 1,
            Err(e) => report.issue(Some(order.id), Some(&order.reference), "StoreFailed", e.to_string()),
        }
    }
}
