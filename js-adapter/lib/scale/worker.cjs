// @ts-check
'use strict';
// startWorker(): one worker process of a scale-out. It takes `cycle` jobs from the BullMQ queue (each
// registered store has a repeatable one), runs the engine's cycle for that store on the shared
// PostgreSQL journal, and reports. What keeps a store to one cycle at a time across all workers is
// the store's lock in PostgreSQL (PostgresStore.tryLock, taken and renewed by the engine): a job
// that finds it held comes back a few seconds later instead of running alongside. A worker that dies
// loses its BullMQ job lock (another worker gets the job once it expires) and its PostgreSQL session
// (the store lock is free at once). close() stops taking jobs and waits for the running cycles.

const BULLMQ = 'bullmq';
const IOREDIS = 'ioredis';
const PG = 'pg';
/** @type {any} */
const { Worker, Queue, DelayedError } = require(BULLMQ);
/** @type {any} */
const { Redis } = require(IOREDIS);
/** @type {any} */
const pg = require(PG);
const os = require('node:os');
const { EventEmitter } = require('node:events');
const { createOrderSync } = require('../sync.cjs');
const { silentLogger } = require('../logger.cjs');
const { PostgresStore } = require('../stores/postgres.cjs');
const { Registry, DEFAULT_QUEUE } = require('./registry.cjs');
const { resolveToken } = require('./tokens.cjs');
const { redisOptions, JOB_OPTS, DEFAULT_API_URL } = require('./scale.cjs');

/**
 * @typedef {object} WorkerOptions
 * @property {string} redis                 Redis URL
 * @property {string | any} postgres        PostgreSQL URL or a pg.Pool
 * @property {number} [concurrency]         cycles run side by side in this process (default 4)
 * @property {string} [queue]               queue name (default `shoppingfeed-orders`)
 * @property {string} [schema]              PostgreSQL schema (default `shoppingfeed_orders`)
 * @property {number} [lockDurationMs]      BullMQ job lease: a dead worker's job goes to another after it (default 30000)
 * @property {number} [stalledIntervalMs]   how often dead workers' jobs are looked for (default: lockDurationMs)
 * @property {number} [lockedRetryMs]       a job finding its store busy comes back after this (default 5000)
 * @property {number} [httpTimeoutMs]       one API call's limit (default 120000)
 * @property {Record<string, string | undefined>} [env] where `env:` token references are read (default process.env)
 * @property {import('../../index').Logger | false} [logger] engine logs (default none)
 * @property {string} [name]                this worker's name in reports (default host:pid)
 */

/**
 * @typedef {object} CycleResult
 * @property {number} storeId
 * @property {string} worker
 * @property {number} pid
 * @property {string} jobId
 * @property {string} startedAt
 * @property {string} endedAt
 * @property {number} durationMs   wall time of the cycle
 * @property {number} apiMs        of which waiting on the Shoppingfeed API
 * @property {number} dbMs         of which waiting on PostgreSQL
 * @property {number} requests
 * @property {number | null} apiFirstAt  epoch ms of the cycle's first API request
 * @property {number | null} apiLastAt   epoch ms of its last answer
 * @property {number} imported
 * @property {number} acknowledged
 * @property {number} failed
 * @property {number} sent
 * @property {number} pending
 */

/** Times a job comes back later (store held elsewhere) before it gives up and leaves it to the schedule. */
const MAX_DELAYS = 120;
/** How long close() waits for Redis once the cycles are done. */
const CLOSE_GRACE_MS = 5000;
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Times spent waiting, for one store in this process (one cycle at a time per store). */
class Timing {
  apiMs = 0;
  dbMs = 0;
  requests = 0;
  /** @type {number | null} epoch ms the cycle's first API request was sent */
  firstAt = null;
  /** @type {number | null} epoch ms its last answer was read */
  lastAt = null;
}

/** Wall-clock epoch ms, the clock other processes of the machine (and API logs) read too. */
const wallNow = () => Date.now();

/**
 * The store with each method's wait added to `timing.dbMs`.
 * @param {any} store @param {Timing} timing
 */
function timedStore(store, timing) {
  return new Proxy(store, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function') return v;
      return (/** @type {any[]} */ ...args) => {
        const t0 = performance.now();
        const r = v.apply(target, args);
        if (r && typeof r.then === 'function') {
          return r.finally(() => {
            timing.dbMs += performance.now() - t0;
          });
        }
        timing.dbMs += performance.now() - t0;
        return r;
      };
    },
  });
}

/**
 * The host HTTP function: global fetch, the wait added to `timing.apiMs`.
 * @param {Timing} timing @param {number} timeoutMs
 */
function timedHttp(timing, timeoutMs) {
  return async (/** @type {import('../../index').HttpRequest} */ req) => {
    const t0 = performance.now();
    timing.firstAt ??= wallNow();
    try {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: /** @type {any} */ (req.body), signal: AbortSignal.timeout(timeoutMs) });
      const body = await res.text();
      return { status: res.status, headers: res.headers, body };
    } finally {
      timing.apiMs += performance.now() - t0;
      timing.requests += 1;
      timing.lastAt = wallNow();
    }
  };
}

/**
 * Starts a worker; resolves once it is connected and taking jobs.
 * @param {WorkerOptions} options
 */
async function startWorker(options) {
  const queueName = options.queue ?? DEFAULT_QUEUE;
  const connection = redisOptions(options.redis);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new RangeError(`concurrency must be 1 to 256, got ${concurrency}`);
  const lockDuration = options.lockDurationMs ?? 30_000;
  const lockedRetryMs = options.lockedRetryMs ?? 5_000;
  const httpTimeoutMs = options.httpTimeoutMs ?? 120_000;
  const id = options.name ?? `${os.hostname()}:${process.pid}`;
  const logger = options.logger === false || options.logger === undefined ? silentLogger : options.logger;
  const events = new EventEmitter();
  const ownPool = typeof options.postgres === 'string';
  /** @type {any} */
  const pool = ownPool ? new pg.Pool({ connectionString: options.postgres, max: concurrency * 2 + 2 }) : options.postgres;
  if (ownPool) pool.on('error', () => {});
  const queue = new Queue(queueName, { connection });
  queue.on('error', () => {});
  const redis = new Redis(options.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', () => {}); // reported by the command that fails
  const registry = new Registry(redis, queueName);
  /** @type {Map<number, { key: string, sync: any, store: any, timing: Timing, running: boolean }>} */
  const contexts = new Map();
  const totals = { cycles: 0, failed: 0, skipped: 0, busyMs: 0, apiMs: 0, dbMs: 0, imported: 0 };

  /** The engine for a store, rebuilt when its entry or its token changed. @param {any} entry @param {string} token */
  function contextOf(entry, token) {
    const { addedAt: _ignored, ...rest } = entry;
    const key = JSON.stringify(rest) + token;
    let ctx = contexts.get(entry.id);
    if (ctx && (ctx.key === key || ctx.running)) return ctx;
    const store = ctx?.store ?? new PostgresStore({ pool, storeId: entry.id, ...(options.schema ? { schema: options.schema } : {}) });
    const timing = new Timing();
    const sync = createOrderSync({
      apiUrl: entry.apiUrl ?? DEFAULT_API_URL,
      token,
      storeId: entry.id,
      store: timedStore(store, timing),
      http: timedHttp(timing, httpTimeoutMs),
      logger,
      sinceDays: entry.sinceDays,
      autoAccept: entry.autoAccept,
      importFulfilled: entry.importFulfilled,
      includeTest: entry.includeTest,
    });
    ctx = { key, sync, store, timing, running: false };
    contexts.set(entry.id, ctx);
    return ctx;
  }

  /** @param {string} name @param {any} payload */
  const emit = (name, payload) => {
    try {
      events.emit(name, payload);
    } catch {
      // a listener's failure is not the cycle's
    }
  };

  /** @param {any} job @param {string} token */
  async function processor(job, token) {
    const storeId = Number(job.data?.storeId);
    const entry = await registry.get(storeId);
    if (!entry) {
      totals.skipped += 1;
      emit('skipped', { storeId, jobId: job.id, reason: 'not registered' });
      return { storeId, skipped: 'not registered' };
    }
    // A cycle asked for now is starting: a later ask must queue a new one, not be folded into this one.
    if (job.opts?.deduplication) await job.removeDeduplicationKey().catch(() => {});
    let apiToken;
    try {
      apiToken = resolveToken(entry.tokenRef, { env: options.env });
    } catch (err) {
      // This worker cannot read the store's token: said where the operator looks (stores list, the
      // worker's output); the job fails, another worker or the next schedule may do better.
      const e = /** @type {any} */ (err);
      totals.failed += 1;
      const error = { code: e.code ?? 'Error', message: String(e.message) };
      const store = contexts.get(storeId)?.store ?? new PostgresStore({ pool, storeId, ...(options.schema ? { schema: options.schema } : {}) });
      await store.recordEvent({ kind: 'cycle-failed', data: { code: error.code, message: error.message, worker: id } }).catch(() => {});
      if (!contexts.has(storeId)) await store.close().catch(() => {});
      emit('cycle-failed', { storeId, jobId: String(job.id), worker: id, pid: process.pid, error });
      throw err;
    }
    const ctx = contextOf(entry, apiToken);
    /** Not now: the job comes back after `ms`, neither run nor failed; the schedule goes on. */
    const delay = async (/** @type {string} */ reason, /** @type {number} */ ms, /** @type {any} */ info = {}) => {
      totals.skipped += 1;
      if ((job.data.delays ?? 0) >= MAX_DELAYS) {
        // Held that long by someone else: this job gives up; the schedule brings the next one.
        emit('skipped', { storeId, jobId: String(job.id), worker: id, pid: process.pid, ...info, reason, retryInMs: null });
        return { storeId, skipped: reason };
      }
      emit('skipped', { storeId, jobId: String(job.id), worker: id, pid: process.pid, ...info, reason, retryInMs: ms });
      await job.updateData({ ...job.data, delays: (job.data.delays ?? 0) + 1 });
      await job.moveToDelayed(Date.now() + ms, token);
      throw new DelayedError();
    };
    /** Another process, or another job of this one, holds the store. */
    const later = (/** @type {any} */ info) => delay('locked', lockedRetryMs, info);
    // Checked and taken with no await between: one job of a store at a time in this process.
    if (ctx.running) return later({});
    ctx.running = true;
    try {
      return await runCycle(job, storeId, ctx, later);
    } finally {
      ctx.running = false;
    }
  }

  /**
   * @param {any} job @param {number} storeId @param {{ sync: any, store: any, timing: Timing }} ctx
   * @param {(info: any) => Promise<any>} later
   */
  async function runCycle(job, storeId, ctx, later) {
    const { timing } = ctx;
    const before = { apiMs: timing.apiMs, dbMs: timing.dbMs, requests: timing.requests };
    timing.firstAt = null;
    timing.lastAt = null;
    const started = Date.now();
    const t0 = performance.now();
    emit('cycle-start', { storeId, jobId: job.id, worker: id, pid: process.pid, startedAt: new Date(started).toISOString(), reason: job.data.reason ?? 'schedule' });
    /** @param {any} report */
    const result = (report) => {
      const durationMs = performance.now() - t0;
      return {
        storeId, worker: id, pid: process.pid, jobId: String(job.id),
        startedAt: new Date(started).toISOString(), endedAt: new Date().toISOString(),
        durationMs: Math.round(durationMs * 10) / 10,
        apiMs: Math.round((timing.apiMs - before.apiMs) * 10) / 10,
        dbMs: Math.round((timing.dbMs - before.dbMs) * 10) / 10,
        requests: timing.requests - before.requests,
        // The window in which this cycle talked to the API (null when it made no request).
        apiFirstAt: timing.firstAt, apiLastAt: timing.lastAt,
        imported: report?.imported ?? 0, acknowledged: report?.acknowledged ?? 0, failed: report?.failed ?? 0,
        sent: report?.sent ?? 0, pending: report?.pending ?? 0,
      };
    };
    /** @param {any} r */
    const account = (r) => {
      totals.busyMs += r.durationMs;
      totals.apiMs += r.apiMs;
      totals.dbMs += r.dbMs;
    };
    let report;
    try {
      report = await ctx.sync.runOnce();
    } catch (err) {
      const e = /** @type {any} */ (err);
      const r = result(e.report);
      account(r);
      if ((e.code === 'Locked' || e.code === 'CycleInProgress') && !e.report?.imported && !e.report?.acknowledged && !e.report?.sent) {
        // Another process holds the store (a cycle, or a ship being sent): come back shortly rather
        // than run beside it. The job is not failed; the schedule goes on.
        return later(r);
      }
      totals.failed += 1;
      await ctx.store.recordEvent({ kind: 'worker-cycle', data: { ...r, error: { code: e.code ?? 'Error', message: String(e.message) } } }).catch(() => {});
      emit('cycle-failed', { ...r, error: { code: e.code ?? 'Error', message: String(e.message) } });
      throw err;
    }
    const r = result(report);
    account(r);
    totals.cycles += 1;
    totals.imported += r.imported;
    await ctx.store.recordEvent({ kind: 'worker-cycle', data: r }).catch(() => {});
    // Operations recorded by another process while this cycle ran, after it had sent what was
    // pending: one more cycle right away rather than at the next schedule.
    const late = (await ctx.store.operations({ states: ['pending'], shoppingfeedId: null }))
      .filter((/** @type {any} */ o) => Date.parse(o.recordedAt) >= started - 1000 && o.payload?.operation !== 'upload-documents');
    if (late.length > 0) {
      await queue.add('cycle', { storeId, reason: 'follow-up' }, { ...JOB_OPTS, delay: 500, deduplication: { id: `follow:${storeId}` } });
    }
    emit('cycle', r);
    return r;
  }

  const worker = new Worker(queueName, processor, {
    connection,
    concurrency,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? lockDuration,
    maxStalledCount: 3,
    name: id,
    autorun: false,
  });
  worker.on('error', (/** @type {Error} */ err) => emit('error', err));
  worker.on('failed', (/** @type {any} */ job, /** @type {Error} */ err) => {
    if (job && !(err instanceof DelayedError)) logger.warn({ storeId: job.data?.storeId, jobId: job.id }, `cycle job failed: ${err.message}`);
  });
  worker.run().catch((/** @type {Error} */ err) => emit('error', err));
  await worker.waitUntilReady();

  let closing = null;
  return {
    id,
    worker,
    /** Subscribes to `cycle-start`, `cycle`, `cycle-failed`, `skipped`, `error`. */
    on(/** @type {string} */ name, /** @type {(p: any) => void} */ fn) {
      events.on(name, fn);
      return () => events.off(name, fn);
    },
    /** Counters since start: cycles, failed, skipped, busyMs, apiMs, dbMs, imported. */
    stats: () => ({ ...totals }),
    /** Takes no new job, waits for the running cycles, then releases Redis and PostgreSQL. */
    close() {
      closing ??= (async () => {
        // No new job from now on; the running cycles go to their end, however long they take.
        const stopping = worker.close();
        stopping.catch(() => {});
        while ([...contexts.values()].some((c) => c.running)) await sleep(50);
        // Then the connections: cleanly when Redis answers, else given up after a few seconds (a
        // worker asked to stop must stop even when Redis went away first).
        const gone = await Promise.race([stopping.then(() => true, () => true), sleep(CLOSE_GRACE_MS).then(() => false)]);
        if (!gone) await Promise.race([worker.close(true).catch(() => {}), sleep(1000)]);
        await Promise.race([queue.close().catch(() => {}), sleep(CLOSE_GRACE_MS)]);
        await Promise.race([redis.quit().catch(() => {}), sleep(1000)]);
        redis.disconnect();
        for (const ctx of contexts.values()) await ctx.store.close().catch(() => {});
        if (ownPool) await pool.end().catch(() => {});
      })();
      return closing;
    },
  };
}

module.exports = { startWorker };
