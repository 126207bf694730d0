// shoppingfeed-orders (ESM entry): the CommonJS build re-exported, one implementation for both.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./index.cjs');

export const {
  createOrderSync, MemoryStore, DEFAULT_API_URL, isShoppingfeedError, codedError, jsonLogger, parseOrder, toOrderDraft,
  allowedOperations, validateShipment, deadlineStatus, channelSupport, orderView, discoverStores, SyncEngine, engineVersion,
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
