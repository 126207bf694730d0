// @ts-check
// The four performance figures of the npm-package issue ("Performance"), printed as numbers (a
// benchmark, not a test: nothing here passes or fails):
//   1. HTTP calls per imported order, 10,000-order import (goal ≤ 0.016: pages of 200, acks of 100),
//      from the engine's request counter and from the sandbox request log (the two must agree);
//   2. time to import 10,000 orders (runOnce, SqliteStore on a temp file; MemoryStore beside it) vs.
//      the time to merely download the same pages with plain fetch in the same run (goal ≤ 1.3×);
//   3. peak RSS of the connector process importing 100,000 orders (goal flat, ≤ 120 MB), the
//      sandbox in another process so its memory is not counted (sampled RSS and checkpoints from
//      import-child.cjs; then the shipped CLI, `sync --once`, on the same orders as a cross-check);
//   4. Wasm cold start: a fresh process's require of the engine to the first call answered (≤ 10 ms).
// The sandbox always runs in a process of its own (the CLI), on 127.0.0.1, with a manual clock:
// orders are created "now" through /_sandbox/orders (importNow), inside the engine's 7-day window.
//
// Run: node js-adapter/bench/import.bench.js [--small N] [--big N] [--coldstart-runs N] [--profile]
//   --profile  also runs the 10,000-order SQLite import under `node --cpu-prof` and prints where the
//              time goes (engine Wasm code, Wasm boundary, store, HTTP client, GC, idle).
// Env: SFO_BENCH_PKG=/path/to/another/copy/of/js-adapter measures that copy (e.g. another Wasm build)
//      for figures 2-4 (the CLI cross-check always runs this package's CLI).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import connector from './connector.cjs';
import {
  BENCH_DIR, PKG_DIR, control, downloadAll, eligibleCount, fmtMs, makeEligible, median, requestLog, runJsonChild, spawnSandbox, table,
} from './helpers.js';
import { printSummary, summarise } from './profile-summary.js';

const { values: opt } = parseArgs({
  options: {
    small: { type: 'string', default: '10000' },
    big: { type: 'string', default: '100000' },
    'coldstart-runs': { type: 'string', default: '9' },
    profile: { type: 'boolean', default: false },
  },
});
const SMALL = Number(opt.small);
const BIG = Number(opt.big);
const COLD_RUNS = Math.min(50, Math.max(1, Number(opt['coldstart-runs'])));
for (const [k, v] of /** @type {[string, number][]} */ ([['small', SMALL], ['big', BIG]])) {
  if (!(Number.isInteger(v) && v >= 200 && v <= 200_000)) throw new Error(`--${k} must be an integer from 200 to 200000`);
}
const DAY = 86_400_000;
const f1 = (/** @type {number} */ x) => x.toFixed(1);
const f0 = (/** @type {number} */ x) => x.toFixed(0);
const int = (/** @type {number} */ x) => x.toLocaleString('en');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sfo-import-bench-'));
/** @type {{close: () => Promise<void>}[]} */
const running = [];
const benchStart = performance.now();
/** @type {Record<string, any>} */
const fig = {};

console.log('shoppingfeed-orders import benchmark');
console.log(`node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), engine ${connector.engineVersion()}`);
console.log(`sandbox: separate process (CLI), 127.0.0.1, manual clock; temp dir ${tmp}`);
console.log(`${loadLine()}\n`);

try {
  // ------------------------------------------------------------------ 4. Wasm cold start (idle machine first)
  console.log(`== Wasm cold start: fresh process, require → first call answered (${COLD_RUNS} runs each) ==`);
  // Alternating modes, so neither always runs on a warmer page cache.
  /** @type {Record<string, any[]>} */
  const cold = { engine: [], package: [] };
  for (let i = 0; i < COLD_RUNS; i++) {
    cold.engine.push(await runColdStart('engine'));
    cold.package.push(await runColdStart('package'));
  }
  const stat = (/** @type {any[]} */ xs, /** @type {string} */ k) => ({ min: Math.min(...xs.map((x) => x[k])), med: median(xs.map((x) => x[k])) });
  /** @type {[string, {min: number, med: number}][]} */
  const coldRows = [
    ['wasm/shoppingfeed_orders.js: require (read + compile + instantiate)', stat(cold.engine, 'requireMs')],
    ['  of which WebAssembly.Module (compile)', stat(cold.engine, 'compileMs')],
    ['  of which WebAssembly.Instance (instantiate)', stat(cold.engine, 'instantiateMs')],
    ['require → version() answered', stat(cold.engine, 'firstCallMs')],
    ['require → new SyncEngine(...) answered', stat(cold.engine, 'firstEngineMs')],
    ['package entry index.cjs: require → engineVersion() answered', stat(cold.package, 'firstCallMs')],
  ];
  table(['measure', 'min', 'median'], coldRows.map(([name, s]) => [String(name), `${f1(s.min)} ms`, `${f1(s.med)} ms`]));
  console.log(`(Node's own start-up before the require, not counted: median ${f0(median(cold.engine.map((x) => x.nodeStartupMs)))} ms)\n`);
  fig.cold = { version: stat(cold.engine, 'firstCallMs'), engine: stat(cold.engine, 'firstEngineMs'), pkg: stat(cold.package, 'firstCallMs') };

  // ------------------------------------------------------------------ 1 + 2. 10,000 orders: calls per order, import vs download
  console.log(`== ${int(SMALL)}-order import vs. downloading the same pages (same sandbox state, same process) ==`);
  const sbA = await spawnSandbox(['--orders', '2000', '--seed', '42', '--clock', 'manual', '--auto-accept']);
  running.push(sbA);
  // The engine asks for orders created in the last sinceDays (7) of its own clock (Date.now()); the
  // sandbox clock starts at now and stays there (manual), so orders created now are inside.
  const since = Date.now() - 7 * DAY;
  /** @type {any[]} */
  const small = [];
  // A first, untimed-for-the-ratio cycle warms this process up (the Wasm engine's optimising tier,
  // the JIT of fetch and the adapter), as the download is warmed up by its first pass: the ratio is
  // the steady state of a connector that runs a cycle every few minutes.
  for (const store of /** @type {const} */ (['warm-up', 'sqlite', 'memory'])) {
    await control(sbA, 'POST', '/reset'); // same seed: the same orders again
    const setup = await makeEligible(sbA, SMALL, since);
    if (store === 'warm-up') {
      const w = await connector.runImport({ url: sbA.url, token: sbA.token, storeId: sbA.storeId, store: 'memory', expected: SMALL });
      console.log(`-- warm-up: first cycle in this process (MemoryStore): ${fmtMs(w.ms)} for ${int(w.report.imported)} orders (not in the ratio)`);
      continue;
    }
    const cold1 = await downloadAll(sbA, since); // also warms the sandbox's JSON cache for the import
    const dl = await downloadAll(sbA, since);
    await control(sbA, 'DELETE', '/requests');
    const imp = await connector.runImport({
      url: sbA.url, token: sbA.token, storeId: sbA.storeId, store, dbFile: path.join(tmp, `small-${store}.db`), expected: SMALL,
    });
    const log = await requestLog(sbA);
    small.push({ store, setup, cold1, dl, imp, log });
    const rep = imp.report;
    const storeMs = Object.values(imp.storeStats).reduce((n, s) => n + s.ms, 0);
    console.log(`-- ${store === 'sqlite' ? 'SqliteStore (temp file)' : 'MemoryStore'}: ${int(setup.seeded)} eligible from the seed + ${int(setup.created)} created via /_sandbox/orders (${setup.calls} call(s), ${fmtMs(setup.ms)})`);
    console.log(`   download (plain fetch, follow _links.next): ${dl.pages} pages, ${int(dl.orders)} orders, ${f1(dl.bytes / 1048576)} MB JSON: ${fmtMs(dl.ms)} (first, cold sandbox cache: ${fmtMs(cold1.ms)})`);
    console.log(`   import runOnce(): ${fmtMs(imp.ms)}  → ${f1(imp.ms / dl.ms)}× the download   (${int(rep.imported)} imported, ${int(rep.acknowledged)} acknowledged, ${rep.skipped} skipped, ${rep.failed} failed; ${f0((rep.imported / imp.ms) * 1000)} orders/s)`);
    console.log(`   where the wall-clock time goes: list pages + create ${fmtMs(imp.createPhaseMs ?? 0)}, acknowledge + rest ${fmtMs(imp.ms - (imp.createPhaseMs ?? 0))};`);
    console.log(`     sandbox answering (server-side, from its log) ${fmtMs(log.serverMs)}, store methods ${fmtMs(storeMs)} (createOrder ${fmtMs(imp.storeStats.createOrder?.ms ?? 0)}, saveImports ${fmtMs(imp.storeStats.saveImports?.ms ?? 0)}, loadImports ${fmtMs(imp.storeStats.loadImports?.ms ?? 0)}),`);
    console.log(`     the rest (engine Wasm, Wasm boundary, fetch client, GC) ${fmtMs(imp.ms - log.serverMs - storeMs)}; connector CPU ${fmtMs(imp.cpuUserMs + imp.cpuSystemMs)}`);
    console.log(`   HTTP calls: engine counter ${imp.engineRequests} (report.requests ${rep.requests}), sandbox log ${log.total} = ${log.importListGets} import-list pages + ${log.acks} acknowledge batches + ${log.listGets - log.importListGets} other list pages${log.other.length ? ` + ${log.other.length} other (${[...new Set(log.other)].join(', ')})` : ''}; statuses ${log.statuses.join(',')}`);
    console.log(`   → ${(imp.engineRequests / rep.imported).toFixed(4)} calls per imported order; counter and log ${imp.engineRequests === log.total && rep.requests === log.total ? 'agree' : 'DISAGREE'}`);
    const q = log.firstImportQuery;
    if (q) console.log(`   engine's list query: ${Object.entries(q).map(([k, v]) => `${k}=${v}`).join('&')} (the download used the same filters)`);
  }
  const sq = small[0];
  fig.calls = { perOrder: sq.imp.engineRequests / sq.imp.report.imported, engine: sq.imp.engineRequests, log: sq.log.total, imported: sq.imp.report.imported, agree: sq.imp.engineRequests === sq.log.total };
  fig.ratio = { sqlite: sq.imp.ms / sq.dl.ms, memory: small[1].imp.ms / small[1].dl.ms, sqliteMs: sq.imp.ms, memoryMs: small[1].imp.ms, dlMs: sq.dl.ms, dlMemMs: small[1].dl.ms };
  console.log();

  if (opt.profile) {
    console.log(`== profile: ${int(SMALL)}-order SqliteStore import in a child under node --cpu-prof ==`);
    await control(sbA, 'POST', '/reset');
    await makeEligible(sbA, SMALL, since);
    const profDir = path.join(tmp, 'profile');
    const r = await runJsonChild(path.join(BENCH_DIR, 'import-child.cjs'), {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '250'],
      env: childEnv(sbA, 'sqlite', path.join(tmp, 'profile.db'), SMALL),
      timeoutMs: 120_000,
    });
    const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    console.log(`import under the profiler: ${fmtMs(r.ms)} (profiling slows it down); self time by category, whole child process:`);
    if (file) {
      const keep = path.join(os.tmpdir(), `sfo-import-${Date.now()}.cpuprofile`);
      fs.copyFileSync(path.join(profDir, file), keep);
      printSummary(summarise(JSON.parse(fs.readFileSync(keep, 'utf8')), 20));
      console.log(`  (profile kept at ${keep}; open it in Chrome DevTools, or: node js-adapter/bench/profile-summary.js ${keep} 40.`);
      console.log('   The packaged Wasm has no name section: for Rust function names, point SFO_BENCH_PKG at a copy built without --remove-name-section.)');
    }
    console.log();
  }
  await sbA.close();

  // ------------------------------------------------------------------ 3. 100,000 orders: RSS of the connector process
  console.log(`== ${int(BIG)}-order import, connector in its own process (SqliteStore on a temp file) ==`);
  const sbB = await spawnSandbox(['--orders', '20000', '--seed', '7', '--clock', 'manual', '--auto-accept']);
  running.push(sbB);
  const sinceB = Date.now() - 7 * DAY;
  const setupB = await makeEligible(sbB, BIG, sinceB);
  console.log(`set-up: ${int(setupB.seeded)} eligible from the seed (--orders 20000) + ${int(setupB.created)} created via /_sandbox/orders (${setupB.calls} calls of ≤ 10,000, ${fmtMs(setupB.ms)})`);
  const dlB = await downloadAll(sbB, sinceB);
  console.log(`download of the same pages (for reference): ${dlB.pages} pages, ${f1(dlB.bytes / 1048576)} MB: ${fmtMs(dlB.ms)}`);
  await control(sbB, 'DELETE', '/requests');
  const big = await runJsonChild(path.join(BENCH_DIR, 'import-child.cjs'), {
    env: childEnv(sbB, 'sqlite', path.join(tmp, 'big.db'), BIG),
    timeoutMs: 240_000,
  });
  const logB = await requestLog(sbB);
  // Acknowledgements take effect when their tickets finish, and the sandbox clock is manual: the
  // same orders are still waiting, so the CLI can import them again into a fresh file.
  const stillEligible = await eligibleCount(sbB, sinceB);
  const cli = await cliCrossCheck(sbB, path.join(tmp, 'cli.db')).catch((/** @type {Error} */ e) => ({ error: e.message }));
  const sandboxRss = await sbB.rssMb();
  await sbB.close();
  const rb = big.report;
  console.log(`import runOnce(): ${fmtMs(big.ms)} (connector CPU ${fmtMs(big.cpuUserMs + big.cpuSystemMs)}), ${f0((rb.imported / big.ms) * 1000)} orders/s (${int(rb.imported)} imported, ${int(rb.acknowledged)} acknowledged, ${rb.skipped} skipped, ${rb.failed} failed); ${f1(big.ms / dlB.ms)}× the download`);
  console.log(`HTTP calls: engine ${big.engineRequests}, sandbox log ${logB.total} (${logB.importListGets} pages + ${logB.acks} acks + ${logB.total - logB.importListGets - logB.acks} other) → ${(big.engineRequests / rb.imported).toFixed(4)} per order`);
  console.log(`connector RSS: before the cycle ${f0(big.rss.beforeMb)} MB, peak ${f0(big.rss.peakSampledMb)} MB (sampled every 50 ms, ${big.rss.samples} samples; OS max RSS of the process ${f0(big.rss.maxRssProcessMb)} MB), after ${f0(big.rss.afterMb)} MB`);
  table(
    ['progress (orders created)', 'orders', 'at', 'RSS', 'peak so far', 'V8 heap (total)', 'external', 'of which Wasm memory'],
    [
      ['before the cycle', '0', '0 ms', `${f0(big.rss.beforeMb)} MB`, `${f0(big.rss.beforeMb)} MB`, `${f0(big.heapBefore.heapTotalMb)} MB`, `${f0(big.heapBefore.externalMb)} MB`, `${f1(big.wasm.beforeMb)} MB`],
      ...big.rss.checkpoints.map((/** @type {any} */ c) => [
        c.label, int(c.orders), fmtMs(c.atMs), `${f0(c.rssMb)} MB`, `${f0(c.peakSoFarMb)} MB`,
        `${f0(c.heapTotalMb)} MB`, `${f0(c.externalMb)} MB`, `${f1(c.wasmMb)} MB`,
      ]),
    ],
  );
  console.log('(RSS beyond V8 heap + external: Node itself, compiled JS and Wasm code, SQLite page cache, malloc arenas)');
  console.log(`Wasm linear memory ${f1(big.wasm.beforeMb)} → ${f1(big.wasm.afterMb)} MB; JS heap used at the end ${f0(big.heapUsedMb)} MB; sandbox process RSS (not counted) ${f0(sandboxRss)} MB`);
  const storeMsB = Object.values(big.storeStats).reduce((/** @type {number} */ n, /** @type {any} */ s) => n + s.ms, 0);
  console.log(`time: list + create ${fmtMs(big.createPhaseMs ?? 0)}, acknowledge + rest ${fmtMs(big.ms - (big.createPhaseMs ?? 0))}; sandbox answering ${fmtMs(logB.serverMs)}, store ${fmtMs(storeMsB)}, the rest (engine, boundary, fetch, GC) ${fmtMs(big.ms - logB.serverMs - storeMsB)}`);
  if ('error' in cli) console.log(`CLI cross-check (sync --once on a fresh file) failed: ${cli.error}`);
  else {
    console.log(`CLI cross-check: \`shoppingfeed-orders sync --once --json\` on a fresh SQLite file, ${int(stillEligible)} orders waiting: ${fmtMs(cli.ms)} wall (process, start-up included),`);
    console.log(`  imported ${int(cli.out.imported ?? NaN)}, acknowledged ${int(cli.out.acknowledged ?? NaN)}; peak RSS of the CLI process ${f0(cli.maxRssMb)} MB (kernel's max RSS, read at exit)`);
  }
  fig.cli = cli;
  fig.rss = { peak: big.rss.peakSampledMb, maxRss: big.rss.maxRssProcessMb, before: big.rss.beforeMb, cps: big.rss.checkpoints, ms: big.ms, perSec: (rb.imported / big.ms) * 1000, imported: rb.imported, perOrder: big.engineRequests / rb.imported };
  console.log();

  // ------------------------------------------------------------------ summary
  const c = fig.cold;
  const cps = fig.rss.cps.map((/** @type {any} */ p) => f0(p.rssMb)).join(' / ');
  console.log('== summary (issue 4, "Performance") ==');
  table(['figure', 'measured', 'goal'], [
    [`HTTP calls per imported order (${int(fig.calls.imported)} orders)`, `${fig.calls.perOrder.toFixed(4)} (${fig.calls.engine} calls; log ${fig.calls.log}, ${fig.calls.agree ? 'agrees' : 'DISAGREES'})`, '≤ 0.016'],
    [`import ${int(SMALL)} orders / download same pages, SqliteStore`, `${f1(fig.ratio.sqlite)}× (${fmtMs(fig.ratio.sqliteMs)} / ${fmtMs(fig.ratio.dlMs)})`, '≤ 1.3×'],
    [`import ${int(SMALL)} orders / download same pages, MemoryStore`, `${f1(fig.ratio.memory)}× (${fmtMs(fig.ratio.memoryMs)} / ${fmtMs(fig.ratio.dlMemMs)})`, '(comparison)'],
    [`peak RSS of the connector, ${int(fig.rss.imported)} orders`, `${f0(fig.rss.peak)} MB (OS max ${f0(fig.rss.maxRss)} MB)`, '≤ 120 MB, flat'],
    [`  RSS before / at ${fig.rss.cps.map((/** @type {any} */ p) => p.label.replace(/ \(.*/, '')).join(' / ')}`, `${f0(fig.rss.before)} / ${cps} MB`, 'flat'],
    ['  CLI sync --once, same orders: peak RSS', 'error' in fig.cli ? 'failed (see above)' : `${f0(fig.cli.maxRssMb)} MB`, '≤ 120 MB'],
    [`  import time, ${int(fig.rss.imported)} orders`, `${fmtMs(fig.rss.ms)} (${f0(fig.rss.perSec)} orders/s, ${fig.rss.perOrder.toFixed(4)} calls/order)`, ''],
    ['Wasm cold start: require → version()', `min ${f1(c.version.min)} ms, median ${f1(c.version.med)} ms`, '≤ 10 ms'],
    ['  require → new SyncEngine()', `min ${f1(c.engine.min)} ms, median ${f1(c.engine.med)} ms`, ''],
    ['  package entry index.cjs → engineVersion()', `min ${f1(c.pkg.min)} ms, median ${f1(c.pkg.med)} ms`, ''],
  ]);
  console.log(`\nbench time: ${fmtMs(performance.now() - benchStart)}; ${loadLine()}`);
} finally {
  for (const r of running) await r.close().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** The machine's load: other work on the same cores makes every wall-clock figure here slower. */
function loadLine() {
  const [l1, l5] = os.loadavg();
  const busy = l1 > os.cpus().length * 0.75;
  return `load average ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min) on ${os.cpus().length} CPU(s)${busy ? ' — the machine is busy with other work: wall-clock figures are inflated' : ''}`;
}

/**
 * The shipped CLI, `sync --once --json --quiet`, on a fresh SQLite file; its peak RSS is read by a
 * preloaded module at exit (the settings, token included, travel in the environment).
 * @param {{url: string, token: string, storeId: number}} sb @param {string} db
 */
async function cliCrossCheck(sb, db) {
  const rssFile = `${db}.maxrss.json`;
  const t0 = performance.now();
  const out = await runJsonChild(path.join(PKG_DIR, 'bin', 'shoppingfeed-orders.js'), {
    nodeArgs: ['--require', path.join(BENCH_DIR, 'maxrss-preload.cjs')],
    args: ['sync', '--once', '--json', '--quiet'],
    env: {
      SHOPPINGFEED_API_URL: sb.url,
      SHOPPINGFEED_TOKEN: sb.token,
      SHOPPINGFEED_STORE_ID: String(sb.storeId),
      SHOPPINGFEED_DB: db,
      SFO_BENCH_MAXRSS_FILE: rssFile,
    },
    timeoutMs: 240_000,
  });
  const ms = performance.now() - t0;
  const usage = JSON.parse(fs.readFileSync(rssFile, 'utf8'));
  return { ms, out, maxRssMb: Number(usage.maxRssMb), cpuMs: Number(usage.cpuMs) };
}

/** @param {'engine'|'package'} mode */
function runColdStart(mode) {
  return runJsonChild(path.join(BENCH_DIR, 'coldstart-child.cjs'), { nodeArgs: [], timeoutMs: 30_000, args: [mode] });
}

/**
 * Environment of import-child.cjs (the token travels in the environment, never in argv).
 * @param {{url: string, token: string, storeId: number}} sb @param {'sqlite'|'memory'} store @param {string} db @param {number} expected
 */
function childEnv(sb, store, db, expected) {
  return {
    SFO_BENCH_URL: sb.url,
    SFO_BENCH_TOKEN: sb.token,
    SFO_BENCH_STORE_ID: String(sb.storeId),
    SFO_BENCH_STORE: store,
    SFO_BENCH_DB: db,
    SFO_BENCH_EXPECTED: String(expected),
  };
}
