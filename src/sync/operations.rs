//! Outbound operations: the entry points (ship, cancel, refund…), which check and record an operation
//! before anything is sent, and the batched sending, with half-sent ones resolved from tickets.

use super::client::Retry;
use super::engine::{CycleReport, Engine, LOCK_TTL_MS, channel_of};
use super::error::SyncError;
use super::host::{Clock, Http, Store};
use super::journal::{OperationQuery, OperationRecord, OperationState};
use crate::api::operation::multipart_upload;
use crate::api::{ApiError, MAX_BATCH, OperationPayload, RefundLine, Ticket, batch_body, parse_batch_accepted, parse_ticket_page, paths};
use crate::mapping::ChannelRef;
use crate::order::lenient::parse_timestamp;
use crate::order::shipment::{OrderedLine, ordered_lines, validate};
use crate::order::{ChannelSupport, Operation, OrderError, OrderStatus, ShipRequest, ShipmentError, lifecycle, parse_order};
use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};

/// `state` as the journal spells it.
fn state_name(state: OperationState) -> String {
    format!("{state:?}").to_ascii_lowercase()
}

/// The refusal naming the shipment already recorded.
fn shipment_pending(id: u64, recorded: &OperationRecord) -> SyncError {
    let tracking_number = match &recorded.payload {
        OperationPayload::Ship { shipment } => shipment.tracking_number.clone(),
        _ => String::new(),
    };
    let state = match recorded.state {
        OperationState::Pending => "waiting to be sent".to_string(),
        OperationState::Sending => "being sent".to_string(),
        other => state_name(other),
    };
    SyncError::ShipmentPending { id, tracking_number, state }
}

/// Facts about an order needed to record an operation on it.
struct OrderFacts {
    reference: String,
    channel: ChannelRef,
    status: OrderStatus,
    lines: Vec<OrderedLine>,
}

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    pub(super) fn operation_record(
        &self,
        id: u64,
        reference: &str,
        payload: OperationPayload,
        existing: &[OperationRecord],
    ) -> OperationRecord {
        let op = payload.operation();
        // One more than the highest number in use: another process recording the same operation at the
        // same time picks the same id, and the store keeps only the first (insert_operation).
        let prefix = format!("{id}:{op}:");
        let n = existing
            .iter()
            .filter(|o| o.operation() == op)
            .filter_map(|o| o.id.strip_prefix(&prefix)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            .max(existing.iter().filter(|o| o.operation() == op).count() as u64)
            + 1;
        let now = self.now_iso();
        OperationRecord {
            id: format!("{id}:{op}:{n}"),
            shoppingfeed_id: id,
            reference: reference.to_string(),
            payload,
            state: OperationState::Pending,
            batch_id: None,
            message: None,
            attempts: 0,
            recorded_at: now.clone(),
            updated_at: now,
        }
    }

    /// Sends every pending operation, reading tickets back first for any left half-sent. Ambiguous
    /// failures (5xx, reset, cut answer) are resolved by reading tickets, never by sending blindly.
    pub(super) async fn flush_operations(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let rounds = self.config.retry.max_attempts.max(1);
        for round in 1..=rounds {
            self.reconcile_sending(report).await?;
            let pending = self.store.operations(&OperationQuery { states: vec![OperationState::Pending], shoppingfeed_id: None }).await?;
            if pending.is_empty() {
                return Ok(());
            }
            match self.send_operations(pending, report).await? {
                None => return Ok(()),
                Some(e) if round == rounds => return Err(e.into()),
                Some(_) => self.client.clock().sleep(self.config.retry.backoff(round)).await,
            }
        }
        Ok(())
    }

    /// Sends `ops` grouped by operation, 100 a call. Returns the ambiguous failure, if one happened.
    async fn send_operations(&self, ops: Vec<OperationRecord>, report: &mut CycleReport) -> Result<Option<ApiError>, SyncError> {
        let mut groups: BTreeMap<Operation, Vec<OperationRecord>> = BTreeMap::new();
        for op in ops {
            if op.operation() == Operation::UploadDocuments {
                continue; // sent with its file by upload_invoice; the file is not journaled
            }
            groups.entry(op.operation()).or_default().push(op);
        }
        for (operation, ops) in groups {
            for chunk in ops.chunks(MAX_BATCH) {
                let now = self.now_iso();
                let mut chunk: Vec<OperationRecord> = chunk
                    .iter()
                    .cloned()
                    .map(|mut o| {
                        o.state = OperationState::Sending;
                        o.attempts += 1;
                        o.updated_at = now.clone();
                        o
                    })
                    .collect();
                // Recorded as sending before the call: a crash after it is resolved from tickets.
                self.store.save_operations(&chunk).await?;
                let body = batch_body(chunk.iter().map(|o| (o.shoppingfeed_id, &o.payload)));
                let result = self
                    .client
                    .post(
                        &paths::operation(self.config.store_id, operation),
                        body.into_bytes(),
                        "application/json",
                        operation.as_str(),
                        Retry::OnlyIfNotProcessed,
                        parse_batch_accepted,
                    )
                    .await;
                match result {
                    Ok(accepted) => {
                        let ignored: BTreeMap<u64, String> =
                            accepted.ignored.iter().filter_map(|i| Some((i.id?, i.message.clone()))).collect();
                        for o in &mut chunk {
                            if let Some(why) = ignored.get(&o.shoppingfeed_id) {
                                o.state = OperationState::Failed;
                                o.message = Some(format!("ignored by Shoppingfeed: {why}"));
                                report.operations_failed += 1;
                                report.issue(Some(o.shoppingfeed_id), Some(&o.reference), "OperationIgnored", why.clone());
                            } else {
                                o.state = OperationState::Sent;
                                o.batch_id = Some(accepted.batch_id.clone());
                                report.sent += 1;
                            }
                        }
                        self.store.save_operations(&chunk).await?;
                        self.log("info", None, format!("{operation}: {} order(s) sent as batch {}", chunk.len(), accepted.batch_id));
                    }
                    Err(e) if e.is_transient() => {
                        report.issue(None, None, e.code(), format!("{operation} not confirmed, will read tickets back: {e}"));
                        return Ok(Some(e));
                    }
                    Err(e @ ApiError::Unauthorized { .. }) => {
                        for o in &mut chunk {
                            o.state = OperationState::Pending;
                        }
                        self.store.save_operations(&chunk).await?;
                        return Err(e.into());
                    }
                    Err(e) => {
                        // The API refused the call itself (400, 404…): sending it again cannot help.
                        for o in &mut chunk {
                            o.state = OperationState::Failed;
                            o.message = Some(e.to_string());
                            report.operations_failed += 1;
                            report.issue(Some(o.shoppingfeed_id), Some(&o.reference), e.code(), e.to_string());
                        }
                        self.store.save_operations(&chunk).await?;
                    }
                }
            }
        }
        Ok(None)
    }

    /// Operations left `sending` (crash or ambiguous failure): a ticket of that operation for that
    /// order, scheduled after the record, means it went through; otherwise it goes back to pending.
    async fn reconcile_sending(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let sending = self.store.operations(&OperationQuery { states: vec![OperationState::Sending], shoppingfeed_id: None }).await?;
        for mut op in sending {
            let path = paths::tickets_of_order(self.config.store_id, op.operation(), op.shoppingfeed_id);
            let page = self.client.get(&path, "ticket list", parse_ticket_page).await?;
            let recorded = parse_timestamp(&op.recorded_at);
            // A ticket already claimed by another operation of this order (an earlier parcel, a
            // failed try) is not proof that this one went through.
            let others = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(op.shoppingfeed_id) }).await?;
            let claimed: BTreeSet<&str> = others.iter().filter(|o| o.id != op.id).filter_map(|o| o.batch_id.as_deref()).collect();
            // Clocks differ between the shop and Shoppingfeed: allow some slack.
            let after = |t: &Ticket| match (t.scheduled_at, recorded) {
                (Some(s), Some(r)) => s >= r - Duration::minutes(10),
                _ => true,
            };
            match page.page.items.iter().find(|t| after(t) && t.batch_id.as_deref().is_some_and(|b| !claimed.contains(b))) {
                Some(t) => {
                    op.state = OperationState::Sent;
                    op.batch_id = t.batch_id.clone();
                    report.sent += 1;
                    self.log(
                        "info",
                        Some(op.shoppingfeed_id),
                        format!(
                            "{} of order {} was received (batch {}); not sent again",
                            op.operation(),
                            op.shoppingfeed_id,
                            t.batch_id.as_deref().unwrap_or("")
                        ),
                    );
                }
                None => op.state = OperationState::Pending,
            }
            op.updated_at = self.now_iso();
            self.store.save_operations(&[op]).await?;
        }
        Ok(())
    }

    async fn order_facts(&self, id: u64) -> Result<OrderFacts, SyncError> {
        if let Some(rec) = self.store.load_imports(&[id]).await?.into_iter().next() {
            if rec.order.status != OrderStatus::Missing {
                return Ok(OrderFacts { reference: rec.reference, channel: rec.channel, status: rec.order.status, lines: rec.order.lines });
            }
        }
        let order = match self
            .client
            .get(&paths::order(self.config.store_id, id), "order", |b| {
                parse_order(b).map_err(|e| ApiError::Decode { what: "order", message: e.to_string() })
            })
            .await
        {
            Ok(o) => o,
            Err(ApiError::NotFound { .. }) => return Err(SyncError::UnknownOrder { id }),
            Err(e) => return Err(e.into()),
        };
        Ok(OrderFacts {
            reference: order.reference.clone(),
            channel: channel_of(&order),
            status: order.status.clone(),
            lines: ordered_lines(&order),
        })
    }

    fn not_allowed(id: u64, op: Operation, status: &OrderStatus, reason: &str) -> SyncError {
        OrderError::NotAllowed { order_id: id, operation: op.to_string(), status: status.to_string(), reason: reason.to_string() }.into()
    }

    /// Checks and records an operation, then sends it at once unless a cycle is running (it then goes
    /// with that cycle). Returns the record as it stands after the attempt.
    async fn record_and_send(
        &self,
        id: u64,
        build: impl FnOnce(&OrderFacts, &[OperationRecord]) -> Result<OperationPayload, SyncError>,
    ) -> Result<OperationRecord, SyncError> {
        let facts = self.order_facts(id).await?;
        let existing = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(id) }).await?;
        let payload = build(&facts, &existing)?;
        let op = payload.operation();
        lifecycle::check(&facts.status, op).map_err(|why| Self::not_allowed(id, op, &facts.status, why))?;
        let support = ChannelSupport::for_channel(&facts.channel.name);
        let supported = match &payload {
            OperationPayload::Cancel { .. } => support.cancel,
            OperationPayload::Refund { products, .. } => support.refund && (products.is_empty() || support.partial_refund),
            OperationPayload::UploadDocuments { .. } => support.documents,
            _ => true,
        };
        if !supported {
            return Err(SyncError::Unsupported { channel: facts.channel.name.clone(), operation: op.to_string() });
        }
        if op != Operation::Ship {
            if let Some(dup) =
                existing.iter().find(|o| o.operation() == op && !matches!(o.state, OperationState::Failed | OperationState::Canceled))
            {
                return Err(SyncError::Duplicate { id, operation: op.to_string(), state: state_name(dup.state) });
            }
        }
        let record = self.operation_record(id, &facts.reference, payload, &existing);
        // Recorded before anything is sent, and only if no other caller recorded it meanwhile.
        if !self.store.insert_operation(&record).await? {
            let now = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(id) }).await?;
            let theirs = now.iter().find(|o| o.id == record.id);
            return Err(match theirs {
                Some(o) if op == Operation::Ship => shipment_pending(id, o),
                Some(o) => SyncError::Duplicate { id, operation: op.to_string(), state: state_name(o.state) },
                None => SyncError::Duplicate { id, operation: op.to_string(), state: "recorded".into() },
            });
        }
        self.log("info", Some(id), format!("{op} of order {id} recorded"));
        self.try_flush().await;
        let now = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(id) }).await?;
        Ok(now.into_iter().find(|o| o.id == record.id).unwrap_or(record))
    }

    /// Sends what is pending if nothing else is sending right now; failures leave it queued.
    async fn try_flush(&self) {
        let Ok(_busy) = self.claim() else { return };
        match self.store.try_lock(&self.config.owner, LOCK_TTL_MS).await {
            Ok(true) => {}
            _ => return,
        }
        let mut report = CycleReport::default();
        if let Err(e) = self.flush_operations(&mut report).await {
            self.log("warn", None, format!("operation queued for the next cycle: {e}"));
        }
        let _ = self.store.unlock(&self.config.owner).await;
    }

    /// Ships an order (whole, or the given items): validated, recorded, then sent once. A second ship
    /// of a fully shipped order is refused here, before anything is recorded; so is any ship while an
    /// earlier one of the order is still pending or sending, even another parcel of a partial-ship
    /// channel: until it has gone, a second call cannot be told from the same parcel typed again (two
    /// people, two processes), and sending both would ship it twice. Once Shoppingfeed has accepted a
    /// parcel (`sent`), the next one is taken.
    pub async fn ship(&self, id: u64, request: &ShipRequest) -> Result<OperationRecord, SyncError> {
        self.record_and_send(id, |facts, existing| {
            if let Some(waiting) = existing.iter().find(|o| {
                matches!(o.payload, OperationPayload::Ship { .. }) && matches!(o.state, OperationState::Pending | OperationState::Sending)
            }) {
                return Err(shipment_pending(id, waiting));
            }
            let mut shipped: BTreeMap<u64, u32> = BTreeMap::new();
            let mut whole = false;
            for o in existing.iter().filter(|o| !matches!(o.state, OperationState::Failed | OperationState::Canceled)) {
                if let OperationPayload::Ship { shipment } = &o.payload {
                    whole |= shipment.complete;
                    for l in &shipment.items {
                        *shipped.entry(l.id).or_default() += l.quantity;
                    }
                }
            }
            if whole || facts.status == OrderStatus::Shipped {
                return Err(ShipmentError::AlreadyShipped.into());
            }
            let valid = validate(request, &facts.lines, &shipped, &facts.channel.name)?;
            Ok(OperationPayload::Ship { shipment: valid })
        })
        .await
    }

    /// Cancels an order before shipment.
    pub async fn cancel(&self, id: u64, reason: &str) -> Result<OperationRecord, SyncError> {
        let reason = reason.trim().to_string();
        self.record_and_send(id, |_, _| Ok(OperationPayload::Cancel { reason })).await
    }

    /// Refunds an order (no products: whole order).
    pub async fn refund(&self, id: u64, shipping: bool, products: Vec<RefundLine>) -> Result<OperationRecord, SyncError> {
        self.record_and_send(id, |_, _| Ok(OperationPayload::Refund { shipping, products })).await
    }

    /// Accepts an order waiting for store acceptance.
    pub async fn accept(&self, id: u64, reason: &str) -> Result<OperationRecord, SyncError> {
        let reason = reason.trim().to_string();
        self.record_and_send(id, |_, _| Ok(OperationPayload::Accept { reason })).await
    }

    /// Refuses an order waiting for store acceptance.
    pub async fn refuse(&self, id: u64) -> Result<OperationRecord, SyncError> {
        self.record_and_send(id, |_, _| Ok(OperationPayload::Refuse)).await
    }

    /// Marks a shipped order delivered.
    pub async fn deliver(&self, id: u64) -> Result<OperationRecord, SyncError> {
        self.record_and_send(id, |_, _| Ok(OperationPayload::Deliver)).await
    }

    /// Uploads an invoice PDF (sent at once: the file is not kept in the journal).
    pub async fn upload_invoice(&self, id: u64, pdf: Vec<u8>) -> Result<OperationRecord, SyncError> {
        if !pdf.starts_with(b"%PDF") {
            return Err(SyncError::Config { field: "invoice", message: "is not a PDF file".into() });
        }
        if pdf.len() > 2 * 1024 * 1024 {
            return Err(ApiError::PayloadTooLarge.into());
        }
        let facts = self.order_facts(id).await?;
        lifecycle::check(&facts.status, Operation::UploadDocuments)
            .map_err(|why| Self::not_allowed(id, Operation::UploadDocuments, &facts.status, why))?;
        if !ChannelSupport::for_channel(&facts.channel.name).documents {
            return Err(SyncError::Unsupported { channel: facts.channel.name.clone(), operation: "upload-documents".into() });
        }
        let existing = self.store.operations(&OperationQuery { states: vec![], shoppingfeed_id: Some(id) }).await?;
        let payload = OperationPayload::UploadDocuments { documents: vec!["invoice".into()] };
        let json = batch_body([(id, &payload)]);
        let mut record = self.operation_record(id, &facts.reference, payload, &existing);
        record.state = OperationState::Sending;
        record.attempts = 1;
        self.store.save_operations(std::slice::from_ref(&record)).await?;
        let boundary = format!("sforders{}{}", id, self.client.clock().now().timestamp_millis());
        let body = multipart_upload(&boundary, &json, &[(format!("invoice-{id}.pdf"), pdf)]);
        let result = self
            .client
            .post(
                &paths::operation(self.config.store_id, Operation::UploadDocuments),
                body,
                &format!("multipart/form-data; boundary={boundary}"),
                "upload-documents",
                Retry::OnlyIfNotProcessed,
                parse_batch_accepted,
            )
            .await;
        match result {
            Ok(accepted) => {
                record.state = OperationState::Sent;
                record.batch_id = Some(accepted.batch_id);
            }
            Err(e) => {
                record.state = OperationState::Failed;
                record.message = Some(e.to_string());
            }
        }
        record.updated_at = self.now_iso();
        self.store.save_operations(std::slice::from_ref(&record)).await?;
        Ok(record)
    }
}
