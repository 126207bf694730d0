// @ts-check
'use strict';
// The store registry: which Shoppingfeed stores the workers serve, kept in Redis next to the queue.
// An entry holds the store id, a token *reference* (never a token: see tokens.cjs), the schedule and
// the engine options. Redis key: `<queue>:stores`, a hash of JSON entries by store id.

const { codedError } = require('../errors.cjs');
const { parseTokenRef } = require('./tokens.cjs');

const DEFAULT_QUEUE = 'shoppingfeed-orders';
const DEFAULT_EVERY_MINUTES = 10;
/** Shortest schedule accepted (tests and demos run cycles every few seconds). */
const MIN_EVERY_MINUTES = 1 / 60;

/**
 * @typedef {object} StoreEntry
 * @property {number} id               the Shoppingfeed store id
 * @property {string} tokenRef         env:NAME | file:/path | file:/path#KEY
 * @property {number} everyMinutes     the repeatable job's period
 * @property {string} [apiUrl]         default: the production API
 * @property {string} [name]           a label for people
 * @property {number} [sinceDays]
 * @property {boolean} [autoAccept]
 * @property {boolean} [importFulfilled]
 * @property {boolean} [includeTest]
 * @property {string} addedAt          ISO time of the last add
 */

/** @param {unknown} v @param {string} field */
const bad = (v, field) => codedError('ConfigError', 'Config', `invalid store entry: ${field}: \`${String(v)}\` is not valid`, { field });

/**
 * A checked entry (defaults filled in); throws ConfigError on anything malformed, a raw token above all.
 * @param {Partial<StoreEntry> & { id: number | string, tokenRef: string }} e @returns {StoreEntry}
 */
function checkEntry(e) {
  const id = Number(e?.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw bad(e?.id, 'id');
  parseTokenRef(e.tokenRef);
  const everyMinutes = e.everyMinutes === undefined ? DEFAULT_EVERY_MINUTES : Number(e.everyMinutes);
  if (!(everyMinutes >= MIN_EVERY_MINUTES) || everyMinutes > 7 * 24 * 60) throw bad(e.everyMinutes, 'everyMinutes');
  if (e.apiUrl !== undefined && !/^https?:\/\/[^\s]+$/i.test(String(e.apiUrl))) throw bad(e.apiUrl, 'apiUrl');
  if (e.sinceDays !== undefined && !(Number.isInteger(Number(e.sinceDays)) && Number(e.sinceDays) >= 1 && Number(e.sinceDays) <= 90)) throw bad(e.sinceDays, 'sinceDays');
  /** @type {StoreEntry} */
  const out = { id, tokenRef: String(e.tokenRef).trim(), everyMinutes, addedAt: e.addedAt ?? new Date().toISOString() };
  if (e.apiUrl !== undefined) out.apiUrl = String(e.apiUrl).replace(/\/+$/, '');
  if (e.name !== undefined) out.name = String(e.name);
  if (e.sinceDays !== undefined) out.sinceDays = Number(e.sinceDays);
  for (const k of /** @type {const} */ (['autoAccept', 'importFulfilled', 'includeTest'])) if (e[k] !== undefined) out[k] = Boolean(e[k]);
  return out;
}

/** Registry operations on an ioredis client. */
class Registry {
  /** @param {any} redis an ioredis client @param {string} [queue] */
  constructor(redis, queue = DEFAULT_QUEUE) {
    this.redis = redis;
    this.key = `${queue}:stores`;
  }

  /** @param {StoreEntry} entry */
  async put(entry) {
    await this.redis.hset(this.key, String(entry.id), JSON.stringify(entry));
  }

  /** @param {number} id @returns {Promise<StoreEntry | null>} */
  async get(id) {
    const raw = await this.redis.hget(this.key, String(id));
    return raw ? JSON.parse(raw) : null;
  }

  /** @returns {Promise<StoreEntry[]>} by store id */
  async list() {
    const all = await this.redis.hgetall(this.key);
    return Object.values(all).map((/** @type {any} */ v) => JSON.parse(v)).sort((a, b) => a.id - b.id);
  }

  /** @param {number} id @returns {Promise<boolean>} whether it was registered */
  async remove(id) {
    return (await this.redis.hdel(this.key, String(id))) > 0;
  }
}

/** The job scheduler id of a store. @param {number} id */
const schedulerId = (id) => `store:${id}`;

module.exports = { Registry, checkEntry, schedulerId, DEFAULT_QUEUE, DEFAULT_EVERY_MINUTES, MIN_EVERY_MINUTES };
