// @ts-check
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const BIN = fileURLToPath(new URL('../../bin/shoppingfeed-orders.js', import.meta.url));

/** Reads `key: value` lines from the child's stdout until url, token and storeId are known. */
async function readBanner(/** @type {import('node:child_process').ChildProcess} */ child) {
  /** @type {Record<string, string>} */
  const out = {};
  let buf = '';
  const stdout = /** @type {import('node:stream').Readable} */ (child.stdout);
  stdout.setEncoding('utf8');
  for await (const chunk of stdout) {
    buf += chunk;
    for (const line of buf.split('\n').slice(0, -1)) {
      const m = /^(\w+): (.+)$/.exec(line);
      if (m) out[m[1]] = m[2];
    }
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
    if (out.url && out.token && out.storeId) return out;
  }
  throw new Error('the CLI exited before printing url, token and storeId');
}

describe('shoppingfeed-orders sandbox', () => {
  test('--orders 500 --seed 1: prints url/token/storeId; ?limit=500 is a HAL page of 200; SIGTERM stops it', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--orders', '500', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const { url, token, storeId } = await readBanner(child);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(token, /^[0-9a-f]{40}$/);
      assert.match(storeId, /^\d+$/);
      const r = await fetch(`${url}/v1/store/${storeId}/order?limit=500`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      const page = await r.json();
      assert.equal(page.total, 500);
      assert.equal(page.limit, 200);
      assert.equal(page.count, 200);
      assert.equal(page.pages, 3);
      assert.equal(page._embedded.order.length, 200);
      assert.equal(page._links.next.href, `/v1/store/${storeId}/order?limit=200&page=2`);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  test('the same seed gives the same store and orders', async () => {
    const first = spawn(process.execPath, [BIN, 'sandbox', '--orders', '20', '--seed', '9', '--clock', 'manual', '--start', '2025-01-15T10:00:00Z'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const second = spawn(process.execPath, [BIN, 'sandbox', '--orders', '20', '--seed', '9', '--clock', 'manual', '--start', '2025-01-15T10:00:00Z'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const a = await readBanner(first);
      const b = await readBanner(second);
      assert.equal(a.storeId, b.storeId);
      assert.notEqual(a.token, b.token, 'tokens are random, never derived from the seed');
      const get = async (/** @type {Record<string, string>} */ s) => (await (await fetch(`${s.url}/v1/store/${s.storeId}/order?limit=20`, { headers: { Authorization: `Bearer ${s.token}` } })).json())._embedded.order;
      assert.deepEqual(await get(a), await get(b));
    } finally {
      first.kill('SIGINT');
      second.kill('SIGINT');
    }
    const [[c1], [c2]] = await Promise.all([once(first, 'exit'), once(second, 'exit')]);
    assert.deepEqual([c1, c2], [0, 0]);
  });

  test('unknown command: usage on stderr, exit 2; bad option: exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /usage: shoppingfeed-orders <command>/);
    assert.match(r.stderr, /sandbox/);
    assert.equal(r.stdout, '');
    const none = spawnSync(process.execPath, [BIN], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /usage:/);
    const bad = spawnSync(process.execPath, [BIN, 'sandbox', '--clock', 'sideways'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--clock must be real or manual/);
    const help = spawnSync(process.execPath, [BIN, 'sandbox', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--orders N/);
  });
});
