// shoppingfeed-orders (ESM entry): the CommonJS build re-exported, one implementation for both.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./index.cjs');

export const {
  createOrderSync, MemoryStore, DEFAULT_API_URL, isShoppingfeedError, codedError, jsonLogger, parseOrder, toOrderDraft,
  allowedOperations, validateShipment, fillTrackingUrl, trackingUrlFor, checkTrackingUrlTemplate, deadlineStatus, channelSupport, orderView, discoverStores, SyncEngine, engineVersion,
  parseTokenRef, resolveToken,
} = cjs;
/**
 * The SQLite store, loaded on first construction: better-sqlite3 is an optional dependency, and a shop
 * with its own store should be able to import this package without it.
 */
export class SqliteStore {
  /** @param {string} file @param {any} [options] */
  constructor(file, options) {
    return new cjs.SqliteStore(file, options);
  }
}
export default cjs;

/** PostgresStore, loaded on first construction (pg is an optional dependency). */
export class PostgresStore {
  /** @param {any} options */
  constructor(options) {
    return new cjs.PostgresStore(options);
  }
}

/** Scale-out, loaded on first call (bullmq, ioredis and pg are optional dependencies). */
export const startWorker = (/** @type {any} */ options) => cjs.startWorker(options);
export const openScale = (/** @type {any} */ options) => cjs.openScale(options);
