// @ts-check
'use strict';
// createOrderSync(): the engine hosted in a Node shop. Loading, host defaults (logger, store discovery,
// schedule), events. Every order rule lives in the engine.

const os = require('node:os');
const { EventEmitter } = require('node:events');
const engine = require('./engine.cjs');
const { codedError } = require('./errors.cjs');
const { jsonLogger, silentLogger } = require('./logger.cjs');

const DEFAULT_API_URL = 'https://api.shopping-feed.com';
const STORE_METHODS = ['loadImports', 'createOrder', 'saveImports', 'saveOperations', 'operations'];

/** @param {any} options */
function checkOptions(options) {
  if (!options || typeof options !== 'object') throw codedError('ConfigError', 'Config', 'createOrderSync needs an options object');
  if (typeof options.token !== 'string' || options.token.trim() === '') {
    throw codedError('ConfigError', 'Config', 'invalid configuration: token: is missing', { field: 'token' });
  }
  const store = options.store;
  const missing = STORE_METHODS.filter((m) => typeof store?.[m] !== 'function');
  if (missing.length > 0) {
    throw codedError('ConfigError', 'Config', `invalid configuration: store: missing method(s) ${missing.join(', ')}`, { field: 'store' });
  }
  if (options.storeId !== undefined && options.storeId !== null && !(Number.isSafeInteger(Number(options.storeId)) && Number(options.storeId) > 0)) {
    throw codedError('ConfigError', 'Config', `invalid configuration: storeId: \`${options.storeId}\` is not a store id`, { field: 'storeId' });
  }
}

/**
 * @param {import('../index').OrderSyncOptions} options
 * @returns {import('../index').OrderSync}
 */
function createOrderSync(options) {
  checkOptions(options);
  const apiUrl = options.apiUrl ?? DEFAULT_API_URL;
  const logger = options.logger === false ? silentLogger : options.logger ?? jsonLogger();
  const events = new EventEmitter();
  const owner = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  /** @type {any} */
  let sync = null;
  /** @type {Promise<any> | null} */
  let ready = null;
  /** @type {NodeJS.Timeout | null} */
  let timer = null;
  /** @type {Promise<unknown> | null} */
  let running = null;
  let stopped = true;

  const http = options.http;

  async function storeId() {
    if (options.storeId) return Number(options.storeId);
    const stores = await engine.discoverStores({ apiUrl, token: options.token, ...(http ? { http } : {}) });
    if (stores.length === 0) throw codedError('ConfigError', 'NoStore', 'this token sees no Shoppingfeed store');
    if (stores.length > 1) {
      const names = stores.map((/** @type {any} */ s) => `${s.id} (${s.name})`).join(', ');
      throw codedError('ConfigError', 'AmbiguousStore', `this token sees several stores: ${names}; choose one with storeId`, { stores });
    }
    return stores[0].id;
  }

  function init() {
    ready ??= (async () => {
      const id = await storeId();
      sync = new engine.SyncEngine(
        {
          apiUrl,
          token: options.token,
          storeId: id,
          sinceDays: options.sinceDays ?? 7,
          importFulfilled: options.importFulfilled ?? false,
          autoAccept: options.autoAccept ?? false,
          includeTest: options.includeTest ?? false,
          ...(options.errorAckAfter ? { errorAckAfter: options.errorAckAfter } : {}),
          ...(options.retry ? { retry: options.retry } : {}),
          owner,
          logLevel: options.logLevel ?? 'info',
        },
        {
          store: options.store,
          ...(http ? { http } : {}),
          ...(options.now ? { now: options.now } : {}),
          log: (/** @type {{level: string, message: string, orderId: number|null}} */ r) => {
            const fields = r.orderId == null ? {} : { orderId: r.orderId };
            /** @type {any} */ (logger)[r.level]?.(fields, r.message);
            events.emit('log', r);
          },
        },
      );
      return sync;
    })();
    ready.catch(() => { ready = null; });
    return ready;
  }

  /** @param {string} kind @param {any} data */
  async function record(kind, data) {
    if (typeof options.store.recordEvent === 'function') {
      try {
        await options.store.recordEvent({ kind, at: new Date().toISOString(), data });
      } catch (err) {
        logger.warn({ err: /** @type {Error} */ (err).message }, 'could not record an event');
      }
    }
  }

  async function runOnce() {
    const s = await init();
    try {
      const report = await s.runCycle();
      await record('cycle', report);
      events.emit('cycle', report);
      return report;
    } catch (err) {
      const e = /** @type {any} */ (err);
      await record('cycle-failed', { code: e.code, message: e.message, report: e.report });
      if (events.listenerCount('error') > 0) events.emit('error', e);
      throw e;
    }
  }

  /**
   * @param {string} name
   * @param {(s: any) => Promise<any>} call
   */
  async function operation(name, call) {
    const s = await init();
    const op = await call(s);
    await record('operation', { name, id: op.id, state: op.state, orderId: op.shoppingfeedId });
    events.emit('operation', op);
    return op;
  }

  return {
    runOnce,
    start({ everyMinutes = 10 } = {}) {
      if (!(everyMinutes > 0)) throw codedError('ConfigError', 'Config', `everyMinutes must be positive, got ${everyMinutes}`, { field: 'everyMinutes' });
      if (!stopped) return;
      stopped = false;
      const tick = () => {
        running = runOnce()
          .catch((err) => logger.error({ code: err.code }, `sync cycle failed: ${err.message}`))
          .finally(() => {
            running = null;
            if (!stopped) timer = setTimeout(tick, everyMinutes * 60_000);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    ship: (id, shipment) => operation('ship', (s) => s.ship(id, shipment)),
    cancel: (id, reason) => operation('cancel', (s) => s.cancel(id, reason ?? '')),
    refund: (id, refund) => operation('refund', (s) => s.refund(id, refund ?? {})),
    accept: (id, reason) => operation('accept', (s) => s.accept(id, reason ?? '')),
    refuse: (id) => operation('refuse', (s) => s.refuse(id)),
    deliver: (id) => operation('deliver', (s) => s.deliver(id)),
    uploadInvoice: (id, pdf) => operation('upload-documents', (s) => s.uploadInvoice(id, pdf instanceof Uint8Array ? pdf : new Uint8Array(pdf))),
    async orders(filter = {}) {
      if (typeof options.store.listOrders !== 'function') throw codedError('ConfigError', 'Config', 'the store has no listOrders method', { field: 'store' });
      const { total, items } = await options.store.listOrders(filter);
      const now = options.now ? options.now() : Date.now();
      let views = items.map((/** @type {any} */ i) => engine.orderView(i.record, i.operations, now));
      if (filter.needsAttention) views = views.filter((/** @type {any} */ v) => v.needsAttention);
      return { total, orders: views };
    },
    on(event, fn) {
      events.on(event, fn);
      return () => events.off(event, fn);
    },
    get requests() {
      return sync ? sync.requests : 0;
    },
  };
}

/**
 * The connector options a shop plugin (Vendure, Medusa) passes through from its own options: one list, so
 * the plugins cannot drift apart. The plugin adds `store` and `logger`.
 * @param {Record<string, any>} o the plugin's options
 */
function connectorOptions(o) {
  return {
    token: o.token,
    ...(o.storeId ? { storeId: Number(o.storeId) } : {}),
    ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.now ? { now: o.now } : {}),
    autoAccept: !!o.autoAccept,
    importFulfilled: !!o.importFulfilled,
    includeTest: !!o.includeTest,
    ...(o.sinceDays ? { sinceDays: o.sinceDays } : {}),
    ...(o.errorAckAfter ? { errorAckAfter: o.errorAckAfter } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
  };
}

module.exports = { createOrderSync, connectorOptions, DEFAULT_API_URL };
