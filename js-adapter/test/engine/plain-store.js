// @ts-check
// Shared by the engine suites: the smallest store a shop could write, in plain Maps keyed by number
// as the package's stores key them.

/** A journal kept in plain Maps, the smallest store a shop could write. */
export function memoryStore() {
  const imports = new Map();
  const ops = new Map();
  const orders = new Map();
  const changes = [];
  return {
    orders, ops, changes,
    async loadImports(/** @type {number[]} */ ids) { return ids.filter((id) => imports.has(id)).map((id) => imports.get(id)); },
    async createOrder(/** @type {any} */ draft) {
      if (!orders.has(draft.shoppingfeedId)) orders.set(draft.shoppingfeedId, { id: `S${orders.size + 1}`, draft });
      return { outcome: 'created', shopOrderId: orders.get(draft.shoppingfeedId).id };
    },
    async saveImports(/** @type {any[]} */ rs) { for (const r of rs) imports.set(r.shoppingfeedId, r); },
    async saveOperations(/** @type {any[]} */ rs) { for (const r of rs) ops.set(r.id, r); },
    async operations(/** @type {any} */ q) {
      return [...ops.values()].filter((o) => (!q.states.length || q.states.includes(o.state)) && (q.shoppingfeedId == null || o.shoppingfeedId === q.shoppingfeedId));
    },
    async marketplaceStatusChanged(/** @type {any} */ r, /** @type {string} */ prev) { changes.push({ id: r.shoppingfeedId, prev, now: r.order.status }); },
  };
}
