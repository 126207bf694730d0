// @ts-check
'use strict';
// Wasm cold start, measured inside a fresh process: from the `require` of the engine (read the .wasm,
// compile, instantiate, run its start function) to the first call answered. Prints one JSON line.
//   node coldstart-child.cjs engine   → require('../wasm/shoppingfeed_orders.js'), then version(),
//                                        then new SyncEngine(config, {store})
//   node coldstart-child.cjs package  → require('../index.cjs') (the package entry), then engineVersion()
// SFO_BENCH_PKG: measure another copy of the package instead of this one.

const path = require('node:path');

const mode = process.argv[2] === 'package' ? 'package' : 'engine';
const dir = process.env.SFO_BENCH_PKG || path.join(__dirname, '..');
const file = mode === 'package' ? path.join(dir, 'index.cjs') : path.join(dir, 'wasm', 'shoppingfeed_orders.js');
const noop = () => undefined;
const store = { loadImports: noop, createOrder: noop, saveImports: noop, saveOperations: noop, operations: noop };

// The split of the require: compile (new WebAssembly.Module) and instantiate (new WebAssembly.Instance)
// timed by thin wrappers around the two constructors; the rest is reading the file and the JS glue.
const timed = { compileMs: 0, instantiateMs: 0 };
/** @param {any} Ctor @param {'compileMs'|'instantiateMs'} key */
const wrap = (Ctor, key) => new Proxy(Ctor, {
  construct(target, args, newTarget) {
    const t = performance.now();
    try {
      return Reflect.construct(target, args, newTarget);
    } finally {
      timed[key] += performance.now() - t;
    }
  },
});
WebAssembly.Module = wrap(WebAssembly.Module, 'compileMs');
WebAssembly.Instance = wrap(WebAssembly.Instance, 'instantiateMs');

const processStartMs = performance.now(); // time Node itself took to get here (not counted)
const t0 = performance.now();
const m = require(file);
const t1 = performance.now();
const version = mode === 'package' ? m.engineVersion() : m.version();
const t2 = performance.now();
const engine = new m.SyncEngine({ apiUrl: 'http://127.0.0.1:9', token: 'bench', storeId: 1 }, { store });
const t3 = performance.now();
engine.free();

process.stdout.write(`${JSON.stringify({
  mode,
  version,
  nodeStartupMs: processStartMs,
  requireMs: t1 - t0,
  firstCallMs: t2 - t0,
  firstEngineMs: t3 - t0,
  ...timed,
})}\n`);
