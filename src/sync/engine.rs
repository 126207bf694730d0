//! The sync engine: one import cycle (list every page → create → acknowledge → send operations →
//! follow tickets → marketplace-side status changes) and the outbound entry points (ship, cancel…).

use super::client::{Client, Retry};
use super::error::SyncError;
use super::host::{Clock, Http, Store, StoreError};
use super::journal::{CreateOutcome, ImportRecord, ImportState, OperationQuery, OperationRecord, OperationState, OrderSnapshot};
use crate::api::operation::multipart_upload;
use crate::api::{
    AckStatus, ApiError, MAX_BATCH, OperationPayload, OrderQuery, PageEntry, RefundLine, RetryPolicy, Ticket, TicketState, batch_body,
    parse_batch_accepted, parse_order_page, parse_ticket_page, paths,
};
use crate::mapping::{ChannelRef, MappingOptions, OrderDraft, is_fulfilled_by_channel, to_draft};
use crate::order::lenient::{format_utc, parse_timestamp};
use crate::order::shipment::{OrderedLine, ordered_lines, validate};
use crate::order::{ChannelSupport, Operation, Order, OrderError, OrderStatus, ShipRequest, ShipmentError, lifecycle, parse_order};
use chrono::{Duration, Utc};
use futures_util::future::join;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How long the store lock lasts without renewal; renewed every few pages or batches, so a holder
/// that died frees the store within two minutes (stores may free it sooner when they can tell).
pub const LOCK_TTL_MS: u64 = 2 * 60 * 1000;
/// Safety stop for a server whose `next` links never end.
const MAX_PAGES: u64 = 5_000;

/// What the engine is told by the shop.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EngineConfig {
    /// API base URL.
    pub api_url: String,
    /// API token (never logged).
    pub token: String,
    /// Shoppingfeed store id.
    pub store_id: u64,
    /// Import orders created on the marketplace in the last N days.
    pub since_days: u32,
    /// Also import marketplace-fulfilled orders (without stock effect; the draft says so).
    pub import_fulfilled: bool,
    /// Accept orders that wait for store acceptance.
    pub auto_accept: bool,
    /// Import test orders too.
    pub include_test: bool,
    /// Failed creation attempts before the error acknowledge is sent.
    pub error_ack_after: u32,
    /// Marketplace-side status changes are looked for on orders created in the last N days.
    pub inbound_days: u32,
    /// Retry limits.
    pub retry: RetryPolicy,
    /// Mapping choices.
    pub mapping: MappingOptions,
    /// Sent as User-Agent.
    pub user_agent: String,
    /// Lock owner name (process id or host name), to tell holders apart.
    pub owner: String,
    /// Least severe log line passed to the host: `debug`, `info` (default), `warn` or `error`.
    pub log_level: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            api_url: crate::api::DEFAULT_API_URL.to_string(),
            token: String::new(),
            store_id: 0,
            since_days: 7,
            import_fulfilled: false,
            auto_accept: false,
            include_test: false,
            error_ack_after: 1,
            inbound_days: 15,
            retry: RetryPolicy::default(),
            mapping: MappingOptions::default(),
            user_agent: concat!("shoppingfeed-orders/", env!("CARGO_PKG_VERSION")).to_string(),
            owner: "shoppingfeed-orders".to_string(),
            log_level: "info".to_string(),
        }
    }
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("api_url", &self.api_url)
            .field("token", &"[redacted]")
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// Checks the options before any call.
    pub fn validate(&self) -> Result<(), SyncError> {
        let lower = self.api_url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(SyncError::Config { field: "apiUrl", message: format!("`{}` is not an http(s) URL", self.api_url) });
        }
        if self.token.trim().is_empty() {
            return Err(SyncError::Config { field: "token", message: "is empty".into() });
        }
        if self.token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SyncError::Config { field: "token", message: "contains spaces or control characters".into() });
        }
        if self.store_id == 0 {
            return Err(SyncError::Config { field: "storeId", message: "is missing".into() });
        }
        if self.since_days == 0 || self.since_days > 90 {
            return Err(SyncError::Config { field: "sinceDays", message: format!("{} is not between 1 and 90", self.since_days) });
        }
        Ok(())
    }
}

/// One problem met during a cycle (the cycle went on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportIssue {
    /// Shoppingfeed order id, when known.
    pub order_id: Option<u64>,
    /// Marketplace reference, when known.
    pub reference: Option<String>,
    /// Stable code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// What a cycle did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleReport {
    /// Orders created in the shop.
    pub imported: u64,
    /// Success acknowledgements accepted by Shoppingfeed (re-acks included).
    pub acknowledged: u64,
    /// Of those, orders the shop already had (acknowledged again, not created again).
    pub reacknowledged: u64,
    /// Error acknowledgements sent.
    pub error_acknowledged: u64,
    /// Orders listed as unacknowledged while Shoppingfeed was applying the acknowledgement sent for
    /// them (its ticket not run yet, or run after the list was read): not sent again.
    pub ack_in_flight: u64,
    /// Orders that could not be imported (malformed, refused by the shop, store failure).
    pub failed: u64,
    /// Orders left out by choice (marketplace-fulfilled, test, anonymized, already shipped).
    pub skipped: u64,
    /// Orders auto-accepted.
    pub accepted: u64,
    /// Operations sent to Shoppingfeed.
    pub sent: u64,
    /// Operations the marketplace confirmed.
    pub succeeded: u64,
    /// Operations that failed at Shoppingfeed or the marketplace.
    pub operations_failed: u64,
    /// Operations still waiting to be sent or confirmed.
    pub pending: u64,
    /// Imported orders whose status the marketplace changed (cancelled after import…).
    pub status_changes: u64,
    /// Order list pages read.
    pub pages: u64,
    /// HTTP calls made (retries included).
    pub requests: u64,
    /// Problems met.
    pub issues: Vec<ReportIssue>,
}

impl CycleReport {
    fn issue(&mut self, order_id: Option<u64>, reference: Option<&str>, code: &str, message: String) {
        // A bounded list: 100,000 broken orders must not make the report itself a problem.
        if self.issues.len() < 500 {
            self.issues.push(ReportIssue { order_id, reference: reference.map(str::to_string), code: code.to_string(), message });
        }
    }
}

/// A cycle that stopped early: what it did before stopping, and why it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleFailure {
    /// Work done (kept: nothing is undone).
    pub report: CycleReport,
    /// Why it stopped.
    pub error: SyncError,
}

/// A log line from the engine (never contains the token; order data is untrusted text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    /// `debug`, `info`, `warn`, `error`.
    pub level: &'static str,
    /// Message.
    pub message: String,
    /// Order concerned.
    pub order_id: Option<u64>,
}

/// Facts about an order needed to record an operation on it.
struct OrderFacts {
    reference: String,
    channel: ChannelRef,
    status: OrderStatus,
    lines: Vec<OrderedLine>,
}

/// An acknowledgement waiting for the end of paging, kept small: 100,000 of them must not weigh.
struct PendingAck {
    id: u64,
    /// The shop order id (success) or the error message.
    outcome: Result<String, String>,
}

/// An order acknowledged by an earlier cycle yet listed again as unacknowledged. Shoppingfeed applies
/// an acknowledge when its ticket runs, so a cycle started soon after the last one sees it again: its
/// ticket says whether to wait or to send it again.
struct Settling {
    id: u64,
    batch: String,
    shop_order_id: String,
    acked_at: Option<String>,
}

/// Beyond this, a ticket still not run is not waited for: the acknowledge is sent again.
const ACK_TICKET_PATIENCE_MINUTES: i64 = 60;

/// What preparing an order led to.
enum Step {
    /// Nothing to create; the journal entry to save, if any.
    Done(Option<Box<ImportRecord>>),
    /// The journal entry and the draft the store must create.
    Create(Box<(ImportRecord, OrderDraft)>),
}

/// Where log lines go.
type LogSink = Box<dyn Fn(&LogRecord)>;

/// The engine, generic over its host.
pub struct Engine<H, S, C> {
    client: Client<H, C>,
    store: S,
    config: EngineConfig,
    busy: Cell<bool>,
    log: Option<LogSink>,
}

/// Clears the busy flag however the future ends (error, or dropped by the host).
struct Busy<'a>(&'a Cell<bool>);
impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

fn snapshot(order: &Order) -> OrderSnapshot {
    OrderSnapshot {
        status: order.status.clone(),
        lines: ordered_lines(order),
        latest_ship_date: order.latest_ship_date.as_ref().map(crate::order::lenient::format_timestamp),
        created_at: order.created_at.as_ref().map(crate::order::lenient::format_timestamp),
    }
}

fn entry_id(entry: &PageEntry) -> Option<u64> {
    match entry {
        PageEntry::Order(o) => Some(o.id),
        PageEntry::Malformed { id, .. } => *id,
    }
}

fn channel_of(order: &Order) -> ChannelRef {
    ChannelRef { id: order.channel_id(), name: order.channel_name().to_string() }
}

impl<H: Http, S: Store, C: Clock> Engine<H, S, C> {
    /// An engine over `http`, `store` and `clock`; the configuration is checked here.
    pub fn new(config: EngineConfig, http: H, store: S, clock: C) -> Result<Self, SyncError> {
        config.validate()?;
        let client = Client::new(http, clock, &config.api_url, &config.token, &config.user_agent, config.retry);
        Ok(Engine { client, store, config, busy: Cell::new(false), log: None })
    }

    /// Sends the engine's log lines to `sink`.
    pub fn with_log(mut self, sink: impl Fn(&LogRecord) + 'static) -> Self {
        self.log = Some(Box::new(sink));
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// HTTP calls made since the engine was built.
    pub fn requests(&self) -> u64 {
        self.client.requests()
    }

    fn log(&self, level: &'static str, order_id: Option<u64>, message: String) {
        let rank = |l: &str| match l {
            "debug" => 0,
            "info" => 1,
            "warn" => 2,
            _ => 3,
        };
        // Below the threshold nothing crosses into the host: one line per order adds up.
        if rank(level) < rank(&self.config.log_level) {
            return;
        }
        if let Some(sink) = &self.log {
            sink(&LogRecord { level, message, order_id });
        }
    }

    fn now_iso(&self) -> String {
        format_utc(&self.client.clock().now())
    }

    fn claim(&self) -> Result<Busy<'_>, SyncError> {
        if self.busy.replace(true) {
            return Err(SyncError::CycleInProgress);
        }
        Ok(Busy(&self.busy))
    }

    /// Runs one full cycle. Never overlaps another cycle of this engine, nor one of another process on
    /// the same store (store lock). On failure, the report of what was done comes with the error.
    pub async fn run_cycle(&self) -> Result<CycleReport, CycleFailure> {
        let mut report = CycleReport::default();
        let start = self.client.requests();
        let _busy = match self.claim() {
            Ok(b) => b,
            Err(error) => return Err(CycleFailure { report, error }),
        };
        match self.store.try_lock(&self.config.owner, LOCK_TTL_MS).await {
            Ok(true) => {}
            Ok(false) => return Err(CycleFailure { report, error: SyncError::Locked }),
            Err(e) => return Err(CycleFailure { report, error: e.into() }),
        }
        let result = self.cycle(&mut report).await;
        if let Err(e) = self.store.unlock(&self.config.owner).await {
            self.log("warn", None, format!("could not release the store lock: {e}"));
        }
        report.requests = self.client.requests() - start;
        match result {
            Ok(()) => {
                self.log(
                    "info",
                    None,
                    format!(
                        "cycle done: {} imported, {} acknowledged, {} failed, {} skipped, {} sent",
                        report.imported, report.acknowledged, report.failed, report.skipped, report.sent
                    ),
                );
                Ok(report)
            }
            Err(error) => {
                self.log("error", None, format!("cycle stopped: {error}"));
                Err(CycleFailure { report, error })
            }
        }
    }

    async fn renew_lock(&self) -> Result<(), SyncError> {
        match self.store.try_lock(&self.config.owner, LOCK_TTL_MS).await? {
            true => Ok(()),
            false => Err(SyncError::Locked),
        }
    }

    async fn cycle(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let now = self.client.clock().now();
        let since = now - Duration::days(i64::from(self.config.since_days));
        let mut statuses = vec![OrderStatus::WaitingShipment];
        if self.config.auto_accept {
            statuses.push(OrderStatus::WaitingStoreAcceptance);
        }
        if self.config.import_fulfilled {
            statuses.push(OrderStatus::Shipped);
        }
        // Every page is read before the first acknowledge: acking while paging shrinks the
        // unacknowledged list under the cursor and skips orders. Creating does not touch that list,
        // so each page is created as it arrives and only its (small) acknowledgements are kept:
        // memory stays one page deep however many orders wait.
        let mut seen = BTreeSet::new();
        let mut acks = Vec::new();
        let mut settling = Vec::new();
        let mut list_error = None;
        let mut href = paths::orders(self.config.store_id, &OrderQuery::to_import(statuses, since).to_query_string());
        let mut fetched = self.client.get(&href, "order list", parse_order_page).await;
        loop {
            let page = match fetched {
                Ok(p) => p,
                // What was read before the failure is still imported and acknowledged: progress
                // against a flaky API, and nothing is lost.
                Err(e) => {
                    list_error = Some(e);
                    break;
                }
            };
            report.pages += 1;
            let entries: Vec<PageEntry> = page.items.into_iter().filter(|e| entry_id(e).is_none_or(|id| seen.insert(id))).collect();
            let next = page.next.filter(|n| *n != href && report.pages < MAX_PAGES);
            let Some(next) = next else {
                acks.extend(self.import_entries(entries, report, &mut settling).await?);
                if report.pages >= MAX_PAGES {
                    self.log("warn", None, format!("stopped paging after {MAX_PAGES} pages"));
                }
                break;
            };
            // The next page downloads while this one is created: the import takes about as long as
            // the slower of the two, not their sum. Nothing is acknowledged yet, so paging is safe.
            let (created, following) =
                join(self.import_entries(entries, report, &mut settling), self.client.get(&next, "order list", parse_order_page)).await;
            acks.extend(created?);
            fetched = following;
            href = next;
            if report.pages % 20 == 0 {
                self.renew_lock().await?;
            }
        }
        if list_error.is_none() {
            self.confirm_lost_acks(&seen, &mut acks, report).await?;
        }
        self.settle_acks(settling, &mut acks, report).await?;
        self.renew_lock().await?;
        self.acknowledge(acks, report).await?;
        // Shipments do not depend on the order list: a failing page must not hold them back.
        let outbound = async {
            self.renew_lock().await?;
            self.flush_operations(report).await?;
            self.follow_tickets(report).await
        }
        .await;
        if let Some(e) = list_error {
            return Err(e.into());
        }
        outbound?;
        self.inbound_statuses(report).await?;
        report.pending = self
            .store
            .operations(&OperationQuery {
                states: vec![OperationState::Pending, OperationState::Sending, OperationState::Sent],
                shoppingfeed_id: None,
            })
            .await?
            .len() as u64;
        Ok(())
    }

    /// Reads every page of `query`, following `_links.next`; entries deduplicated by id. A failure
    /// returns what was read before it.
    async fn list_all(&self, query: &OrderQuery, page_count: &mut u64) -> (Vec<PageEntry>, Option<ApiError>) {
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

    /// Orders created in the shop whose acknowledgement was never confirmed (the answer was lost in a
    /// crash) and that the unacknowledged list no longer shows: read each back; acknowledged with our
    /// reference → the journal says so; otherwise acknowledge again.
    async fn confirm_lost_acks(
        &self,
        listed: &BTreeSet<u64>,
        acks: &mut Vec<PendingAck>,
        report: &mut CycleReport,
    ) -> Result<(), SyncError> {
        const MAX_PER_CYCLE: u32 = 200;
        let queued: BTreeSet<u64> = acks.iter().map(|a| a.id).collect();
        let records = self.store.load_unconfirmed(MAX_PER_CYCLE).await?;
        let mut confirmed = Vec::new();
        for mut rec in records.into_iter().filter(|r| !listed.contains(&r.shoppingfeed_id) && !queued.contains(&r.shoppingfeed_id)) {
            let Some(shop_id) = rec.shop_order_id.clone() else { continue };
            let decode = |b: &str| parse_order(b).map_err(|e| ApiError::Decode { what: "order", message: e.to_string() });
            let order = match self.client.get(&paths::order(self.config.store_id, rec.shoppingfeed_id), "order", decode).await {
                Ok(o) => o,
                Err(ApiError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if order.acknowledged_at.is_some() && order.store_reference.as_deref() == Some(shop_id.as_str()) {
                rec.state = ImportState::Acknowledged;
                rec.order.status = order.status.clone();
                rec.updated_at = self.now_iso();
                confirmed.push(rec);
            } else {
                acks.push(self.success_ack(rec.shoppingfeed_id, &shop_id));
                report.reacknowledged += 1;
            }
        }
        if !confirmed.is_empty() {
            self.log("info", None, format!("{} acknowledgement(s) found confirmed at Shoppingfeed after an interruption", confirmed.len()));
            self.store.save_imports(&confirmed).await?;
        }
        Ok(())
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

    fn success_ack(&self, id: u64, shop_order_id: &str) -> PendingAck {
        PendingAck { id, outcome: Ok(shop_order_id.to_string()) }
    }

    async fn import_entries(
        &self,
        entries: Vec<PageEntry>,
        report: &mut CycleReport,
        settling: &mut Vec<Settling>,
    ) -> Result<Vec<PendingAck>, SyncError> {
        let mut acks = Vec::new();
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
                    PageEntry::Malformed { id: Some(id), reference, channel, status, error } => {
                        let reference = reference.clone().unwrap_or_default();
                        let rec = known.remove(id).unwrap_or_else(|| {
                            let snap = OrderSnapshot { status: status.clone(), lines: vec![], latest_ship_date: None, created_at: None };
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
                (ImportState::Acknowledged, Some(batch)) if !rec.ack_applied => {
                    settling.push(Settling { id: order.id, batch: batch.clone(), shop_order_id, acked_at: Some(rec.updated_at.clone()) })
                }
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

    /// Orders we acknowledged that are listed again: one ticket read per batch tells whether
    /// Shoppingfeed is still applying that acknowledge (wait: sending it again would only queue a
    /// duplicate), applied it after the list was read (nothing to do), or failed or cancelled it
    /// (send it again). A succeeded ticket cannot tell a late list from a merchant who asked for the
    /// order again since, so the record remembers it: listed once more, the order is acknowledged again.
    async fn settle_acks(&self, settling: Vec<Settling>, acks: &mut Vec<PendingAck>, report: &mut CycleReport) -> Result<(), SyncError> {
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
                if ticket.is_some_and(|t| t.state == TicketState::Succeed) {
                    report.ack_in_flight += 1;
                    applied.push(s.id);
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

    async fn acknowledge(&self, acks: Vec<PendingAck>, report: &mut CycleReport) -> Result<(), SyncError> {
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
            let ids: Vec<u64> = chunk.iter().map(|(id, _)| *id).collect();
            let mut records: BTreeMap<u64, ImportRecord> =
                self.store.load_imports(&ids).await?.into_iter().map(|r| (r.shoppingfeed_id, r)).collect();
            let mut to_save = Vec::new();
            for (id, payload) in &chunk {
                if let Some(why) = ignored.get(id) {
                    report.issue(Some(*id), None, "AckIgnored", format!("acknowledge ignored by Shoppingfeed: {why}"));
                    continue;
                }
                let Some(rec) = records.get_mut(id) else { continue };
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

    fn operation_record(&self, id: u64, reference: &str, payload: OperationPayload, existing: &[OperationRecord]) -> OperationRecord {
        let op = payload.operation();
        let n = existing.iter().filter(|o| o.operation() == op).count() + 1;
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
    async fn flush_operations(&self, report: &mut CycleReport) -> Result<(), SyncError> {
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

    async fn follow_tickets(&self, report: &mut CycleReport) -> Result<(), SyncError> {
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

    async fn tickets_of_batch(&self, batch: &str) -> Result<(Vec<Ticket>, bool), ApiError> {
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
                OperationPayload::Ship { shipment } if shipment.complete => OrderStatus::Shipped,
                OperationPayload::Ship { .. } => OrderStatus::PartiallyShipped,
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

    /// Orders cancelled, refused or refunded on the marketplace after import: the shop is told.
    async fn inbound_statuses(&self, report: &mut CycleReport) -> Result<(), SyncError> {
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
            let ids: Vec<u64> = chunk.iter().map(|o| o.id).collect();
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
                return Err(SyncError::Duplicate { id, operation: op.to_string(), state: format!("{:?}", dup.state).to_ascii_lowercase() });
            }
        }
        let record = self.operation_record(id, &facts.reference, payload, &existing);
        // Recorded before anything is sent.
        self.store.save_operations(std::slice::from_ref(&record)).await?;
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
    /// of a fully shipped order is refused here, before anything is recorded.
    pub async fn ship(&self, id: u64, request: &ShipRequest) -> Result<OperationRecord, SyncError> {
        self.record_and_send(id, |facts, existing| {
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

/// Lists the stores a token can see (`GET /v1/me`).
pub async fn discover_stores<H: Http, C: Clock>(
    http: H,
    clock: C,
    api_url: &str,
    token: &str,
    retry: RetryPolicy,
) -> Result<Vec<crate::api::StoreInfo>, SyncError> {
    let client = Client::new(http, clock, api_url, token, concat!("shoppingfeed-orders/", env!("CARGO_PKG_VERSION")), retry);
    Ok(client.get(&paths::me(), "account", crate::api::parse_me).await?)
}
