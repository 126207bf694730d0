// @ts-check
// Scale-out throughput: orders imported per second with 1, 2 and 3 `shoppingfeed-orders worker`
// processes on one machine, over a sandbox of 20 stores × 500 orders (a fresh sandbox, queue and
// PostgreSQL schema for each run; Redis and PostgreSQL started once, test-tuned: no fsync), and where
// each worker's time went: waiting on the Shoppingfeed API, waiting on PostgreSQL, the engine's own
// work (Wasm + JS), idle. The sandbox runs in this process, on the same two cores as everything else.
// Run: node js-adapter/bench/scale.bench.js [workers list, default 1,2,3] [concurrency per worker, default 1]

import { startServices } from '../test/stores/services.js';
import { startRig, TOKEN_VAR } from '../test/scale/harness.js';

const COUNTS = (process.argv[2] ?? '1,2,3').split(',').map(Number);
const CONCURRENCY = Number(process.argv[3] ?? 1);
const STORES = 20;
const PER_STORE = 500;

const pct = (/** @type {number} */ part, /** @type {number} */ whole) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '-');
const secs = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

const services = await startServices(['redis', 'postgres']);
/** @type {string[][]} */
const summary = [];
/** @type {string[][]} */
const perWorker = [];
try {
  for (const n of COUNTS) {
    const rig = await startRig({ stores: STORES, ordersPerStore: PER_STORE, tag: `bench${n}`, services });
    try {
      const workers = await Promise.all(Array.from({ length: n }, (_, i) => rig.spawnWorker({ concurrency: CONCURRENCY, lockMs: 30_000, name: `w${i + 1}` })));
      const t0 = Date.now();
      for (const id of rig.sb.storeIds) await rig.scale.addStore({ id, tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url });
      await rig.until(async () => (await rig.rows("SELECT count(*)::int AS n FROM {s}.imports WHERE state = 'acknowledged'").catch(() => []))[0]?.n === STORES * PER_STORE,
        'every order imported and acknowledged', 600_000, 20);
      const wallMs = Date.now() - t0;
      // The journal is there; the workers' reports of those cycles follow on their stdout.
      const reported = () => workers.reduce((s, w) => s + w.events.filter((e) => e.event === 'cycle').reduce((a, c) => a + c.imported, 0), 0);
      await rig.until(() => reported() >= STORES * PER_STORE, 'the workers\' cycle reports', 10_000, 20);
      summary.push([String(n), String(CONCURRENCY), String(STORES * PER_STORE), secs(wallMs), String(Math.round((STORES * PER_STORE) / (wallMs / 1000)))]);
      for (const w of workers) {
        const cycles = w.events.filter((e) => e.event === 'cycle');
        const busy = cycles.reduce((s, c) => s + c.durationMs, 0);
        const api = cycles.reduce((s, c) => s + c.apiMs, 0);
        const db = cycles.reduce((s, c) => s + c.dbMs, 0);
        const imported = cycles.reduce((s, c) => s + c.imported, 0);
        // Page downloads overlap creation in a cycle: API + PostgreSQL may exceed the cycle's time.
        const engine = Math.max(0, busy - api - db);
        perWorker.push([`${n}`, w.name, String(cycles.length), String(imported), pct(busy, wallMs * CONCURRENCY), pct(api, busy), pct(db, busy), pct(engine, busy)]);
      }
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    } finally {
      await rig.close();
    }
  }
} finally {
  await services.stop();
}

/** @param {string[]} head @param {string[][]} rows */
function table(head, rows) {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

process.stdout.write(`\nscale-out: ${STORES} stores × ${PER_STORE} orders, workers of concurrency ${CONCURRENCY}, on ${(await import('node:os')).availableParallelism()} cores\n\n`);
process.stdout.write(`${table(['workers', 'concurrency', 'orders', 'wall time', 'orders/s'], summary)}\n\n`);
process.stdout.write(`${table(['run', 'worker', 'cycles', 'imported', 'busy (of wall)', 'waiting on API', 'waiting on PostgreSQL', 'engine (Wasm+JS)'], perWorker)}\n`);
process.stdout.write('\nbusy: time in cycles over the run\'s wall time (× concurrency); the three shares are of the busy time.\n');
