//! The sync engine: one import cycle (list every page → create → acknowledge → send operations →
//! follow tickets → marketplace-side status changes). This file holds the engine, its configuration
//! and report, and the order of the phases; each phase is a sibling module (`import`, `acks`,
//! `operations` with the outbound entry points, `tickets`, `inbound`).

use super::client::Client;
use super::error::SyncError;
use super::host::{Clock, Http, Store};
use super::journal::{MAX_JOURNAL_ID, OperationQuery, OperationState, OrderSnapshot};
use crate::api::{OrderQuery, PageEntry, RetryPolicy, parse_order_page, paths};
use crate::mapping::{ChannelRef, MappingOptions};
use crate::order::lenient::format_utc;
use crate::order::shipment::ordered_lines;
use crate::order::{Order, OrderStatus};
use chrono::Duration;
use futures_util::future::join;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;

/// How long the store lock lasts without renewal; renewed every few pages or batches, so a holder
/// that died frees the store within two minutes (stores may free it sooner when they can tell).
pub const LOCK_TTL_MS: u64 = 2 * 60 * 1000;
/// Safety stop for a server whose `next` links never end.
pub(super) const MAX_PAGES: u64 = 5_000;

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
    /// The statuses the import list asks for: `waiting_shipment`, plus `waiting_store_acceptance` with
    /// `auto_accept` and `shipped` with `import_fulfilled`. An order listed in another is not imported.
    pub fn import_statuses(&self) -> Vec<OrderStatus> {
        let mut statuses = vec![OrderStatus::WaitingShipment];
        if self.auto_accept {
            statuses.push(OrderStatus::WaitingStoreAcceptance);
        }
        if self.import_fulfilled {
            statuses.push(OrderStatus::Shipped);
        }
        statuses
    }

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
    pub(super) fn issue(&mut self, order_id: Option<u64>, reference: Option<&str>, code: &str, message: String) {
        // A bounded list: 100,000 broken orders must not make the report itself a problem.
        if self.issues.len() < 500 {
            // An id the host cannot hold would make the whole report fail to cross; the message names it.
            let order_id = order_id.filter(|id| *id <= MAX_JOURNAL_ID);
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

/// Where log lines go.
type LogSink = Box<dyn Fn(&LogRecord)>;

/// The engine, generic over its host.
pub struct Engine<H, S, C> {
    pub(super) client: Client<H, C>,
    pub(super) store: S,
    pub(super) config: EngineConfig,
    busy: Cell<bool>,
    log: Option<LogSink>,
}

/// Clears the busy flag however the future ends (error, or dropped by the host).
pub(super) struct Busy<'a>(&'a Cell<bool>);
impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

pub(super) fn snapshot(order: &Order) -> OrderSnapshot {
    OrderSnapshot {
        status: order.status.clone(),
        lines: ordered_lines(order),
        latest_ship_date: order.latest_ship_date.as_ref().map(crate::order::lenient::format_timestamp),
        latest_ship_date_unreadable: order.latest_ship_date_unreadable.clone(),
        created_at: order.created_at.as_ref().map(crate::order::lenient::format_timestamp),
    }
}

pub(super) fn entry_id(entry: &PageEntry) -> Option<u64> {
    match entry {
        PageEntry::Order(o) => Some(o.id),
        PageEntry::Malformed { id, .. } => *id,
    }
}

pub(super) fn channel_of(order: &Order) -> ChannelRef {
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

    pub(super) fn log(&self, level: &'static str, order_id: Option<u64>, message: String) {
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
            sink(&LogRecord { level, message, order_id: order_id.filter(|id| *id <= MAX_JOURNAL_ID) });
        }
    }

    pub(super) fn now_iso(&self) -> String {
        format_utc(&self.client.clock().now())
    }

    pub(super) fn claim(&self) -> Result<Busy<'_>, SyncError> {
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

    pub(super) async fn renew_lock(&self) -> Result<(), SyncError> {
        match self.store.try_lock(&self.config.owner, LOCK_TTL_MS).await? {
            true => Ok(()),
            false => Err(SyncError::Locked),
        }
    }

    async fn cycle(&self, report: &mut CycleReport) -> Result<(), SyncError> {
        let now = self.client.clock().now();
        let since = now - Duration::days(i64::from(self.config.since_days));
        let statuses = self.config.import_statuses();
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
        self.settle_acks(settling, now, &mut acks, report).await?;
        self.renew_lock().await?;
        self.acknowledge(acks, report).await?;
        // Only a complete list tells which `created` entries it did not show.
        if list_error.is_none() {
            let again = self.confirm_lost_acks(&seen, report).await?;
            self.acknowledge(again, report).await?;
        }
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
