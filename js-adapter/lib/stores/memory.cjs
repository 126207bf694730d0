// @ts-check
'use strict';
// MemoryStore: the store interface kept in Maps. For tests and demos, and the reference a shop reads to
// write its own store (see index.d.ts, `OrderStore`); nothing survives the process.

/**
 * @typedef {object} ShopOrder
 * @property {string} id            the shop's order id (sent as storeReference)
 * @property {string} status        `open` or `cancelled`
 * @property {any} draft            what the engine asked to create
 */

class MemoryStore {
  /**
   * @param {{ unknownSkus?: Iterable<string>, catalog?: Iterable<string> }} [options]
   *   unknownSkus: SKUs the shop refuses; catalog: the SKUs it sells (when given, any other is refused)
   */
  constructor(options = {}) {
    /** @type {Map<number, any>} journal entries by Shoppingfeed id */
    this.imports = new Map();
    /** @type {Map<string, any>} operation records by id */
    this.ops = new Map();
    /** @type {Map<number, ShopOrder>} shop orders by Shoppingfeed id */
    this.orders = new Map();
    /** @type {any[]} */
    this.events = [];
    /** @type {{owner: string, until: number} | null} */
    this.lock = null;
    /** SKUs the shop does not sell (to rehearse error acknowledgements). */
    this.unknownSkus = new Set(options.unknownSkus ?? []);
    /** @type {Set<string>} SKUs the shop sells; empty: every SKU not in unknownSkus */
    this.catalog = new Set(options.catalog ?? []);
  }

  /** Adds SKUs to the catalog. @param {Iterable<string>} skus */
  async addProducts(skus) {
    for (const sku of skus) this.catalog.add(String(sku));
  }

  /** @param {string} owner @param {number} ttlMs */
  async tryLock(owner, ttlMs) {
    const now = Date.now();
    if (this.lock && this.lock.owner !== owner && this.lock.until > now) return false;
    this.lock = { owner, until: now + ttlMs };
    return true;
  }

  /** @param {string} owner */
  async unlock(owner) {
    if (this.lock?.owner === owner) this.lock = null;
  }

  /** @param {number[]} ids */
  async loadImports(ids) {
    return ids.filter((id) => this.imports.has(id)).map((id) => structuredClone(this.imports.get(id)));
  }

  /** Journal entries created in the shop whose acknowledgement is not confirmed. @param {number} limit */
  async loadUnconfirmed(limit) {
    return [...this.imports.values()].filter((r) => r.state === 'created').slice(0, limit).map((r) => structuredClone(r));
  }

  /** Idempotent on the Shoppingfeed id. @param {any} draft */
  async createOrder(draft) {
    const existing = this.orders.get(draft.shoppingfeedId);
    if (existing) return { outcome: 'created', shopOrderId: existing.id, existed: true };
    const sold = (/** @type {string} */ sku) => !this.unknownSkus.has(sku) && (this.catalog.size === 0 || this.catalog.has(sku));
    const index = draft.lines.findIndex((/** @type {any} */ l) => !sold(l.sku));
    if (index >= 0) return { outcome: 'rejected', message: `unknown SKU \`${draft.lines[index].sku}\` (items[${index}])` };
    const order = { id: `M-${String(this.orders.size + 1).padStart(6, '0')}`, status: 'open', draft };
    this.orders.set(draft.shoppingfeedId, order);
    return { outcome: 'created', shopOrderId: order.id };
  }

  /** @param {any[]} records */
  async saveImports(records) {
    for (const r of records) this.imports.set(r.shoppingfeedId, structuredClone(r));
  }

  /** @param {any[]} records */
  async saveOperations(records) {
    for (const r of records) this.ops.set(r.id, structuredClone(r));
  }

  /** Writes a new operation record unless its id exists (then false, nothing written). @param {any} record */
  async insertOperation(record) {
    if (this.ops.has(record.id)) return false;
    this.ops.set(record.id, structuredClone(record));
    return true;
  }

  /** @param {{states: string[], shoppingfeedId: number | null}} q */
  async operations(q) {
    const out = [];
    for (const o of this.ops.values()) {
      if (q.states.length > 0 && !q.states.includes(o.state)) continue;
      if (q.shoppingfeedId != null && o.shoppingfeedId !== q.shoppingfeedId) continue;
      out.push(structuredClone(o));
    }
    return out;
  }

  /**
   * The marketplace cancelled or refunded an imported order: the shop order follows.
   * @param {any} record @param {string} [previous]  the status before
   */
  async marketplaceStatusChanged(record, previous) {
    const order = this.orders.get(record.shoppingfeedId);
    const cancel = Boolean(order && ['cancelled', 'refused', 'refunded'].includes(record.order.status));
    if (order && cancel) order.status = 'cancelled';
    this.events.push({ kind: 'marketplace-status', at: new Date().toISOString(), data: { shoppingfeedId: record.shoppingfeedId, status: record.order.status, previous: previous ?? null, shopOrderCancelled: cancel } });
  }

  /**
   * Journal entries with their operations, newest first.
   * @param {{ limit?: number, offset?: number, status?: string, channel?: string }} [filter]
   */
  async listOrders(filter = {}) {
    let list = [...this.imports.values()];
    if (filter.status) list = list.filter((r) => r.order.status === filter.status);
    if (filter.channel) list = list.filter((r) => r.channel.name.toLowerCase() === String(filter.channel).toLowerCase());
    // By instant, not by text: offsets differ across daylight saving time.
    const at = (/** @type {any} */ r) => Date.parse(r.order.createdAt ?? '') || 0;
    list.sort((a, b) => at(b) - at(a) || b.shoppingfeedId - a.shoppingfeedId);
    const offset = filter.offset ?? 0;
    const page = list.slice(offset, offset + (filter.limit ?? 100));
    const items = page.map((record) => ({
      record: structuredClone(record),
      operations: [...this.ops.values()].filter((o) => o.shoppingfeedId === record.shoppingfeedId).map((o) => structuredClone(o)),
    }));
    return { total: list.length, items };
  }

  /** @param {any} event */
  async recordEvent(event) {
    this.events.push(event);
  }
}

module.exports = { MemoryStore };
