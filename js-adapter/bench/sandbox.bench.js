// @ts-check
// Sandbox throughput: seeds 100,000 orders and times list pages of 200 the way a connector reads
// them (unfiltered pages, the import query, date windows, deep pages), end to end over HTTP.
// Run: node js-adapter/bench/sandbox.bench.js [orders] [requests]

import { startSandbox } from '../sandbox/index.js';

const ORDERS = Number(process.argv[2] ?? 100_000);
const REQUESTS = Number(process.argv[3] ?? 300);

const mb = (/** @type {number} */ n) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const pct = (/** @type {number[]} */ xs, /** @type {number} */ p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const t0 = performance.now();
const sandbox = await startSandbox({ orders: ORDERS, seed: 42, clock: 'manual' });
const seedMs = performance.now() - t0;
const rssAfterSeed = process.memoryUsage().rss;
const headers = { Authorization: `Bearer ${sandbox.token}` };
const base = `${sandbox.url}/v1/store/${sandbox.storeId}/order`;

const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
const pages = Math.ceil(ORDERS / 200);
/** @type {[string, (i: number) => string][]} */
const shapes = [
  ['all orders, page i', (i) => `${base}?limit=200&page=${(i % pages) + 1}`],
  ['import query (unacknowledged waiting_shipment, 7 days)', () => `${base}?acknowledgment=unacknowledged&status=waiting_shipment&since=${encodeURIComponent(since)}&limit=200`],
  ['status list + channel, page i', (i) => `${base}?status=shipped,cancelled&channelId=66&limit=200&page=${(i % 20) + 1}`],
  ['search by name', () => `${base}?search=m%C3%BCller&limit=200`],
];

// Warm-up so JIT compilation is not counted as sandbox latency.
for (let i = 0; i < 20; i++) await (await fetch(shapes[i % shapes.length][1](i), { headers })).text();

console.log(`orders seeded:     ${ORDERS.toLocaleString('en')}`);
console.log(`seed + start:      ${seedMs.toFixed(0)} ms (RSS ${mb(rssAfterSeed)})`);
for (const [name, url] of shapes) {
  /** @type {number[]} */
  const times = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    const res = await fetch(url(i * 7919), { headers });
    const text = await res.text();
    times.push(performance.now() - start);
    bytes += text.length;
    if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}:`);
  console.log(`  p50 ${pct(times, 50).toFixed(1)} ms   p95 ${pct(times, 95).toFixed(1)} ms   max ${times[times.length - 1].toFixed(1)} ms   (${REQUESTS} requests, ${(bytes / REQUESTS / 1024).toFixed(0)} KiB/page)`);
}
const mem = process.memoryUsage();
// Includes the bench's own fetch buffers and the sandbox's bounded JSON cache (20,000 orders).
console.log(`RSS at the end:    ${mb(mem.rss)} (heap used ${mb(mem.heapUsed)})`);
await sandbox.close();
