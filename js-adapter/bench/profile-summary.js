// @ts-check
// Summarises a V8 .cpuprofile (node --cpu-prof) by where the time goes: engine (Wasm code), the
// Wasm boundary (wasm-bindgen glue and what it calls), the store, the HTTP client (undici), the
// adapter, GC, idle (waiting for the sandbox's answers). A frame without a known source (a native
// such as JSON.parse or a better-sqlite3 method) counts for the nearest caller that has one.
// Run: node js-adapter/bench/profile-summary.js FILE.cpuprofile [top]

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @param {string} url @param {string} fn */
function categoryOf(url, fn) {
  if (fn === '(idle)') return 'idle (waiting for I/O: sandbox answers, timers)';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'V8/Node native (unattributed)';
  if (url.startsWith('wasm://') || /^\$|wasm-function/.test(fn)) return 'engine (Wasm code)';
  if (url.includes('/wasm/shoppingfeed_orders.js') || url.includes('/pkg/nodejs/')) return 'Wasm boundary (wasm-bindgen glue)';
  if (url.includes('/lib/stores/') || url.includes('better-sqlite3')) return 'store';
  if (url.includes('undici')) return 'HTTP client (undici fetch)';
  if (url.includes('/js-adapter/lib/') || url.includes('/js-adapter/index.')) return 'adapter (lib/*.cjs)';
  if (url.includes('/bench/')) return 'bench instrumentation';
  if (url.startsWith('node:') || url.startsWith('internal')) return null; // inherit: node internals run on behalf of a caller
  return null;
}

/**
 * @param {any} profile
 * @returns {{totalMs: number, categories: [string, number][], top: [string, number][]}}
 */
export function summarise(profile, top = 15) {
  /** @type {Map<number, any>} */
  const byId = new Map(profile.nodes.map((/** @type {any} */ n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, number>} */
  const selfMs = new Map();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    selfMs.set(samples[i], (selfMs.get(samples[i]) ?? 0) + dt);
  }
  /** @type {Map<number, string>} */
  const cat = new Map();
  /** @param {number} id @returns {string} */
  const categorise = (id) => {
    const known = cat.get(id);
    if (known) return known;
    /** @type {number[]} */
    const chain = [];
    let cur = /** @type {number|undefined} */ (id);
    let found = 'other JS / Node internals';
    for (let guard = 0; cur !== undefined && guard < 10_000; guard++) {
      const hit = cat.get(cur);
      if (hit) {
        found = hit;
        break;
      }
      chain.push(cur);
      const n = byId.get(cur);
      const c = categoryOf(n.callFrame.url ?? '', n.callFrame.functionName ?? '');
      if (c) {
        found = c;
        break;
      }
      cur = parent.get(cur);
    }
    for (const c of chain) cat.set(c, found);
    return found;
  };
  /** @type {Map<string, number>} */
  const perCat = new Map();
  /** @type {Map<string, number>} */
  const perFn = new Map();
  let total = 0;
  for (const [id, ms] of selfMs) {
    total += ms;
    const c = categorise(id);
    perCat.set(c, (perCat.get(c) ?? 0) + ms);
    const f = byId.get(id).callFrame;
    const where = f.url ? `${String(f.url).replace(/^.*\/js-adapter\//, '').replace(/^wasm:\/\/.*/, 'wasm')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim() + `  [${c.split(' (')[0]}]`;
    perFn.set(key, (perFn.get(key) ?? 0) + ms);
  }
  const sort = (/** @type {Map<string, number>} */ m) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, categories: sort(perCat), top: sort(perFn).slice(0, top) };
}

/** @param {ReturnType<typeof summarise>} s */
export function printSummary(s, indent = '  ') {
  for (const [c, ms] of s.categories) {
    console.log(`${indent}${(((ms / s.totalMs) * 100).toFixed(1) + ' %').padStart(7)}  ${ms.toFixed(0).padStart(6)} ms  ${c}`);
  }
  console.log(`${indent}top self time:`);
  for (const [f, ms] of s.top) console.log(`${indent}  ${ms.toFixed(0).padStart(6)} ms  ${f}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node js-adapter/bench/profile-summary.js FILE.cpuprofile [top]');
    process.exit(2);
  }
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25));
  console.log(`${file}: ${s.totalMs.toFixed(0)} ms sampled`);
  printSummary(s);
}
