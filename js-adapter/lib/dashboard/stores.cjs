// @ts-check
'use strict';
// The dashboard over many stores (a scale-out): `/api/stores` lists them with their metrics, and
// `/api/stores/{id}/…` is the one-store API of api.cjs for that store, made on first use and kept.
// Which stores exist, their journals and connectors come from a directory (bin/commands/dashboard.js
// builds one over openScale(): the Redis registry and the PostgreSQL journal).

const engine = require('../engine.cjs');
const { createApi } = require('./api.cjs');

/**
 * @typedef {object} StoreDirectory
 * @property {() => Promise<any[]>} list  registered stores, each `{id, name?, everyMinutes, nextRunAt, metrics}`
 * @property {(id: number) => Promise<{ store: any, sync: any, runNow?: () => Promise<string | null>, readOnlyReason?: string | null } | null>} open
 *   one store's journal and connector; null when it is not registered
 */

/**
 * @param {object} o
 * @param {StoreDirectory} o.directory
 * @param {() => number} o.now
 * @param {{ name: string, template: string }[]} o.carriers
 * @param {string[]} o.secrets
 * @param {boolean} o.accessToken
 * @param {string} o.version
 */
function createStoresApi(o) {
  /** @type {Map<number, Promise<ReturnType<typeof createApi> | null>>} */
  const apis = new Map();

  /** @param {number} id */
  function apiOf(id) {
    let p = apis.get(id);
    if (!p) {
      p = o.directory.open(id).then((opened) => opened && createApi({
        store: opened.store,
        sync: opened.sync ?? null,
        readOnlyReason: opened.readOnlyReason ?? null,
        runNow: opened.runNow ?? null,
        now: o.now,
        carriers: o.carriers,
        secrets: o.secrets,
        accessToken: o.accessToken,
        version: o.version,
      }));
      // A store registered after a failed open is found on the next request.
      p.then((api) => { if (!api) apis.delete(id); }, () => apis.delete(id));
      apis.set(id, p);
    }
    return p;
  }

  /** @param {number} status @param {string} code @param {string} message */
  const error = (status, code, message) => ({ status, body: { error: { code, message } } });

  /**
   * @param {import('node:http').IncomingMessage} req @param {URL} url @param {string} path  after `/api/`
   * @returns {Promise<{ status: number, body: any }>}
   */
  async function handle(req, url, path) {
    const method = req.method === 'HEAD' ? 'GET' : String(req.method);
    const seg = path.split('/').filter(Boolean);
    if (seg.length === 1 && (seg[0] === 'config' || seg[0] === 'stores')) {
      if (method !== 'GET') return error(405, 'MethodNotAllowed', `${method} is not allowed here`);
      if (seg[0] === 'config') {
        return {
          status: 200,
          body: { version: o.version, engine: engine.version(), multiStore: true, actions: false, readOnlyReason: 'choose a store', accessToken: o.accessToken, carriers: o.carriers, now: o.now() },
        };
      }
      try {
        // Where each token comes from is the workers' business; the page never needs it.
        const items = (await o.directory.list()).map(({ tokenRef: _hidden, ...rest }) => rest);
        return { status: 200, body: { items, now: o.now() } };
      } catch (err) {
        return error(502, /** @type {any} */ (err)?.code ?? 'Error', mask(String(/** @type {any} */ (err)?.message ?? err)));
      }
    }
    if (seg[0] === 'stores' && seg.length >= 2) {
      if (!/^\d{1,16}$/.test(seg[1])) return error(404, 'UnknownStore', 'no such store');
      const id = Number(seg[1]);
      let api;
      try {
        api = await apiOf(id);
      } catch (err) {
        return error(502, /** @type {any} */ (err)?.code ?? 'Error', mask(String(/** @type {any} */ (err)?.message ?? err)));
      }
      if (!api) return error(404, 'UnknownStore', `store ${id} is not registered`);
      return api.handle(req, url, seg.slice(2).join('/'));
    }
    return error(404, 'NotFound', `no such API route: /api/${path}`);
  }

  /** @param {string} s */
  function mask(s) {
    return o.secrets.reduce((t, secret) => (secret ? t.split(secret).join('[token]') : t), s);
  }

  // Nothing to warm: each store's counters are built when the page first asks for them.
  return { handle, overview: { get: async () => undefined } };
}

module.exports = { createStoresApi };
