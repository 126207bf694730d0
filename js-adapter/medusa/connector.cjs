'use strict';
// The connector hosted in Medusa: one OrderSync per process (the engine + the MedusaShop + the journal in
// the `shoppingfeed` module), used by the scheduled job, the subscribers and the admin routes alike.
// Every order rule (what to import, when to acknowledge, ship validation…) stays in the engine.

const { generateEntityId } = require('@medusajs/framework/utils');
const { createOrderSync } = require('../index.cjs');
const { connectorOptions } = require('../lib/sync.cjs');
const { MedusaShop } = require('./shop.cjs');

const SHOPPINGFEED_MODULE = 'shoppingfeed';

/** @type {WeakMap<object, Connector>} */
const connectors = new WeakMap();

/** Medusa's logger as the engine's pino-compatible one (never the token). */
function engineLogger(logger) {
  const line = (fields, msg) => {
    if (typeof fields === 'string') return `Shoppingfeed: ${fields}`;
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    return `Shoppingfeed: ${msg ?? ''}${extra}`;
  };
  return {
    debug: (fields, msg) => logger.debug?.(line(fields, msg)),
    info: (fields, msg) => logger.info(line(fields, msg)),
    warn: (fields, msg) => logger.warn(line(fields, msg)),
    error: (fields, msg) => logger.error(line(fields, msg)),
  };
}

class Connector {
  constructor(container, service) {
    this.container = container;
    this.service = service;
    this.options = service.getOptions();
    this.journal = service.getJournal();
    this.logger = container.resolve('logger');
    this.shop = new MedusaShop({ container, options: this.options, logger: this.logger });
    this.lockName = `sync:${this.options.storeId ?? 'default'}`;
    /** Admin hooks run one at a time in this process. */
    this.queue = Promise.resolve();
    this.hooks = { run: 0, failed: 0 };
    /** Cycles ended in this process, their last report or error. */
    this.cycles = 0;
    this.lastCycle = null;
    this.lastError = null;
    this.running = null;
    this.sync = null;
  }

  /** The engine's OrderStore: the journal plus the shop. */
  store() {
    const { journal, shop, lockName } = this;
    return {
      createOrder: (draft) => shop.createOrder(draft),
      marketplaceStatusChanged: (record, previous) => shop.marketplaceStatusChanged(record, previous),
      loadImports: (ids) => journal.loadImports(ids),
      saveImports: (records) => journal.saveImports(records),
      saveOperations: (records) => journal.saveOperations(records),
      insertOperation: (record) => journal.insertOperation(record),
      operations: (query) => journal.operations(query),
      loadUnconfirmed: (limit) => journal.loadUnconfirmed(limit),
      tryLock: (owner, ttlMs) => journal.tryLock(lockName, owner, ttlMs),
      unlock: (owner) => journal.unlock(lockName, owner),
      listOrders: (filter) => journal.listOrders(filter),
      recordEvent: (event) => journal.recordEvent(event, () => generateEntityId(undefined, 'sfev')),
    };
  }

  /** The OrderSync (made on first use: a missing token fails here, not at Medusa's boot). */
  getSync() {
    if (!this.sync) {
      const o = this.options;
      if (!o.token || typeof o.token !== 'string') {
        const e = new Error('shoppingfeed-orders/medusa: the plugin option `token` is required');
        e.name = 'ConfigError';
        e.code = 'Config';
        throw e;
      }
      this.sync = createOrderSync({
        ...connectorOptions(o),
        store: this.store(),
        logger: o.logger === false ? false : engineLogger(this.logger),
      });
    }
    return this.sync;
  }

  /**
   * One sync cycle (what the scheduled job runs); resolves to the report with its issues cut to 10. A call
   * while a cycle runs in this process joins it (the journal's lock does the same across processes).
   */
  runOnce() {
    this.running ??= (async () => {
      try {
        const report = await this.getSync().runOnce();
        const { issues, ...counts } = report;
        this.lastCycle = { ...counts, issues: issues.slice(0, 10), endedAt: new Date().toISOString() };
        this.lastError = null;
        return this.lastCycle;
      } catch (err) {
        this.lastError = { code: err?.code ?? null, message: String(err?.message ?? err), endedAt: new Date().toISOString() };
        throw err;
      } finally {
        this.cycles += 1;
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Runs an admin hook after the ones queued before it. @param {() => Promise<void>} job */
  enqueue(job) {
    const run = this.queue.then(job).catch((err) => {
      this.hooks.failed += 1;
      this.logger.error(`Shoppingfeed: admin hook failed: ${err?.stack ?? err}`);
    });
    this.queue = run.finally(() => {
      this.hooks.run += 1;
    });
    return this.queue;
  }
}

/**
 * Medusa's application container. Workflow steps (the scheduled job runs as one) hand out a scoped container
 * whose module services are wrapped per run: the connector keeps to the application's own container.
 */
function appContainer(container) {
  try {
    const app = require('@medusajs/framework').container;
    if (app?.hasRegistration?.(SHOPPINGFEED_MODULE)) return app;
  } catch {
    // an older framework without the exported container: the caller's container
  }
  return container;
}

/** The connector of this Medusa application (one per `shoppingfeed` module instance). */
function getConnector(container) {
  const app = appContainer(container);
  const service = app.resolve(SHOPPINGFEED_MODULE);
  let connector = connectors.get(service);
  if (!connector) {
    connector = new Connector(app, service);
    connectors.set(service, connector);
  }
  return connector;
}

module.exports = { getConnector, Connector, SHOPPINGFEED_MODULE, engineLogger };
