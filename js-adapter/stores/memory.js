// @ts-check
// MemoryStore: the store interface kept in Maps. For tests, demos and as the reference a shop reads
// to write its own store; nothing survives the process.

/**
 * @typedef {object} ShopOrder
 * @property {string} id            the shop's order id (sent as storeReference)
 * @property {string} status        `open` or `cancelled`
 * @property {any} draft            what the engine asked to create
 */

export class MemoryStore {
  constructor() {
    /** @type {Map<number, any>} journal entries by Shoppingfeed id */
    this.imports = new Map();
    /** @type {Map<string, any>} operation records by id */
    this.ops = new Map();
    /** @type {Map<number, ShopOrder>} shop orders by Shoppingfeed id */
    this.orders = new Map();
    /** @type {{owner: string, until: number} | null} */
    this.lock = null;
    /** @type {Set<string>} SKUs the shop does not sell (to rehearse error acknowledgements) */
    this.unknownSkus = new Set();
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

  /** Idempotent on the Shoppingfeed id. @param {any} draft */
  async createOrder(draft) {
    const existing = this.orders.get(draft.shoppingfeedId);
    if (existing) return { outcome: 'created', shopOrderId: existing.id, existed: true };
    const unknown = draft.lines.find((/** @type {any} */ l) => this.unknownSkus.has(l.sku));
    if (unknown) return { outcome: 'rejected', message: `unknown SKU ${unknown.sku}` };
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

  /** The marketplace cancelled or refunded an imported order: the shop order follows. @param {any} record */
  async marketplaceStatusChanged(record) {
    const order = this.orders.get(record.shoppingfeedId);
    if (order && ['cancelled', 'refused', 'refunded'].includes(record.order.status)) order.status = 'cancelled';
  }
}
