// @ts-check
'use strict';
// The connector in a process of its own (the sandbox runs in another one), so RSS is the connector's
// alone: one import cycle, then one JSON line on stdout. Settings come from the environment so the
// token never appears in a process listing:
//   SFO_BENCH_URL, SFO_BENCH_TOKEN, SFO_BENCH_STORE_ID, SFO_BENCH_STORE (sqlite|memory),
//   SFO_BENCH_DB (SQLite file), SFO_BENCH_EXPECTED (orders expected, for the 25/50/75/100 % marks),
//   SFO_BENCH_SAMPLE_MS (RSS sampling period, default 50).

const { runImport } = require('./connector.cjs');

const env = (/** @type {string} */ k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

runImport({
  url: env('SFO_BENCH_URL'),
  token: env('SFO_BENCH_TOKEN'),
  storeId: Number(env('SFO_BENCH_STORE_ID')),
  store: process.env.SFO_BENCH_STORE === 'memory' ? 'memory' : 'sqlite',
  dbFile: process.env.SFO_BENCH_DB,
  expected: Number(env('SFO_BENCH_EXPECTED')),
  sampleMs: Number(process.env.SFO_BENCH_SAMPLE_MS ?? 50),
}).then(
  (r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
  (err) => {
    process.stderr.write(`import failed: ${err?.code ?? ''} ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
