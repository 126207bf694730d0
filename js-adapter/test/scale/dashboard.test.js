// @ts-check
// The dashboard over a scale-out (`shoppingfeed-orders dashboard --redis --postgres`, the real CLI) in
// headless Chromium: the stores page with each store's metrics from the shared journal, a store's
// orders under it, a ship from the page reaching the sandbox once for that store, "Run now" queueing a
// cycle for the workers, a store whose token this machine cannot read shown read-only. Real Redis,
// PostgreSQL and sandbox; no worker runs, so every cycle here is one this file started.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startRig, storeOfPath, TOKEN_VAR } from './harness.js';
import { cliArgs } from './cli.js';

const OUT = fileURLToPath(new URL('../../../test-output/', import.meta.url));
const PER_STORE = 30;

/** @type {Awaited<ReturnType<typeof startRig>>} */
let rig;
/** @type {import('node:child_process').ChildProcess} */
let child;
let url = '';
/** @type {import('playwright-core').Browser} */
let browser;
/** [A, B]: registered with the token's variable; C: registered with a variable this dashboard lacks. */
let ids = /** @type {number[]} */ ([]);
let stderr = '';
/** Page errors, dialogs and console errors: must stay empty. */
const problems = /** @type {string[]} */ ([]);

async function newPage() {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 800 } })).newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  return page;
}

/** The API as the page calls it (same origin). @param {string} p */
const get = async (p) => {
  const res = await fetch(new URL(p, url), { headers: { Origin: url.slice(0, -1) } });
  return { status: res.status, body: await res.json() };
};

before(async () => {
  rig = await startRig({ stores: 4, ordersPerStore: PER_STORE, tag: 'dash', seed: 29 });
  ids = rig.sb.storeIds.slice(0, 4);
  const [a, b, c, d] = ids;
  await rig.scale.addStore({ id: a, name: 'Boutique FR', tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url, everyMinutes: 60 });
  await rig.scale.addStore({ id: b, name: 'Tienda ES', tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url, everyMinutes: 30 });
  await rig.scale.addStore({ id: c, tokenRef: 'env:SFO_NOT_ON_THIS_MACHINE', apiUrl: rig.sb.url, everyMinutes: 60 });
  // D registered five hours ago and never served.
  await rig.scale.addStore({ id: d, tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url, everyMinutes: 60, addedAt: new Date(Date.now() - 5 * 3600_000).toISOString() });
  // A and C imported (as workers would have); B never ran.
  for (const id of [a, c]) {
    const sync = await rig.scale.orderSync(id, { token: rig.sb.token });
    const r = await sync.runOnce();
    assert.equal(r.imported, PER_STORE);
  }
  // C's newest cycle three hours ago, with a cycle every hour expected: the workers look down for it.
  await rig.rows(`INSERT INTO {s}.events (store_id, kind, at, data) VALUES ($1, 'cycle', $2, '{"imported":0}')`, [c, new Date(Date.now() - 3 * 3600_000).toISOString()]);
  // Jobs queued by addStore would make "Run now" a no-op (one queued cycle per store): none runs here.
  await rig.scale.queue.drain(true);

  const env = { ...rig.env, SHOPPINGFEED_QUEUE: rig.queue, SHOPPINGFEED_PG_SCHEMA: rig.schema };
  delete env.SHOPPINGFEED_TOKEN;
  child = spawn(process.execPath, cliArgs('dashboard', ['--port', '0', '--json', '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl]),
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (d) => { stderr += d; });
  let out = '';
  child.stdout?.setEncoding('utf8');
  for await (const chunk of /** @type {any} */ (child.stdout)) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  const started = JSON.parse(out.split('\n')[0]);
  assert.equal(started.stores, true, out);
  url = started.url;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await rig?.close();
});

describe('dashboard over a scale-out (CLI with --redis and --postgres, headless Chromium)', { timeout: 120_000 }, () => {
  test('the stores page shows every store with the metrics `stores list` reads', async () => {
    const page = await newPage();
    await page.goto(url);
    await page.waitForSelector(`#stores-body tr[data-store="${ids[3]}"]`);
    assert.match(page.url(), /#\/stores$/);
    assert.match(String(await page.textContent('#stores-count')), /^4 stores/);
    const metrics = new Map((await rig.scale.metrics(ids)).map((/** @type {any} */ m) => [m.storeId, m]));
    for (const id of ids) {
      const cells = await page.locator(`#stores-body tr[data-store="${id}"] > *`).allTextContents();
      const m = metrics.get(id);
      assert.equal(cells[3], String(m.imported), `store ${id} in the shop`);
      assert.equal(cells[4], String(m.failed));
      assert.equal(cells[5], String(m.pendingOperations));
      assert.equal(cells[6], String(m.failedOperations));
      assert.equal(cells[7], String(m.unshipped));
      if (m.oldestUnshipped) {
        assert.ok(cells[8].includes(m.oldestUnshipped.reference), cells[8]);
        assert.match(cells[8], /left|overdue|no ship-by date/);
      } else {
        assert.equal(cells[8], '—');
      }
    }
    const [a, b] = ids;
    assert.match(String(await page.textContent(`#stores-body tr[data-store="${a}"] th`)), /Boutique FR/);
    assert.match(String(await page.textContent(`#stores-body tr[data-store="${a}"] td:nth-of-type(2)`)), /imported 30, failed 0/);
    assert.match(String(await page.textContent(`#stores-body tr[data-store="${b}"] td:nth-of-type(2)`)), /never/);
    assert.match(String(await page.textContent(`#stores-body tr[data-store="${ids[2]}"] td:nth-of-type(2)`)), /late: no cycle for 180 min \(every 60 min\)/);
    assert.doesNotMatch(String(await page.textContent(`#stores-body tr[data-store="${a}"] td:nth-of-type(2)`)), /late/);
    assert.doesNotMatch(String(await page.textContent(`#stores-body tr[data-store="${b}"] td:nth-of-type(2)`)), /late/, 'registered just now');
    assert.match(String(await page.textContent(`#stores-body tr[data-store="${ids[3]}"] td:nth-of-type(2)`)), /never.*late: no cycle since it was registered, 300 min/);
    assert.equal(metrics.get(a).imported, PER_STORE);
    await page.screenshot({ path: path.join(OUT, 'dashboard-stores.png'), fullPage: true });
    await page.context().close();
  });

  test('a store’s orders open under it; shipping from the page reaches the sandbox once, for that store', async () => {
    const [a] = ids;
    const page = await newPage();
    await page.goto(url);
    await page.click(`#stores-body tr[data-store="${a}"] th a`);
    await page.waitForFunction((n) => new RegExp(`of ${n} orders`).test(document.querySelector('#orders-count')?.textContent ?? ''), PER_STORE);
    assert.match(page.url(), new RegExp(`#/s/${a}/orders$`));
    assert.equal(await page.textContent('#store-label'), `Store ${a}`);
    assert.equal(await page.getAttribute('a[data-nav="log"]', 'href'), `#/s/${a}/log`);

    const first = page.locator('#orders-body tr[data-id] a.button').first();
    const orderId = Number(await page.locator('#orders-body tr[data-id]').filter({ has: page.locator('a.button') }).first().getAttribute('data-id'));
    await first.click();
    await page.waitForSelector('#ship-form');
    assert.match(page.url(), new RegExp(`#/s/${a}/orders/${orderId}/ship$`));
    await page.fill('#carrier', 'Colissimo');
    await page.fill('#tracking-number', '6A55555555501');
    await page.click('#ship-form button[type="submit"]');
    await page.waitForSelector('#shipment-title');
    const ships = rig.requestLog().filter((r) => r.method === 'POST' && r.path.endsWith('/order/ship'));
    assert.equal(ships.length, 1);
    assert.equal(storeOfPath(ships[0].path), a);
    assert.deepEqual(ships[0].body.order.map((/** @type {any} */ o) => o.id), [orderId]);

    // Back on the stores page, the store counts one operation waiting for the marketplace.
    await page.click('a[data-nav="stores"]');
    await page.waitForSelector(`#stores-body tr[data-store="${a}"]`);
    assert.equal(await page.textContent(`#stores-body tr[data-store="${a}"] td:nth-of-type(5)`), '1');
    await page.context().close();
  });

  test('"Run now" queues one cycle of that store for the workers; nothing is run by the dashboard', async () => {
    const [, b] = ids;
    const before = rig.requestLog().filter((r) => storeOfPath(r.path) === b).length;
    const page = await newPage();
    await page.goto(`${url}#/stores`);
    await page.click(`#stores-body tr[data-store="${b}"] button`);
    await page.waitForFunction(() => /is queued/.test(document.querySelector('#notice')?.textContent ?? ''));
    const jobs = await rig.scale.queue.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.equal(jobs.filter((/** @type {any} */ j) => j.data.storeId === b && j.data.reason === 'run-now').length, 1);
    assert.equal(rig.requestLog().filter((r) => storeOfPath(r.path) === b).length, before, 'the dashboard itself called nothing');
    // Inside the store, the top button says the same.
    await page.goto(`${url}#/s/${b}/orders`);
    await page.waitForSelector('#orders-count');
    assert.equal(await page.textContent('#sync-now'), 'Run a cycle now');
    await page.context().close();
  });

  test('a store whose token reference this machine cannot read is read-only, and says why', async () => {
    const [, , c] = ids;
    const config = await get(`/api/stores/${c}/config`);
    assert.equal(config.status, 200);
    assert.equal(config.body.actions, false);
    assert.match(config.body.readOnlyReason, /SFO_NOT_ON_THIS_MACHINE/);
    const page = await newPage();
    await page.goto(`${url}#/s/${c}/orders`);
    await page.waitForFunction((n) => new RegExp(`of ${n} orders`).test(document.querySelector('#orders-count')?.textContent ?? ''), PER_STORE);
    assert.equal(await page.isDisabled('#sync-now'), true);
    assert.match(String(await page.getAttribute('#sync-now', 'title')), /SFO_NOT_ON_THIS_MACHINE/);
    assert.equal(await page.locator('#orders-body a.button').count(), 0, 'no Ship link');
    await page.context().close();
  });

  test('the stores API: no token reference, no token; unknown stores are 404', async () => {
    const list = await get('/api/stores');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 4);
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes('tokenRef') && !text.includes(TOKEN_VAR), 'where tokens live stays on the server');
    assert.ok(!text.includes(rig.sb.token));
    const unknown = await get('/api/stores/999/orders');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'UnknownStore');
    const bad = await get('/api/stores/abc/orders');
    assert.equal(bad.status, 404);
    const orders = await get(`/api/stores/${ids[0]}/orders?limit=5`);
    assert.equal(orders.body.total, PER_STORE);
    assert.ok(!stderr.includes(rig.sb.token));
    assert.deepEqual(problems, []);
  });
});
