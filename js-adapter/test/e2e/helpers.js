// @ts-check
// Shared by the end-to-end suites: a real sandbox (in this process), real SQLite files in a temp dir, the
// CLI in child processes. Nothing here runs on import (node --test also loads this file).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../sandbox/index.js';

const require = createRequire(import.meta.url);

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/shoppingfeed-orders.js', import.meta.url));
export const DAY = 86_400_000;

/**
 * Every output of every command run through {@link cli}, with the token it was given: the token check
 * runs on each call and once more over all of them.
 * @type {{args: string[], token: string, stdout: string, stderr: string}[]}
 */
export const outputs = [];

/** A temp dir removed by `cleanup()`. */
export function tempDir(/** @type {string} */ prefix = 'sfo-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, db: (/** @type {string} */ name = 'orders.db') => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A sandbox on the real clock (the CLI's "last 7 days" is computed from the machine's clock) with
 * tickets that finish at once, so an acknowledgement is visible to the next request.
 * @param {import('../../sandbox/index.js').SandboxOptions} [options]
 */
export async function sandbox(options = {}) {
  const sb = await startSandbox({ seed: 11, orders: 150, ticketDelays: { start: 0, finish: 0 }, ...options });
  const auth = { Authorization: `Bearer ${sb.token}` };
  /** GET on the API (logged by the sandbox, like any client's). @param {string} path */
  async function get(path) {
    const res = await fetch(sb.url + path, { headers: auth });
    assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
    return res.json();
  }
  return {
    sb,
    get,
    /** Every order of the main store matching `query`, following `_links.next`. @param {string} [query] */
    async orders(query = '') {
      /** @type {any[]} */
      const out = [];
      let next = `/v1/store/${sb.storeId}/order?limit=200${query ? `&${query}` : ''}`;
      for (;;) {
        const page = await get(next);
        out.push(...page._embedded.order);
        if (!page._links.next) return out;
        next = page._links.next.href;
      }
    },
    /** One order as the API serves it. @param {number} id */
    order: (id) => get(`/v1/store/${sb.storeId}/order/${id}`),
    /** Creates store-fulfilled orders on the marketplaces and imports them at once; returns their ids. */
    create(/** @type {Record<string, any>[]} */ specs) {
      const views = sb.control.createOrders(specs.map((s) => ({ fulfilled: false, ...s })), { importNow: true }).orders;
      const ids = views.map((/** @type {any} */ v) => v.orderId);
      assert.ok(ids.every((id) => typeof id === 'number'), 'every created order reached Shoppingfeed');
      return ids;
    },
    /** Logged API requests (never the token). @param {{method?: string, path?: string, since?: number}} [q] */
    requests: (q = {}) => /** @type {any[]} */ (sb.control.requests({ limit: 10_000, ...q }).requests),
    /** Environment for the CLI against this sandbox (`undefined` removes a variable). @param {string} db */
    env: (db, /** @type {Record<string, string|undefined>} */ extra = {}) => ({
      SHOPPINGFEED_API_URL: sb.url,
      SHOPPINGFEED_TOKEN: sb.token,
      SHOPPINGFEED_STORE_ID: String(sb.storeId),
      SHOPPINGFEED_DB: db,
      ...extra,
    }),
    close: () => sb.close(),
  };
}

/** The success acknowledgements the sandbox received, per order id: [{storeReference, seq}]. */
export function acksByOrder(/** @type {any[]} */ requests) {
  /** @type {Map<number, {storeReference: string, status: string, seq: number}[]>} */
  const map = new Map();
  for (const r of requests) {
    if (r.method !== 'POST' || !r.path.endsWith('/order/acknowledge') || r.status !== 202) continue;
    for (const o of r.body?.order ?? []) {
      const list = map.get(o.id) ?? [];
      list.push({ storeReference: o.storeReference, status: o.status, seq: r.seq });
      map.set(o.id, list);
    }
  }
  return map;
}

/**
 * The CLI in a child process (never spawnSync: the sandbox answers from this process's event loop).
 * @param {string[]} args
 * @param {{env?: Record<string, string|undefined>, token?: string, timeoutMs?: number, onSpawn?: (c: import('node:child_process').ChildProcess) => void}} [o]
 * @returns {Promise<{code: number|null, signal: NodeJS.Signals|null, stdout: string, stderr: string, ms: number}>}
 */
export function cli(args, o = {}) {
  /** @type {Record<string, string|undefined>} */
  const env = { ...process.env, SHOPPINGFEED_LOG: undefined, NO_COLOR: '1', ...o.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  for (const k of ['SHOPPINGFEED_API_URL', 'SHOPPINGFEED_TOKEN', 'SHOPPINGFEED_STORE_ID', 'SHOPPINGFEED_DB', 'SHOPPINGFEED_POSTGRES_URL', 'SHOPPINGFEED_REDIS_URL']) {
    if (!o.env || !(k in o.env)) delete env[k];
  }
  const token = o.token ?? env.SHOPPINGFEED_TOKEN ?? '';
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: /** @type {NodeJS.ProcessEnv} */ (env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      outputs.push({ args, token, stdout, stderr });
      if (token) {
        assert.ok(!stdout.includes(token), `the token appears on stdout of ${args.join(' ')}`);
        assert.ok(!stderr.includes(token), `the token appears on stderr of ${args.join(' ')}`);
      }
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    o.onSpawn?.(child);
  });
}

/** Parses the one JSON line `sync --once --json` prints; fails unless stdout is exactly one JSON object. */
export function oneJson(/** @type {string} */ stdout) {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one line on stdout, got ${JSON.stringify(stdout)}`);
  const v = JSON.parse(lines[0]);
  assert.equal(typeof v, 'object');
  assert.ok(v !== null && !Array.isArray(v));
  return v;
}

/** Read-only view of a SQLite file written by the CLI. @param {string} file */
export function openDb(file) {
  /** @type {any} */
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return {
    /** Shoppingfeed ids of the shop orders, one entry per row. @returns {number[]} */
    orderIds: () => db.prepare('SELECT shoppingfeed_id FROM orders ORDER BY shoppingfeed_id').pluck().all(),
    /** Ids present more than once (the UNIQUE key should make this impossible). */
    duplicates: () => db.prepare('SELECT shoppingfeed_id FROM orders GROUP BY shoppingfeed_id HAVING COUNT(*) > 1').pluck().all(),
    count: (/** @type {string} */ table) => /** @type {number} */ (db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()),
    all: (/** @type {string} */ sql, /** @type {any[]} */ ...params) => db.prepare(sql).all(...params),
    close: () => db.close(),
  };
}

/** Rows of a SQLite file, then closed. @template T @param {string} file @param {(db: ReturnType<typeof openDb>) => T} fn */
export function withDb(file, fn) {
  const db = openDb(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Waits until `cond()` is truthy (polling), or fails after `ms`; resolves to that value.
 * @template T @param {() => T | Promise<T>} cond @returns {Promise<T>}
 */
export async function until(cond, ms = 20_000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether a served order is one the connector must import by default: waiting for shipment,
 * unacknowledged, created in the last `days`, not fulfilled by the marketplace, not a test order.
 * Written from the API reference, independently of the engine.
 * @param {any} o @param {number} now @param {number} [days]
 */
export function eligible(o, now, days = 7) {
  return listedToImport(o, now, days) && o.shippingAddress != null;
}

/** Listed, shop-fulfilled, but with no shipping address: error-acknowledged, never imported. @param {any} o @param {number} now */
export function addressless(o, now, days = 7) {
  return listedToImport(o, now, days) && o.shippingAddress == null;
}

/** @param {any} o @param {number} now @param {number} days */
function listedToImport(o, now, days) {
  if (o.status !== 'waiting_shipment' || o.acknowledgedAt || o.isTest) return false;
  if (Date.parse(o.createdAt) < now - days * DAY) return false;
  return !marketplaceFulfilled(o);
}

/** FBA and the like, however the channel reports it. @param {any} o */
export function marketplaceFulfilled(o) {
  const f = o.additionalFields ?? {};
  return o.fulfilledBy === 'channel' || o.payment?.method === 'AFN' || o.payment?.method === 'clogistique'
    || f.env === 'epmm' || f.fulfilled_by === 'ZFS' || f.shipping_type_code === 'LVB';
}

/** A free TCP port nobody listens on (the API "unreachable"). */
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const { port } = /** @type {net.AddressInfo} */ (srv.address());
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}
