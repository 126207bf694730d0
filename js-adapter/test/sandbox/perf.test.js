// @ts-check
// The sandbox must not be the bottleneck of client benchmarks: 100,000 orders, pages of 200 well
// under 50 ms. The bench (bench/sandbox.bench.js) gives the detailed numbers; this guards the order
// of magnitude with a margin for a loaded CI machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSandbox } from '../../sandbox/index.js';

test('100,000 orders: seeded in seconds, pages of 200 in well under 50 ms', async () => {
  const t0 = performance.now();
  const s = await startSandbox({ orders: 100_000, seed: 3, clock: 'manual' });
  const seedMs = performance.now() - t0;
  try {
    assert.ok(seedMs < 5_000, `seeding took ${seedMs.toFixed(0)} ms`);
    const headers = { Authorization: `Bearer ${s.token}` };
    const url = (/** @type {number} */ i) => `${s.url}/v1/store/${s.storeId}/order?limit=200&page=${1 + ((i * 37) % 300)}${i % 2 ? '&status=shipped,waiting_shipment' : ''}`;
    for (let i = 0; i < 5; i++) await (await fetch(url(i), { headers })).text();
    /** @type {number[]} */
    const times = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      const r = await fetch(url(i + 5), { headers });
      const page = await r.json();
      times.push(performance.now() - start);
      assert.equal(page.count, 200);
    }
    times.sort((a, b) => a - b);
    const median = times[10];
    assert.ok(median < 50, `median page time ${median.toFixed(1)} ms`);
  } finally {
    await s.close();
  }
});
