// @ts-check
'use strict';
// One timed import cycle (`runOnce()`) of the connector as a shop runs it: createOrderSync with the
// engine's own fetch, a MemoryStore or a SqliteStore on a file. Used in-process by import.bench.js
// (10,000 orders) and by import-child.cjs (100,000 orders, RSS in a process of its own).
//
// Measurement only, the connector is untouched: store methods are wrapped to count calls and time
// them (better-sqlite3 is synchronous, so the time inside a call is the store's), RSS is sampled on a
// timer and at 25/50/75/100 % of the expected orders created, and the Wasm linear memory is read from
// the instance (captured when the engine module is first loaded; see captureWasmMemory).

const path = require('node:path');

/** @type {WebAssembly.Memory | null} */
let wasmMemory = null;

/**
 * Notes the engine's WebAssembly.Memory when the glue instantiates it, so its size can be reported
 * beside RSS. Must run before the package is first required; harmless otherwise.
 */
function captureWasmMemory() {
  const Original = WebAssembly.Instance;
  if (/** @type {any} */ (Original).__benchWrapped) return;
  const Wrapped = new Proxy(Original, {
    construct(target, args, newTarget) {
      const inst = Reflect.construct(target, args, newTarget);
      const mem = /** @type {any} */ (inst.exports).memory;
      if (mem instanceof WebAssembly.Memory) wasmMemory = mem;
      return inst;
    },
    get(target, key, receiver) {
      return key === '__benchWrapped' ? true : Reflect.get(target, key, receiver);
    },
  });
  WebAssembly.Instance = Wrapped;
}
captureWasmMemory();

// SFO_BENCH_PKG: another copy of the package (e.g. a Wasm build with its name section, to read a
// profile, or another opt-level) to compare with; default: this one.
const pkg = require(path.join(process.env.SFO_BENCH_PKG || path.join(__dirname, '..'), 'index.cjs'));

const STORE_METHODS = ['tryLock', 'unlock', 'loadImports', 'createOrder', 'createOrders', 'saveImports', 'saveOperations', 'operations', 'marketplaceStatusChanged', 'recordEvent'];

/**
 * Wraps the store's methods: calls and milliseconds per method; `after(name, args)` after each call.
 * @param {any} store @param {(name: string, args: any[]) => void} after
 */
function instrument(store, after) {
  /** @type {Record<string, {calls: number, ms: number}>} */
  const stats = {};
  for (const name of STORE_METHODS) {
    const fn = store[name];
    if (typeof fn !== 'function') continue;
    const s = (stats[name] = { calls: 0, ms: 0 });
    store[name] = async (/** @type {any[]} */ ...args) => {
      const t = performance.now();
      try {
        return await fn.apply(store, args);
      } finally {
        s.ms += performance.now() - t;
        s.calls++;
        after(name, args);
      }
    };
  }
  return stats;
}

const rssMb = () => process.memoryUsage.rss() / 1048576;

/**
 * @typedef {{label: string, orders: number, atMs: number, rssMb: number, peakSoFarMb: number, wasmMb: number,
 *   heapTotalMb: number, externalMb: number}} Checkpoint
 */

/**
 * @param {{url: string, token: string, storeId: number, store: 'sqlite'|'memory', dbFile?: string,
 *   expected: number, sampleMs?: number}} o
 */
async function runImport(o) {
  const store = o.store === 'sqlite' ? new pkg.SqliteStore(/** @type {string} */ (o.dbFile)) : new pkg.MemoryStore();
  const sampleMs = o.sampleMs ?? 50;
  let created = 0;
  let peak = 0;
  let samples = 0;
  /** @type {Checkpoint[]} */
  const checkpoints = [];
  // Marks at 25/50/75 % of the expected orders created, then "all pages read": the engine renews its
  // store lock (tryLock) every 20 pages and once right after the last page, before acknowledging, so
  // the first tryLock that sees the final created count is that moment (kept: one entry per lock,
  // about 30 for 100,000 orders). RSS is read at those points only (a read costs ~20 µs).
  const marks = [0.25, 0.5, 0.75].map((f) => Math.max(1, Math.round(o.expected * f)));
  let t0 = 0;
  /** @type {number | null} */
  let lastCreateAt = null;
  /** @type {Checkpoint[]} */
  const locks = [];
  const sample = () => {
    const r = rssMb();
    samples++;
    if (r > peak) peak = r;
    return r;
  };
  const mark = (/** @type {string} */ label) => ({ label, orders: created, atMs: performance.now() - t0, rssMb: sample(), peakSoFarMb: peak, wasmMb: wasmMb(), ...heap() });
  const stats = instrument(store, (name, args) => {
    if (name === 'createOrder' || name === 'createOrders') {
      // The engine creates a page at a time (createOrders) when the store can.
      created += name === 'createOrders' ? args[0].length : 1;
      lastCreateAt = performance.now();
      while (checkpoints.length < 3 && created >= marks[checkpoints.length]) checkpoints.push(mark(`${[25, 50, 75][checkpoints.length]} %`));
    } else if (name === 'tryLock' && t0 > 0 && locks.length < 1_000) {
      locks.push(mark(''));
    }
  });
  const sync = pkg.createOrderSync({ apiUrl: o.url, token: o.token, storeId: o.storeId, store, logger: false });
  let logLines = 0;
  sync.on('log', () => { logLines++; });

  const rssBefore = sample();
  const wasmBefore = wasmMb();
  const heapBefore = heap();
  const timer = setInterval(sample, sampleMs);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  let report;
  try {
    report = await sync.runOnce();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = sample();
  const allRead = locks.find((l) => l.orders === created);
  if (allRead) checkpoints.push({ ...allRead, label: '100 % (all pages read, before acknowledging)' });
  checkpoints.push({ label: 'end of cycle', orders: created, atMs: ms, rssMb: rssAfter, peakSoFarMb: peak, wasmMb: wasmMb(), ...heap() });
  const result = {
    store: o.store,
    ms,
    createPhaseMs: lastCreateAt === null ? null : lastCreateAt - t0,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    report,
    engineRequests: sync.requests,
    storeStats: stats,
    logLines,
    rss: {
      beforeMb: rssBefore,
      peakSampledMb: peak,
      afterMb: rssAfter,
      maxRssProcessMb: process.resourceUsage().maxRSS / 1024,
      samples,
      checkpoints,
    },
    wasm: { beforeMb: wasmBefore, afterMb: wasmMb() },
    heapBefore,
    heapUsedMb: process.memoryUsage().heapUsed / 1048576,
  };
  if (typeof store.close === 'function') store.close();
  return result;
}

/** V8 heap reserved and memory outside it (Buffers, ArrayBuffers: the Wasm memory is one). */
function heap() {
  const m = process.memoryUsage();
  return { heapTotalMb: m.heapTotal / 1048576, externalMb: m.external / 1048576 };
}

function wasmMb() {
  return wasmMemory ? wasmMemory.buffer.byteLength / 1048576 : NaN;
}

module.exports = { runImport, engineVersion: pkg.engineVersion };
