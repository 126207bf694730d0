// @ts-check
'use strict';
// shoppingfeed-orders: the Shoppingfeed order connector for Node shops (CommonJS entry).

const engine = require('./lib/engine.cjs');
const { createOrderSync, DEFAULT_API_URL } = require('./lib/sync.cjs');
const { MemoryStore } = require('./lib/stores/memory.cjs');
const { codedError, isShoppingfeedError } = require('./lib/errors.cjs');
const { jsonLogger } = require('./lib/logger.cjs');

/** SqliteStore needs better-sqlite3; loaded on first use so shops with their own store do not. */
function loadSqlite() {
  return require('./lib/stores/sqlite.cjs').SqliteStore;
}

/** PostgresStore needs pg (an optional dependency): loaded on first use. */
function loadPostgres() {
  return require('./lib/stores/postgres.cjs').PostgresStore;
}

/** The scale-out (BullMQ workers, store registry) needs bullmq, ioredis and pg: loaded on first use. */
function loadScale() {
  return require('./lib/scale/index.cjs');
}

const { parseTokenRef, resolveToken } = require('./lib/scale/tokens.cjs');

module.exports = {
  createOrderSync,
  MemoryStore,
  get SqliteStore() {
    return loadSqlite();
  },
  get PostgresStore() {
    return loadPostgres();
  },
  get startWorker() {
    return loadScale().startWorker;
  },
  get openScale() {
    return loadScale().openScale;
  },
  parseTokenRef,
  resolveToken,
  DEFAULT_API_URL,
  isShoppingfeedError,
  codedError,
  jsonLogger,
  parseOrder: engine.parseOrder,
  toOrderDraft: engine.toOrderDraft,
  allowedOperations: engine.allowedOperations,
  validateShipment: engine.validateShipment,
  fillTrackingUrl: engine.fillTrackingUrl,
  trackingUrlFor: engine.trackingUrlFor,
  checkTrackingUrlTemplate: engine.checkTrackingUrlTemplate,
  deadlineStatus: engine.deadlineStatus,
  channelSupport: engine.channelSupport,
  orderView: engine.orderView,
  discoverStores: engine.discoverStores,
  SyncEngine: engine.SyncEngine,
  engineVersion: engine.version,
};
