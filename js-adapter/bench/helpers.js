// @ts-check
// Helpers for import.bench.js: a sandbox in its own process (spawned through the CLI, so its memory
// and CPU are not the connector's), its /_sandbox/ controls, eligible-order set-up, the plain
// "download every page" baseline, child processes that print one JSON line, and table printing.
// Everything talks to 127.0.0.1 only; every loop and wait is bounded.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PKG_DIR = path.resolve(BENCH_DIR, '..');
const CLI = path.join(PKG_DIR, 'bin', 'shoppingfeed-orders.js');

/** Most pages a paging loop follows (100,000 orders at 200 a page is 500). */
export const MAX_PAGES = 2_000;
/** The sandbox control creates at most this many orders per call. */
export const CREATE_PER_CALL = 10_000;

export const mb = (/** @type {number} */ bytes) => bytes / 1024 / 1024;
export const fmtMs = (/** @type {number} */ ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
export const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * @typedef {object} SandboxProcess
 * @property {string} url
 * @property {string} token
 * @property {number} storeId
 * @property {number} pid
 * @property {() => Promise<number>} rssMb   the sandbox process's RSS (from /proc), for the record
 * @property {() => Promise<void>} close
 */

/**
 * Starts `shoppingfeed-orders sandbox <args>` in its own process and reads its url/token/storeId lines.
 * @param {string[]} args
 * @param {{timeoutMs?: number, nodeArgs?: string[]}} [opts]
 * @returns {Promise<SandboxProcess>}
 */
export function spawnSandbox(args, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { err = (err + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox did not print its url/token/storeId within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    const early = (/** @type {number|null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited (${code}) before it was ready; stderr: ${err}`));
    };
    child.once('exit', early);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const get = (/** @type {string} */ k) => out.match(new RegExp(`^${k}: (\\S+)$`, 'm'))?.[1];
      const url = get('url');
      const token = get('token');
      const storeId = get('storeId');
      if (!url || !token || !storeId) return;
      clearTimeout(timer);
      child.off('exit', early);
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
        child.kill('SIGKILL');
        reject(new Error(`sandbox url is not on 127.0.0.1: ${url}`));
        return;
      }
      resolve({
        url,
        token,
        storeId: Number(storeId),
        pid: /** @type {number} */ (child.pid),
        rssMb: () => procRssMb(/** @type {number} */ (child.pid)),
        close: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}

/** RSS of a process in MB from /proc (Linux); NaN elsewhere. @param {number} pid */
async function procRssMb(pid) {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/**
 * A /_sandbox/ control call (no token).
 * @param {SandboxProcess} sb @param {string} method @param {string} p @param {unknown} [body]
 */
export async function control(sb, method, p, body) {
  const res = await fetch(`${sb.url}/_sandbox${p}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`/_sandbox${p}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text === '' ? null : JSON.parse(text);
}

/**
 * The engine's import query (status=waiting_shipment, unacknowledged, created since `sinceMs`, pages
 * of 200), as a path.
 * @param {number} storeId @param {number} sinceMs
 */
export function importPath(storeId, sinceMs) {
  const since = encodeURIComponent(new Date(sinceMs).toISOString());
  return `/v1/store/${storeId}/order?status=waiting_shipment&acknowledgment=unacknowledged&since=${since}&page=1&limit=200`;
}

/** How many orders the import query matches right now (one small request). @param {SandboxProcess} sb @param {number} sinceMs */
export async function eligibleCount(sb, sinceMs) {
  const res = await fetch(`${sb.url}${importPath(sb.storeId, sinceMs).replace('limit=200', 'limit=1')}`, {
    headers: { Authorization: `Bearer ${sb.token}` },
  });
  if (!res.ok) throw new Error(`eligible count: HTTP ${res.status}`);
  return /** @type {{total: number}} */ (await res.json()).total;
}

/**
 * Creates fresh marketplace orders (now, paid, store-fulfilled, imported at once) until `target`
 * orders match the import query; ≤ 10,000 per control call.
 * @param {SandboxProcess} sb @param {number} target @param {number} sinceMs
 * @returns {Promise<{seeded: number, created: number, calls: number, ms: number}>}
 */
export async function makeEligible(sb, target, sinceMs) {
  const t0 = performance.now();
  const seeded = await eligibleCount(sb, sinceMs);
  let created = 0;
  let calls = 0;
  for (let missing = target - seeded; missing > 0 && calls < 100; missing -= CREATE_PER_CALL) {
    const count = Math.min(CREATE_PER_CALL, missing);
    await control(sb, 'POST', '/orders', { orders: [{ count, fulfilled: false }], importNow: true });
    created += count;
    calls++;
  }
  const now = await eligibleCount(sb, sinceMs);
  if (now !== Math.max(target, seeded)) throw new Error(`expected ${target} eligible orders, the sandbox has ${now}`);
  return { seeded, created, calls, ms: performance.now() - t0 };
}

/**
 * Plain fetch of every page of the import query, following `_links.next`: the baseline an import is
 * compared with (what merely downloading the same pages costs).
 * @param {SandboxProcess} sb @param {number} sinceMs
 * @returns {Promise<{ms: number, pages: number, orders: number, bytes: number}>}
 */
export async function downloadAll(sb, sinceMs) {
  const headers = { Authorization: `Bearer ${sb.token}`, Accept: 'application/json' };
  let href = /** @type {string|undefined} */ (importPath(sb.storeId, sinceMs));
  let pages = 0;
  let orders = 0;
  let bytes = 0;
  const t0 = performance.now();
  while (href && pages < MAX_PAGES) {
    const res = await fetch(new URL(href, sb.url), { headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`download: HTTP ${res.status} on ${href}`);
    const page = JSON.parse(text);
    pages++;
    bytes += Buffer.byteLength(text);
    orders += page._embedded?.order?.length ?? 0;
    const next = page._links?.next?.href;
    href = next && next !== href ? next : undefined;
  }
  return { ms: performance.now() - t0, pages, orders, bytes };
}

/**
 * The sandbox request log since it was last cleared, summarised: total, order-list GETs, acknowledge
 * POSTs, everything else, and the server-side time spent answering them.
 * @param {SandboxProcess} sb
 */
export async function requestLog(sb) {
  const log = /** @type {{total: number, requests: any[]}} */ (await control(sb, 'GET', '/requests?limit=10000'));
  const reqs = log.requests;
  const isList = (/** @type {any} */ r) => r.method === 'GET' && /\/order$/.test(r.path);
  const isAck = (/** @type {any} */ r) => r.method === 'POST' && /\/order\/acknowledge$/.test(r.path);
  const importList = reqs.filter((r) => isList(r) && String(JSON.stringify(r.query)).includes('unacknowledged'));
  return {
    total: log.total,
    listGets: reqs.filter(isList).length,
    importListGets: importList.length,
    acks: reqs.filter(isAck).length,
    other: reqs.filter((r) => !isList(r) && !isAck(r)).map((r) => `${r.method} ${r.path}`),
    serverMs: reqs.reduce((n, r) => n + (Number(r.durationMs) || 0), 0),
    statuses: [...new Set(reqs.map((r) => r.status))],
    firstImportQuery: importList[0]?.query,
    /** First and last API request times (sandbox wall clock), to split list and ack phases. */
    span: reqs.length ? { first: reqs[0].timestamp, last: reqs[reqs.length - 1].timestamp } : null,
    lastListAt: importList.length ? importList[importList.length - 1].timestamp : null,
    firstAckAt: reqs.find(isAck)?.timestamp ?? null,
  };
}

/**
 * Runs `node <nodeArgs> <script> <args>` and resolves to the JSON object on its last stdout line.
 * @param {string} script @param {{env?: Record<string, string>, nodeArgs?: string[], args?: string[], timeoutMs?: number}} [opts]
 * @returns {Promise<any>}
 */
export function runJsonChild(script, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.env ?? {}) },
      cwd: PKG_DIR,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err = (err + d).slice(-8000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || !last) {
        reject(new Error(`${path.basename(script)} exited ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}: ${err.trim() || out.trim()}`));
        return;
      }
      resolve(JSON.parse(last));
    });
  });
}

/**
 * Prints rows as an aligned text table.
 * @param {string[]} head @param {string[][]} rows
 */
export function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
