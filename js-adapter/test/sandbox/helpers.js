// @ts-check
// Shared by the sandbox test files: start a sandbox, talk to it with plain fetch.

import { startSandbox } from '../../sandbox/index.js';

/** A fixed start so dates in assertions are stable: 2025-06-02 12:00 UTC (14:00 Paris, summer). */
export const START = '2025-06-02T12:00:00Z';

/**
 * @typedef {object} Res
 * @property {number} status
 * @property {Headers} headers
 * @property {any} body  parsed JSON, or text when not JSON
 */

/**
 * @param {import('../../sandbox/index.js').SandboxOptions} options
 */
export async function boot(options = {}) {
  const s = await startSandbox({ clock: 'manual', startTime: START, seed: 1, orders: 200, ...options });
  const auth = { Authorization: `Bearer ${s.token}` };
  /**
   * @param {string} method
   * @param {string} path  absolute (/v1/...) or relative to the main store (order?..., ticket...)
   * @param {{body?: unknown, headers?: Record<string, string>, raw?: BodyInit}} [o]
   * @returns {Promise<Res>}
   */
  async function call(method, path, o = {}) {
    const url = path.startsWith('/') ? s.url + path : `${s.url}/v1/store/${s.storeId}/${path}`;
    /** @type {Record<string, string>} */
    const headers = { ...auth, ...(o.headers ?? {}) };
    let body = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text === '' ? '' : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
  return {
    s,
    call,
    get: (/** @type {string} */ p, /** @type {Record<string, string>} */ headers = {}) => call('GET', p, { headers }),
    post: (/** @type {string} */ p, /** @type {unknown} */ body) => call('POST', p, { body }),
    /** All orders of a query, following `_links.next` like a client does. */
    async all(/** @type {string} */ query) {
      const out = [];
      let next = `/v1/store/${s.storeId}/order?${query}`;
      for (;;) {
        const r = await call('GET', next);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
        out.push(...r.body._embedded.order);
        if (!r.body._links.next) return out;
        next = r.body._links.next.href;
      }
    },
    /** Finishes every ticket scheduled so far. */
    settle: () => s.control.advance({ minutes: 1 }),
  };
}

/** The first order matching a query, or fails. */
export async function firstOrder(/** @type {Awaited<ReturnType<typeof boot>>} */ t, /** @type {string} */ query) {
  const r = await t.get(`order?${query}&limit=1`);
  const o = r.body._embedded?.order?.[0];
  if (!o) throw new Error(`no order for ${query}`);
  return o;
}

/** Creates an order on a marketplace and imports it at once (store-fulfilled unless the spec says otherwise). */
export async function marketOrder(/** @type {Awaited<ReturnType<typeof boot>>} */ t, /** @type {Record<string, unknown>} */ spec) {
  const created = t.s.control.createOrders([{ fulfilled: false, ...spec }], { importNow: true });
  const view = created.orders[0];
  if (!view.orderId) throw new Error(`order not imported: ${JSON.stringify(view)}`);
  const r = await t.get(`order/${view.orderId}`);
  return r.body;
}
