// @ts-check
'use strict';
// openScale(): the control side of a scale-out — register and remove stores (each gets a repeatable
// BullMQ job), ask for a cycle now, read per-store metrics from the shared PostgreSQL journal, and
// get an OrderSync for one store in any process (ship, cancel… recorded in PostgreSQL; sent at once
// when no cycle holds the store, else by that store's next cycle, which is asked for right away).

const BULLMQ = 'bullmq';
const IOREDIS = 'ioredis';
const PG = 'pg';
/** @type {any} */
const { Queue } = require(BULLMQ);
/** @type {any} */
const { Redis } = require(IOREDIS);
/** @type {any} */
const pg = require(PG);
const engine = require('../engine.cjs');
const { createOrderSync } = require('../sync.cjs');
const { codedError } = require('../errors.cjs');
const { PostgresStore } = require('../stores/postgres.cjs');
const { Registry, checkEntry, schedulerId, DEFAULT_QUEUE } = require('./registry.cjs');
const { resolveToken } = require('./tokens.cjs');

const DEFAULT_API_URL = 'https://api.shopping-feed.com';
/** Jobs kept in Redis once finished (per state). */
const KEEP_JOBS = { count: 2000 };

/**
 * @typedef {object} ScaleOptions
 * @property {string} redis           Redis URL (redis://host:port/db)
 * @property {string | any} [postgres] PostgreSQL URL or a pg.Pool (metrics, orderSync)
 * @property {string} [queue]         queue name (default `shoppingfeed-orders`)
 * @property {string} [schema]        PostgreSQL schema (default `shoppingfeed_orders`)
 * @property {Record<string, string | undefined>} [env] where `env:` token references are read (default process.env)
 */

/** @param {string} url */
function redisOptions(url) {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw codedError('ConfigError', 'Config', 'invalid configuration: redis: a redis:// URL is needed', { field: 'redis' });
  }
  return { url, maxRetriesPerRequest: null };
}

/** The cycle job's options, shared by the scheduler template and one-off jobs. */
const JOB_OPTS = { removeOnComplete: KEEP_JOBS, removeOnFail: KEEP_JOBS };

/**
 * @param {ScaleOptions} options
 */
function openScale(options) {
  const queueName = options.queue ?? DEFAULT_QUEUE;
  const connection = redisOptions(options.redis);
  const redis = new Redis(options.redis, { maxRetriesPerRequest: 3, lazyConnect: false });
  redis.on('error', () => {}); // reported by the command that fails
  const registry = new Registry(redis, queueName);
  const queue = new Queue(queueName, { connection, defaultJobOptions: JOB_OPTS });
  queue.on('error', () => {});
  const ownPool = typeof options.postgres === 'string';
  /** @type {any} */
  const pool = options.postgres === undefined ? null : ownPool ? new pg.Pool({ connectionString: options.postgres, max: 4 }) : options.postgres;
  pool?.on?.('error', () => {});
  /** @type {Map<number, any>} */
  const stores = new Map();
  /** Cycles asked for by operations recorded here, not yet queued. @type {Set<Promise<unknown>>} */
  const asked = new Set();

  function needPostgres() {
    if (!pool) throw codedError('ConfigError', 'Config', 'invalid configuration: postgres: a PostgreSQL URL is needed for this', { field: 'postgres' });
    return pool;
  }
  /** @param {number} id */
  function storeOf(id) {
    let s = stores.get(id);
    if (!s) {
      s = new PostgresStore({ pool: needPostgres(), storeId: id, ...(options.schema ? { schema: options.schema } : {}) });
      stores.set(id, s);
    }
    return s;
  }

  /**
   * Registers (or updates) a store and its repeatable job; the first cycle is queued at once.
   * @param {Parameters<typeof checkEntry>[0]} input
   */
  async function addStore(input) {
    const entry = checkEntry(input);
    await registry.put(entry);
    await queue.upsertJobScheduler(schedulerId(entry.id), { every: Math.round(entry.everyMinutes * 60_000) }, {
      name: 'cycle',
      data: { storeId: entry.id },
      opts: JOB_OPTS,
    });
    return entry;
  }

  /** @param {number} id @returns {Promise<boolean>} whether it was registered */
  async function removeStore(id) {
    const had = await registry.remove(Number(id));
    const scheduled = await queue.removeJobScheduler(schedulerId(Number(id)));
    return had || Boolean(scheduled);
  }

  /** Registered stores with their next scheduled run. */
  async function listStores() {
    const entries = await registry.list();
    const schedulers = new Map((await queue.getJobSchedulers(0, -1, true)).map((/** @type {any} */ s) => [s.key, s]));
    return entries.map((e) => {
      const s = schedulers.get(schedulerId(e.id));
      return { ...e, nextRunAt: s?.next ? new Date(s.next).toISOString() : null };
    });
  }

  /**
   * Makes sure a cycle of this store starts after this call: queues one, unless one queued earlier has
   * not started yet (a burst of calls is one cycle; the worker frees the key when the cycle starts).
   * A store nobody registered is refused.
   * @param {number} id @returns {Promise<string | null>} the job id
   */
  async function runNow(id) {
    const storeId = Number(id);
    if (!(await registry.get(storeId))) throw codedError('ConfigError', 'UnknownStore', `store ${storeId} is not registered`, { field: 'storeId' });
    const job = await queue.add('cycle', { storeId, reason: 'run-now' }, { ...JOB_OPTS, deduplication: { id: `run:${storeId}` } });
    return job?.id ?? null;
  }

  /**
   * Metrics of registered stores (or of `ids`), from PostgreSQL.
   * @param {number[]} [ids]
   */
  async function metrics(ids) {
    const list = (ids ?? (await registry.list()).map((e) => e.id)).map(Number);
    if (list.length === 0) return [];
    // One read for all of them, through any store of the journal.
    return storeOf(list[0]).metricsOf(list, { now: Date.now(), deadline: engine.deadlineStatus });
  }

  /**
   * Every registered store with its metrics (null without `postgres`) and whether it is late: no cycle
   * for two of its periods (and a minute), or none since it was registered that long ago — no worker is
   * taking its jobs. What `stores list` and the dashboard's stores page show.
   */
  async function overview() {
    const stores = await listStores();
    const now = Date.now();
    const metricsOf = new Map(pool ? (await metrics(stores.map((e) => e.id))).map((m) => [m.storeId, m]) : []);
    return stores.map((e) => {
      const m = metricsOf.get(e.id) ?? null;
      const since = m ? m.lastCycle?.at ?? e.addedAt : null;
      const late = Boolean(since && now - Date.parse(since) > (2 * e.everyMinutes + 1) * 60_000);
      return { ...e, metrics: m, late };
    });
  }

  /**
   * An OrderSync for one registered store in this process (its token resolved here): ship, cancel…
   * are recorded in PostgreSQL and sent at once when no cycle holds the store, else by the cycle
   * queued for it right away.
   * @param {number} id @param {Partial<import('../../index').OrderSyncOptions>} [extra]
   */
  async function orderSync(id, extra = {}) {
    const entry = await registry.get(Number(id));
    if (!entry) throw codedError('ConfigError', 'UnknownStore', `store ${id} is not registered`, { field: 'storeId' });
    const sync = createOrderSync({
      apiUrl: entry.apiUrl ?? DEFAULT_API_URL,
      // A token given here (an operator's own) spares reading the reference on this machine.
      token: extra.token ?? resolveToken(entry.tokenRef, { env: options.env }),
      storeId: entry.id,
      store: storeOf(entry.id),
      // The registration's import settings, as its workers run them.
      sinceDays: entry.sinceDays,
      autoAccept: entry.autoAccept,
      importFulfilled: entry.importFulfilled,
      includeTest: entry.includeTest,
      logger: false,
      ...extra,
    });
    sync.on('operation', (/** @type {any} */ op) => {
      // Not accepted by Shoppingfeed yet (API down, or an answer lost): a worker's cycle sends or confirms it.
      if (op.state !== 'pending' && op.state !== 'sending') return;
      const queued = runNow(entry.id).catch(() => {});
      asked.add(queued);
      queued.finally(() => asked.delete(queued));
    });
    return sync;
  }

  async function close() {
    // A command that records a shipment then exits must not cut the cycle it asked for.
    await Promise.allSettled([...asked]);
    for (const s of stores.values()) await s.close();
    stores.clear();
    await queue.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
    if (ownPool && pool) await pool.end().catch(() => {});
  }

  return {
    queue,
    registry,
    addStore,
    removeStore,
    listStores,
    getStore: (/** @type {number} */ id) => registry.get(Number(id)),
    /** The PostgresStore of one store id (shared by this handle's calls). @param {number} id */
    store: (/** @type {number} */ id) => storeOf(Number(id)),
    runNow,
    metrics,
    overview,
    orderSync,
    close,
  };
}

module.exports = { openScale, redisOptions, JOB_OPTS, DEFAULT_API_URL };
