//! `MemoryStore`: the shop's order store and the connector's journal, in memory.

use super::clock::ManualClock;
use chrono::{DateTime, Duration, Utc};
use shoppingfeed_orders::mapping::OrderDraft;
use shoppingfeed_orders::order::OrderStatus;
use shoppingfeed_orders::sync::{Clock, CreateOutcome, ImportRecord, ImportState, OperationQuery, OperationRecord, Store, StoreError};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// An order the shop holds.
#[derive(Debug, Clone)]
pub struct ShopOrder {
    /// The shop's id (sent as `storeReference`).
    pub shop_order_id: String,
    /// What the engine asked to create.
    pub draft: OrderDraft,
}

/// One `marketplace_status_changed` call.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// Shoppingfeed order id.
    pub id: u64,
    /// New status (from the record).
    pub status: OrderStatus,
    /// Previous status.
    pub previous: OrderStatus,
}

#[derive(Default)]
struct Inner {
    imports: BTreeMap<u64, ImportRecord>,
    operations: BTreeMap<String, OperationRecord>,
    orders: BTreeMap<u64, ShopOrder>,
    creations: u32,
    create_calls: u32,
    rejected_skus: BTreeMap<String, String>,
    failing_ids: BTreeSet<u64>,
    fail_save_imports: u32,
    status_changes: Vec<StatusChange>,
    lock: Option<(String, DateTime<Utc>)>,
    /// Written just after the next `operations` read: another process recording at the same moment.
    write_after_read: Option<OperationRecord>,
}

/// A shared handle (clones see the same data and the same lock, like two processes on one database).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Rc<RefCell<Inner>>,
    clock: ManualClock,
}

/// The largest id a JavaScript store holds exactly (`Number.MAX_SAFE_INTEGER`): the shops' stores
/// are JS, ids reach them as numbers.
pub const JS_MAX_ID: u64 = (1 << 53) - 1;

/// Refuses, as a JS store's crossing does, any id it could not hold exactly.
fn js_ids(ids: impl IntoIterator<Item = u64>) -> Result<(), StoreError> {
    match ids.into_iter().find(|id| *id > JS_MAX_ID) {
        Some(id) => Err(StoreError(format!("{id} can't be represented as a JavaScript number"))),
        None => Ok(()),
    }
}

impl MemoryStore {
    /// An empty store; the lock expires by `clock`.
    pub fn new(clock: ManualClock) -> Self {
        MemoryStore { inner: Rc::new(RefCell::new(Inner::default())), clock }
    }

    /// Writes `record` just after the next operations read, as another process recording the same
    /// operation in the same instant would.
    pub fn write_after_next_read(&self, record: OperationRecord) {
        self.inner.borrow_mut().write_after_read = Some(record);
    }

    /// `create_order` refuses drafts with this SKU, with `message` (None: a message naming the SKU).
    pub fn reject_sku(&self, sku: &str, message: Option<&str>) {
        let msg = message.map_or_else(|| format!("Product reference `{sku}` does not match a product in the shop"), str::to_string);
        self.inner.borrow_mut().rejected_skus.insert(sku.to_string(), msg);
    }

    /// `create_order` fails with a `StoreError` for this Shoppingfeed id.
    pub fn fail_create(&self, id: u64) {
        self.inner.borrow_mut().failing_ids.insert(id);
    }

    /// The next `n` `save_imports` calls fail (a crash after `create_order`).
    pub fn fail_save_imports(&self, n: u32) {
        self.inner.borrow_mut().fail_save_imports = n;
    }

    /// Orders really created (idempotent repeats not counted).
    pub fn creations(&self) -> u32 {
        self.inner.borrow().creations
    }

    /// `create_order` calls, repeats included.
    pub fn create_calls(&self) -> u32 {
        self.inner.borrow().create_calls
    }

    /// The shop order made from a Shoppingfeed order.
    pub fn shop_order(&self, id: u64) -> Option<ShopOrder> {
        self.inner.borrow().orders.get(&id).cloned()
    }

    /// The journal entry of a Shoppingfeed order.
    pub fn import(&self, id: u64) -> Option<ImportRecord> {
        self.inner.borrow().imports.get(&id).cloned()
    }

    /// Every journal entry.
    pub fn imports(&self) -> Vec<ImportRecord> {
        self.inner.borrow().imports.values().cloned().collect()
    }

    /// Every operation record.
    pub fn all_operations(&self) -> Vec<OperationRecord> {
        self.inner.borrow().operations.values().cloned().collect()
    }

    /// `marketplace_status_changed` calls so far.
    pub fn status_changes(&self) -> Vec<StatusChange> {
        self.inner.borrow().status_changes.clone()
    }

    /// Who holds the lock now.
    pub fn lock_holder(&self) -> Option<String> {
        self.inner.borrow().lock.as_ref().map(|(o, _)| o.clone())
    }
}

impl Store for MemoryStore {
    async fn try_lock(&self, owner: &str, ttl_ms: u64) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut s = self.inner.borrow_mut();
        let free = match &s.lock {
            None => true,
            Some((holder, expires)) => holder == owner || *expires <= now,
        };
        if free {
            s.lock = Some((owner.to_string(), now + Duration::milliseconds(i64::try_from(ttl_ms).unwrap_or(i64::MAX))));
        }
        Ok(free)
    }

    async fn unlock(&self, owner: &str) -> Result<(), StoreError> {
        let mut s = self.inner.borrow_mut();
        if s.lock.as_ref().is_some_and(|(holder, _)| holder == owner) {
            s.lock = None;
        }
        Ok(())
    }

    async fn load_imports(&self, ids: &[u64]) -> Result<Vec<ImportRecord>, StoreError> {
        js_ids(ids.iter().copied())?;
        let s = self.inner.borrow();
        Ok(ids.iter().filter_map(|id| s.imports.get(id).cloned()).collect())
    }

    async fn load_unconfirmed(&self, limit: u32) -> Result<Vec<ImportRecord>, StoreError> {
        let s = self.inner.borrow();
        Ok(s.imports.values().filter(|r| r.state == ImportState::Created).take(limit as usize).cloned().collect())
    }

    async fn create_order(&self, draft: &OrderDraft) -> Result<CreateOutcome, StoreError> {
        js_ids([draft.shoppingfeed_id])?;
        let mut s = self.inner.borrow_mut();
        s.create_calls += 1;
        if s.failing_ids.contains(&draft.shoppingfeed_id) {
            return Err(StoreError(format!("database unavailable while creating order {}", draft.shoppingfeed_id)));
        }
        if let Some(existing) = s.orders.get(&draft.shoppingfeed_id) {
            return Ok(CreateOutcome::Created { shop_order_id: existing.shop_order_id.clone(), existed: true });
        }
        if let Some(message) = draft.lines.iter().find_map(|l| s.rejected_skus.get(&l.sku)) {
            return Ok(CreateOutcome::Rejected { message: message.clone() });
        }
        s.creations += 1;
        let shop_order_id = format!("SHOP-{:06}", s.creations);
        s.orders.insert(draft.shoppingfeed_id, ShopOrder { shop_order_id: shop_order_id.clone(), draft: draft.clone() });
        Ok(CreateOutcome::Created { shop_order_id, existed: false })
    }

    async fn save_imports(&self, records: &[ImportRecord]) -> Result<(), StoreError> {
        js_ids(records.iter().map(|r| r.shoppingfeed_id))?;
        let mut s = self.inner.borrow_mut();
        if s.fail_save_imports > 0 {
            s.fail_save_imports -= 1;
            return Err(StoreError("journal write failed (process killed)".into()));
        }
        for r in records {
            s.imports.insert(r.shoppingfeed_id, r.clone());
        }
        Ok(())
    }

    async fn save_operations(&self, records: &[OperationRecord]) -> Result<(), StoreError> {
        js_ids(records.iter().map(|r| r.shoppingfeed_id))?;
        let mut s = self.inner.borrow_mut();
        for r in records {
            s.operations.insert(r.id.clone(), r.clone());
        }
        Ok(())
    }

    async fn operations(&self, query: &OperationQuery) -> Result<Vec<OperationRecord>, StoreError> {
        js_ids(query.shoppingfeed_id)?;
        let mut s = self.inner.borrow_mut();
        let found = s
            .operations
            .values()
            .filter(|o| query.states.is_empty() || query.states.contains(&o.state))
            .filter(|o| query.shoppingfeed_id.is_none_or(|id| id == o.shoppingfeed_id))
            .cloned()
            .collect();
        if let Some(r) = s.write_after_read.take() {
            s.operations.insert(r.id.clone(), r);
        }
        Ok(found)
    }

    async fn insert_operation(&self, record: &OperationRecord) -> Result<bool, StoreError> {
        js_ids([record.shoppingfeed_id])?;
        let mut s = self.inner.borrow_mut();
        if s.operations.contains_key(&record.id) {
            return Ok(false);
        }
        s.operations.insert(record.id.clone(), record.clone());
        Ok(true)
    }

    async fn marketplace_status_changed(&self, record: &ImportRecord, previous: &OrderStatus) -> Result<(), StoreError> {
        self.inner.borrow_mut().status_changes.push(StatusChange {
            id: record.shoppingfeed_id,
            status: record.order.status.clone(),
            previous: previous.clone(),
        });
        Ok(())
    }
}
