// @ts-check
'use strict';
// Everything about the whole order set that one store page cannot answer: counters per channel and per
// status, and the "needs attention" list (an engine verdict: failed import or operation, deadline at risk
// or passed). Built by reading the journal page by page and asking the engine for each order's view;
// renewed in the background after a few seconds, and dropped at once after a change made through the
// dashboard.

const engine = require('../engine.cjs');

/** Journal entries read per store call. */
const CHUNK = 1000;

/**
 * @typedef {object} Entry
 * @property {any} record
 * @property {any[]} operations
 * @property {string} channelKey
 * @property {string} status
 * @property {boolean} attention
 * @property {string} deadline  none | on_time | at_risk | overdue
 * @property {boolean} failed    failed import or operation
 */

/**
 * @typedef {object} Overview
 * @property {number} builtAt   epoch ms (wall clock)
 * @property {number} buildMs
 * @property {Entry[]} entries  newest first, as the store lists them
 * @property {{ total: number, attention: number, channels: any[], statuses: { status: string, count: number }[] }} summary
 */

/**
 * @param {{ listOrders: (f: object) => Promise<{ total: number, items: { record: any, operations: any[] }[] }> }} store
 * @param {() => number} now  engine time in ms
 * @param {{ ttlMs?: number }} [options]
 */
function overviewOf(store, now, options = {}) {
  const ttlMs = options.ttlMs ?? 5000;
  /** @type {Overview | null} */
  let current = null;
  /** @type {Promise<Overview> | null} */
  let building = null;
  let generation = 0;

  async function build() {
    const t0 = performance.now();
    const at = now();
    /** @type {Entry[]} */
    const entries = [];
    for (let offset = 0; ; offset += CHUNK) {
      const page = await store.listOrders({ limit: CHUNK, offset });
      for (const item of page.items) {
        const view = engine.orderView(item.record, item.operations, at);
        entries.push({
          record: item.record,
          operations: item.operations,
          channelKey: String(item.record.channel?.name ?? '').toLowerCase(),
          status: String(item.record.order?.status ?? ''),
          attention: Boolean(view.needsAttention),
          deadline: String(view.deadline?.state ?? 'none'),
          failed: item.record.state === 'failed' || view.operations.some((/** @type {any} */ o) => o.state === 'failed'),
        });
      }
      if (page.items.length < CHUNK) break;
    }
    /** @type {Map<string, any>} */
    const channels = new Map();
    /** @type {Map<string, number>} */
    const statuses = new Map();
    let attention = 0;
    for (const e of entries) {
      const name = String(e.record.channel?.name ?? '');
      const c = channels.get(e.channelKey) ?? { name, total: 0, attention: 0, atRisk: 0, overdue: 0, failed: 0 };
      channels.set(e.channelKey, c);
      c.total += 1;
      if (e.attention) {
        c.attention += 1;
        attention += 1;
      }
      if (e.deadline === 'at_risk') c.atRisk += 1;
      if (e.deadline === 'overdue') c.overdue += 1;
      if (e.failed) c.failed += 1;
      statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
    }
    return {
      builtAt: Date.now(),
      buildMs: Math.round(performance.now() - t0),
      entries,
      summary: {
        total: entries.length,
        attention,
        channels: [...channels.values()].sort((a, b) => a.name.localeCompare(b.name)),
        statuses: [...statuses.entries()].map(([status, count]) => ({ status, count })).sort((a, b) => b.count - a.count),
      },
    };
  }

  /**
   * The overview. Older than the TTL: the last one is answered while a new one is built (counters may
   * lag a few seconds behind a sync run by another process); after `invalidate()` the caller waits.
   * @returns {Promise<Overview>}
   */
  async function get() {
    if (current && Date.now() - current.builtAt < ttlMs) return current;
    const stale = current;
    if (!building) {
      const gen = generation;
      /** @type {Promise<Overview>} */
      const run = build().then(
        (o) => {
          if (gen === generation) current = o;
          if (building === run) building = null;
          return o;
        },
        (err) => {
          if (building === run) building = null;
          throw err;
        },
      );
      building = run;
    }
    const pending = /** @type {Promise<Overview>} */ (building);
    if (stale) {
      pending.catch(() => {});
      return stale;
    }
    return pending;
  }

  return {
    get,
    /** Forgets the overview (after a ship, cancel, retry or sync made here). */
    invalidate() {
      generation += 1;
      current = null;
      building = null;
    },
  };
}

module.exports = { overviewOf };
