// @ts-check
// The scale-out rig shared by scale.test.js and bench/scale.bench.js: Redis and PostgreSQL (started
// for the run unless SFO_TEST_REDIS_URL / SFO_TEST_POSTGRES_URL name them), a sandbox with N stores of
// M orders each waiting to be imported, a queue and a schema of its own, worker processes started
// through the CLI (`shoppingfeed-orders worker --json`), and readers of what happened: the workers'
// events, the journal in PostgreSQL, the sandbox's request log. No test here.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../../sandbox/index.js';
import { startServices } from '../stores/services.js';
import { cliArgs } from './cli.js';

const require = createRequire(import.meta.url);
/** @type {any} */
const pg = require('pg');
const { openScale } = /** @type {any} */ (require('../../lib/scale/index.cjs'));

/** The environment variable the stores' token references name. */
export const TOKEN_VAR = 'SFO_SANDBOX_TOKEN';

/**
 * @typedef {object} WorkerProc
 * @property {string} name
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {any[]} events            every JSON event printed so far, in order
 * @property {() => string} stderr
 * @property {Promise<{code: number | null, signal: string | null}>} exited
 * @property {(pred: (e: any) => boolean, timeoutMs?: number) => Promise<any>} waitFor  the first event (past or future) matching
 */

/**
 * @param {{ stores?: number, ordersPerStore?: number, seed?: number, tag?: string,
 *   services?: { redisUrl: string, postgresUrl: string } }} [o]
 *   services: Redis and PostgreSQL already running (left running by close()); default: started here
 */
export async function startRig(o = {}) {
  const storeCount = o.stores ?? 20;
  const perStore = o.ordersPerStore ?? 500;
  const services = o.services ? { ...o.services, stop: async () => {}, started: false } : await startServices(['redis', 'postgres']);
  const tag = `${o.tag ?? 'rig'}_${process.pid}_${Date.now().toString(36)}`;
  const queue = `sfo-${tag}`;
  const schema = `sfo_${tag}`.replace(/[^a-z0-9_]/gi, '_');
  const sb = await startSandbox({
    seed: o.seed ?? 17,
    stores: Array.from({ length: storeCount }, () => ({ orders: 0, autoAccept: true })),
    requestLogSize: 1_000_000,
  });
  /** @param {number} storeId @param {number} count */
  const addOrders = (storeId, count) => sb.control.createOrders([{ count, fulfilled: false }], { storeId, importNow: true });
  for (const id of sb.storeIds) addOrders(id, perStore);
  const env = { ...process.env, [TOKEN_VAR]: sb.token };
  const pool = new pg.Pool({ connectionString: services.postgresUrl, max: 4 });
  pool.on('error', () => {});
  const scale = openScale({ redis: services.redisUrl, postgres: pool, queue, schema, env });

  /** @type {WorkerProc[]} */
  const workers = [];

  /**
   * Starts a worker process (the CLI, --json) and resolves once it printed `ready`.
   * @param {{ concurrency?: number, lockMs?: number, name?: string }} [w]
   * @returns {Promise<WorkerProc>}
   */
  async function spawnWorker(w = {}) {
    const args = cliArgs('worker', ['--redis', services.redisUrl, '--postgres', services.postgresUrl, '--queue', queue, '--schema', schema,
      '--concurrency', String(w.concurrency ?? 2), '--lock-ms', String(w.lockMs ?? 4000), '--json', '--quiet']);
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    /** @type {any[]} */
    const events = [];
    /** @type {Set<{pred: (e: any) => boolean, resolve: (e: any) => void}>} */
    const waiters = new Set();
    let err = '';
    child.stderr?.on('data', (d) => { err += d; });
    createInterface({ input: /** @type {any} */ (child.stdout) }).on('line', (line) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      e.seenAt = Date.now();
      events.push(e);
      for (const wt of waiters) {
        if (wt.pred(e)) {
          waiters.delete(wt);
          wt.resolve(e);
        }
      }
    });
    // 'close': the process has exited and everything it printed has been read.
    const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    /** @type {WorkerProc} */
    const proc = {
      name: w.name ?? `w${workers.length + 1}`,
      child,
      pid: /** @type {number} */ (child.pid),
      events,
      stderr: () => err,
      exited: /** @type {any} */ (exited),
      waitFor(pred, timeoutMs = 60_000) {
        const past = events.find(pred);
        if (past) return Promise.resolve(past);
        return new Promise((resolve, reject) => {
          const wt = { pred, resolve: (/** @type {any} */ e) => { clearTimeout(timer); resolve(e); } };
          const timer = setTimeout(() => {
            waiters.delete(wt);
            reject(new Error(`${proc.name} (pid ${proc.pid}): no such event within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`));
          }, timeoutMs);
          waiters.add(wt);
          exited.then(() => {
            if (!waiters.has(wt)) return;
            waiters.delete(wt);
            clearTimeout(timer);
            reject(new Error(`${proc.name} (pid ${proc.pid}) exited while waited for; stderr: ${err.slice(-2000)}`));
          });
        });
      },
    };
    workers.push(proc);
    await proc.waitFor((e) => e.event === 'ready', 30_000);
    return proc;
  }

  /** @param {string} sql @param {any[]} [args] @returns {Promise<any[]>} */
  const rows = async (sql, args = []) => (await pool.query(sql.replaceAll('{s}', `"${schema}"`), args)).rows;

  /** Orders created in PostgreSQL, per store. @returns {Promise<Map<number, number>>} */
  async function ordersPerStore() {
    const r = await rows('SELECT store_id::float8 AS s, count(*)::int AS n FROM {s}.orders GROUP BY store_id').catch(() => []);
    return new Map(r.map((/** @type {any} */ x) => [x.s, x.n]));
  }

  /**
   * The sandbox's request log, oldest first: API requests only (control endpoints are never logged).
   * Read from the sandbox itself: `GET /_sandbox/requests` answers at most the newest 10000.
   * @returns {{seq: number, timestamp: string, method: string, path: string, query: Record<string, string>, status: number, durationMs: number, body?: any}[]}
   */
  const requestLog = () => /** @type {any} */ (sb.control).sb.requestLog.map((/** @type {any} */ e) => ({ ...e }));

  /** Waits until `pred()` is true (polled), or fails naming `what`. @param {() => Promise<boolean> | boolean} pred @param {string} what */
  async function until(pred, what, timeoutMs = 120_000, everyMs = 50) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await pred()) return;
      await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }

  /**
   * Every order the sandbox holds for a store, as of now: the sandbox runs what fell due (tickets
   * finishing, acknowledgements landing) before each API request only, so it is asked to here.
   * @param {number} storeId @returns {any[]}
   */
  const sandboxOrders = (storeId) => {
    const inner = /** @type {any} */ (sb.control).sb;
    inner.runDue();
    return inner.stores.get(storeId).orders;
  };

  async function close() {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await scale.queue.obliterate({ force: true }).catch(() => {});
    await scale.close().catch(() => {});
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pool.end().catch(() => {});
    await sb.close();
    await services.stop();
  }

  return { services, sb, scale, queue, schema, env, pool, workers, spawnWorker, rows, ordersPerStore, requestLog, until, sandboxOrders, addOrders, close };
}

/** The store id in an API path (`/v1/store/{id}/…`), else null. @param {string} path */
export function storeOfPath(path) {
  const m = /^\/v1\/store\/(\d+)(?:\/|$)/.exec(path);
  return m ? Number(m[1]) : null;
}
