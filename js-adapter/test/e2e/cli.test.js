// @ts-check
// The CLI contract of issue 4, end to end: `node bin/shoppingfeed-orders.js …` in child processes, a real
// sandbox (this process) on the real clock, real SQLite files in a temp dir. Every output of every run is
// checked for the token (helpers.cli) and once more at the end.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { DAY, acksByOrder, addressless, cli, closedPort, eligible, marketplaceFulfilled, oneJson, outputs, sandbox, tempDir, until, withDb } from './helpers.js';

/** @type {any} */
const Database = createRequire(import.meta.url)('better-sqlite3');
const tmp = tempDir('sfo-cli-');
after(() => tmp.cleanup());

/** Channels that deliver `waiting_shipment` directly (no store acceptance needed). */
const DIRECT = ['amazon', 'manomano', 'bol', 'zalando'];

/** Asserts every success ack of these ids was sent once, or again with the same storeReference. */
function assertAckedOnceOrIdempotently(/** @type {any[]} */ requests, /** @type {number[]} */ ids) {
  const acks = acksByOrder(requests);
  for (const id of ids) {
    const list = (acks.get(id) ?? []).filter((a) => a.status === 'success');
    assert.ok(list.length >= 1, `order ${id} was acknowledged`);
    assert.equal(new Set(list.map((a) => a.storeReference)).size, 1, `order ${id}: every ack carries the same storeReference (${JSON.stringify(list)})`);
  }
}

/** Fails unless no order of `ids` is still unacknowledged at the sandbox. */
async function assertNoneUnacknowledged(/** @type {Awaited<ReturnType<typeof sandbox>>} */ t, /** @type {number[]} */ ids) {
  const wanted = new Set(ids);
  const left = (await t.orders('acknowledgment=unacknowledged')).filter((o) => wanted.has(o.id));
  assert.deepEqual(left.map((o) => o.id), [], 'no order left unacknowledged at Shoppingfeed');
}

describe('sync --once --json: eligible orders only, listed by `orders --json`, rerun imports nothing', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('basic.db');
  /** @type {number[]} */ let traps = [];
  /** @type {any[]} */ let expected = [];
  /** @type {any} */ let first;
  let noAddress = 0;
  before(async () => {
    t = await sandbox({ orders: 150, seed: 11 });
    t.create(DIRECT.map((channel) => ({ channel, count: 2 })));
    // Orders the connector must leave alone, beside the seeded history (60 days: shipped, cancelled, acked…).
    const now = Date.now();
    traps = t.create([
      { channel: 'amazon', fulfilled: true, status: 'waiting_shipment' },                      // FBA: AFN + fulfilledBy channel
      { channel: 'cdiscount', fulfilled: true, fulfilledBy: 'store', status: 'waiting_shipment' }, // clogistique, says "store"
      { channel: 'manomano', fulfilled: true, fulfilledBy: 'store' },                          // env=epmm, says "store"
      { channel: 'zalando', fulfilled: true, status: 'waiting_shipment' },                     // ZFS
      { channel: 'amazon', isTest: true, status: 'waiting_shipment' },                         // test order
      { channel: 'bol', createdAt: new Date(now - 9 * DAY).toISOString() },                    // older than 7 days
      { channel: 'zalando', acknowledged: true, storeReference: 'SHOP-1' },                    // already acknowledged
      { channel: 'cdiscount' },                                                                // waiting_store_acceptance
    ]);
  });
  after(() => t.close());

  test('prints exactly one JSON object; exit 0; imports exactly the eligible orders the sandbox serves', async () => {
    const now = Date.now();
    const served = await t.orders();
    // The seeded history must not sit on the 7-day edge, or the two clocks could disagree by a second.
    assert.ok(served.every((o) => Math.abs(Date.parse(o.createdAt) - (now - 7 * DAY)) > 120_000), 'no order within 2 min of the 7-day edge');
    expected = served.filter((o) => eligible(o, now));
    const listed = served.filter((o) => o.status === 'waiting_shipment' && !o.acknowledgedAt && Date.parse(o.createdAt) >= now - 7 * DAY);
    assert.ok(expected.length >= 10, `a real mix (${expected.length} eligible)`);
    for (const id of traps) assert.ok(!expected.some((o) => o.id === id), `trap ${id} is not eligible`);
    assert.equal(served.filter((o) => traps.includes(o.id) && marketplaceFulfilled(o)).length, 4);

    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    first = oneJson(r.stdout);
    for (const k of ['imported', 'acknowledged', 'failed', 'skipped', 'sent']) assert.equal(typeof first[k], 'number', `${k} is a number`);
    assert.equal(first.imported, expected.length);
    assert.equal(first.acknowledged, expected.length);
    // The seeded history's few orders without a shipping address are error-acknowledged, not imported.
    noAddress = served.filter((o) => addressless(o, now)).length;
    assert.equal(first.failed, noAddress);
    assert.equal(first.sent, 0);
    // Listed by the eligibility query but left out by choice: marketplace-fulfilled and test orders.
    assert.equal(first.skipped, listed.length - expected.length - noAddress);

    const stored = withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      return d.orderIds();
    });
    assert.deepEqual(stored, expected.map((o) => o.id).sort((a, b) => a - b), 'the shop has exactly the eligible orders');
    await assertNoneUnacknowledged(t, expected.map((o) => o.id));
    // The traps were not acknowledged either (an ack would hide them from Shoppingfeed's back office).
    const acks = acksByOrder(t.requests());
    for (const id of traps) assert.equal(acks.has(id), false, `trap ${id} was not acknowledged`);
  });

  test('orders --json: one object per stored order with the contract fields, matching the sandbox', async () => {
    const r = await cli(['orders', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.ok(Array.isArray(rows));
    assert.equal(rows.length, expected.length);
    const served = new Map((await t.orders()).map((o) => [o.id, o]));
    for (const row of rows) {
      for (const k of ['id', 'reference', 'channel', 'status', 'storeReference', 'acknowledged', 'shipment']) assert.ok(k in row, `row has ${k}`);
      const o = served.get(row.id);
      assert.ok(o, `row ${row.id} is a Shoppingfeed order id`);
      assert.equal(row.reference, o.reference);
      assert.equal(row.channel, o._embedded.channel.name);
      assert.equal(row.status, 'waiting_shipment');
      assert.equal(row.acknowledged, true);
      assert.match(row.storeReference, /\S/);
      assert.equal(row.storeReference, o.storeReference, 'the shop order id was sent as storeReference');
      assert.equal(row.shipment, null);
    }
    assert.equal(new Set(rows.map((/** @type {any} */ x) => x.storeReference)).size, rows.length, 'one shop order per Shoppingfeed order');
  });

  test('rerun imports nothing and acknowledges nothing again', async () => {
    const before = t.requests().length;
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const again = oneJson(r.stdout);
    assert.equal(again.imported, 0);
    assert.equal(again.acknowledged, 0);
    assert.equal(again.failed, noAddress);
    assert.equal(again.sent, 0);
    assert.equal(t.requests().slice(before).filter((q) => q.method === 'POST').length, 0, 'no POST at all');
    withDb(db, (d) => assert.equal(d.count('orders'), expected.length));
    // Without --json: nothing on stdout, one summary line on stderr; --quiet: nothing at all.
    const human = await cli(['sync', '--once'], { env: t.env(db) });
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /imported 0, acknowledged 0, failed 0, skipped \d+, sent 0/);
    const quiet = await cli(['sync', '--once', '--quiet'], { env: t.env(db) });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout + quiet.stderr, '');
  });

  test('--since-days 10 reaches back further: exactly the eligible orders of days 7-10 are added', async () => {
    const now = Date.now();
    const older = (await t.orders()).filter((o) => eligible(o, now, 10) && !eligible(o, now, 7));
    assert.ok(older.some((o) => traps.includes(o.id)), 'the 9-day-old order is among them');
    const r = await cli(['sync', '--once', '--json', '--since-days', '10'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(oneJson(r.stdout).imported, older.length);
    withDb(db, (d) => assert.equal(d.count('orders'), expected.length + older.length));
    const bad = await cli(['sync', '--once', '--since-days', 'ten'], { env: t.env(db) });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /since-days/);
  });
});

test('ack-while-paging trap: 650 fresh orders, one `sync --once` imports and acknowledges all of them', async () => {
  const t = await sandbox({ orders: 20, seed: 12 });
  try {
    const db = tmp.db('paging.db');
    const ids = t.create([
      { channel: 'amazon', count: 163 }, { channel: 'manomano', count: 163 }, { channel: 'bol', count: 162 }, { channel: 'zalando', count: 162 },
    ]);
    assert.equal(ids.length, 650);
    const eligibleNow = (await t.orders('acknowledgment=unacknowledged&status=waiting_shipment')).filter((o) => eligible(o, Date.now()));
    t.sb.control.clearRequests();
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const rep = oneJson(r.stdout);
    assert.equal(rep.imported, eligibleNow.length);
    assert.equal(rep.acknowledged, eligibleNow.length);
    assert.ok(rep.imported >= 650);
    await assertNoneUnacknowledged(t, ids);
    withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      const stored = new Set(d.orderIds());
      assert.deepEqual(ids.filter((id) => !stored.has(id)), [], 'every one of the 650 is in the shop');
    });
    // Every page was read before the first acknowledgement (limit 200), acks in batches of at most 100.
    const reqs = t.requests().slice(0, rep.requests);
    const firstAck = reqs.findIndex((q) => q.method === 'POST');
    const pages = reqs.filter((q) => q.method === 'GET' && q.query.acknowledgment === 'unacknowledged');
    assert.ok(pages.length >= 4, `${pages.length} pages`);
    assert.ok(pages.every((p) => reqs.indexOf(p) < firstAck), 'no page read after the first ack');
    const ackSizes = reqs.filter((q) => q.method === 'POST').map((q) => q.body.order.length);
    assert.ok(ackSizes.every((n) => n <= 100), `ack batches ${ackSizes}`);
    assertAckedOnceOrIdempotently(reqs, ids);
  } finally {
    await t.close();
  }
});

test('faults: 429 (X-RateLimit-Wait), two 503s, a truncated page, a lost ack answer → completes, nothing lost, no duplicate', async () => {
  const t = await sandbox({ orders: 20, seed: 13 });
  try {
    const db = tmp.db('faults.db');
    const ids = t.create(DIRECT.map((channel) => ({ channel, count: 110 })));
    const expected = (await t.orders('acknowledgment=unacknowledged&status=waiting_shipment')).filter((o) => eligible(o, Date.now()));
    const c = t.sb.control;
    t.sb.control.clearRequests();
    // Taken in order by the listing requests: page 1 gets 429, 503, 503, then passes (a zero-delay
    // "slow"), page 2's first answer is cut in half.
    c.injectFault({ kind: 'rate-limit', waitSeconds: 1, method: 'GET', path: '/order' });
    c.injectFault({ kind: 'server-error', status: 503, count: 2, method: 'GET', path: '/order' });
    c.injectFault({ kind: 'slow', delayMs: 0, method: 'GET', path: '/order' });
    c.injectFault({ kind: 'truncate', method: 'GET', path: '/order' });
    // The first ack is processed, then the connection is reset: the client cannot tell it went through.
    c.injectFault({ kind: 'reset', afterProcessing: true, method: 'POST', path: '/order/acknowledge' });

    const r = await cli(['sync', '--once', '--json'], { env: t.env(db, { SHOPPINGFEED_LOG: 'debug' }) });
    assert.equal(r.code, 0, r.stderr);
    const rep = oneJson(r.stdout);
    assert.equal(rep.imported, expected.length);
    assert.equal(rep.failed, 0);
    assert.deepEqual(c.faults(), [], 'every fault was hit');

    const reqs = t.requests();
    const kinds = reqs.map((q) => `${q.method} ${q.query.page ?? ''} ${q.fault ?? q.status}`);
    assert.deepEqual(kinds.slice(0, 6), ['GET 1 rate-limit', 'GET 1 server-error', 'GET 1 server-error', 'GET 1 slow', 'GET 2 truncate', 'GET 2 200'], kinds.join(', '));
    const waited = Date.parse(reqs[1].timestamp) - Date.parse(reqs[0].timestamp);
    assert.ok(waited >= 950, `waited ${waited} ms after the 429 (X-RateLimit-Wait: 1)`);

    withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      assert.deepEqual(d.orderIds(), expected.map((o) => o.id).sort((a, b) => a - b), 'nothing lost, nothing extra');
    });
    await assertNoneUnacknowledged(t, ids);
    assertAckedOnceOrIdempotently(reqs, ids);
  } finally {
    await t.close();
  }
});

test('a cycle that gives up (acks rate-limited beyond the retry limit) → exit 1, orders created are kept; the rerun acks them without re-creating', async () => {
  // 429 with X-RateLimit-Wait: 0 on every ack: the engine gives up after its limit of 429s in a row
  // without the exponential waits of 5xx/network retries (that path is covered, with short delays, in api.test.js).
  const t = await sandbox({ orders: 10, seed: 22 });
  try {
    const db = tmp.db('giveup.db');
    const ids = t.create([{ channel: 'amazon', count: 30 }]);
    t.sb.control.injectFault({ kind: 'rate-limit', waitSeconds: 0, count: 100, method: 'POST', path: '/order/acknowledge' });
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /kept/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    assert.ok(last.error?.code, 'the --json output names the error');
    const stored = withDb(db, (d) => d.orderIds());
    assert.ok(ids.every((id) => stored.includes(id)), 'the orders created before giving up are kept');
    const tries = t.requests({ method: 'POST' }).length;
    assert.ok(tries >= 2 && tries <= 20, `bounded retries (${tries} attempts)`);
    assert.equal(t.requests({ method: 'POST' }).filter((q) => q.status === 202).length, 0, 'no ack went through');
    t.sb.control.clearFaults();

    const again = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(again.code, 0, again.stderr);
    const rep = oneJson(again.stdout);
    assert.equal(rep.imported, 0, 'nothing created twice');
    assert.equal(rep.acknowledged, stored.length);
    withDb(db, (d) => assert.deepEqual(d.orderIds(), stored));
    await assertNoneUnacknowledged(t, ids);
  } finally {
    await t.close();
  }
});

describe('SIGKILL in the middle of a cycle, then rerun', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('kill.db');
  /** @type {number[]} */ let ids = [];
  /** @type {Set<number>} */ let firstBatch;
  before(async () => {
    t = await sandbox({ orders: 20, seed: 14 });
    ids = t.create(DIRECT.map((channel) => ({ channel, count: 100 })));
    // Second ack batch: processed by Shoppingfeed, answer held back 3 s (a pending timer, so kept short); the process is killed while it waits.
    t.sb.control.injectFault({ kind: 'slow', delayMs: 0, method: 'POST', path: '/order/acknowledge' });
    t.sb.control.injectFault({ kind: 'slow', delayMs: 3_000, method: 'POST', path: '/order/acknowledge' });
  });
  after(() => t.close());

  test('kill -9 while the second ack batch is in flight: orders created once, the cycle half done', async () => {
    /** @type {import('node:child_process').ChildProcess | undefined} */
    let child;
    const run = cli(['sync', '--once', '--json'], { env: t.env(db), onSpawn: (c) => { child = c; } });
    await until(() => t.requests({ method: 'POST' }).length >= 2, 20_000, 'the second ack batch');
    /** @type {any} */ (child).kill('SIGKILL');
    const r = await run;
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '', 'killed before any report');
    const acked = t.requests({ method: 'POST' }).flatMap((q) => q.body.order.map((/** @type {any} */ o) => o.id));
    assert.equal(acked.length, 200);
    firstBatch = new Set(acked.slice(0, 100));
    const left = new Set((await t.orders('acknowledgment=unacknowledged')).map((o) => o.id));
    assert.ok(ids.filter((id) => left.has(id)).length > 0, 'some orders are still unacknowledged: the kill was mid-cycle');
    withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      assert.ok(d.count('orders') >= 200, 'orders were created before the acks');
    });
  });

  test('the rerun right after the kill completes (exit 0) instead of waiting for the dead process\'s lock', async () => {
    /** @type {import('node:child_process').ChildProcess | undefined} */
    let child;
    const run = cli(['sync', '--once', '--json'], { env: t.env(db), onSpawn: (c) => { child = c; } });
    // A normal rerun of 400 orders takes well under a second; give it 4.
    const timer = setTimeout(() => child?.kill('SIGKILL'), 4_000);
    const r = await run;
    clearTimeout(timer);
    assert.equal(r.signal, null, 'the rerun was still waiting for the lock after 4 s');
    assert.equal(r.code, 0, r.stderr);
  });

  test('rerun (once the dead lock has expired): no duplicate rows, every order acknowledged at the sandbox', async () => {
    // The rerun above already freed the dead holder's lock; expiring it again changes nothing.
    const w = new Database(db);
    w.prepare('UPDATE locks SET expires_at = 0').run();
    w.close();

    const stored = withDb(db, (d) => d.count('orders'));
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const rep = oneJson(r.stdout);
    assert.equal(rep.failed, 0);
    assert.equal(rep.imported, 0, 'every order was created before the kill: none created again');
    // The rerun right after the kill already acknowledged the rest: this one has nothing left to do.
    assert.equal(rep.acknowledged, 0);
    withDb(db, (d) => assert.equal(d.count('orders'), stored));
    withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      const stored = new Set(d.orderIds());
      assert.deepEqual(ids.filter((id) => !stored.has(id)), [], 'every order is in the shop');
    });
    await assertNoneUnacknowledged(t, ids);
    assertAckedOnceOrIdempotently(t.requests(), ids);
  });

  test('the journal agrees with Shoppingfeed: orders whose ack went through before the kill show acknowledged: true', async () => {
    const r = await cli(['orders', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    const stale = rows.filter((/** @type {any} */ x) => !x.acknowledged).map((/** @type {any} */ x) => x.id);
    assert.equal(stale.length, 0, `${stale.length} orders acknowledged at Shoppingfeed but not in the journal (${stale.filter((/** @type {number} */ id) => !firstBatch.has(id)).length} outside the first batch)`);
  });
});

test('two `sync --once` processes at once on one db: both exit 0, each order created and acknowledged once', async () => {
  const t = await sandbox({ orders: 20, seed: 15 });
  try {
    const db = tmp.db('two.db');
    const ids = t.create(DIRECT.map((channel) => ({ channel, count: 75 })));
    const expected = (await t.orders('acknowledgment=unacknowledged&status=waiting_shipment')).filter((o) => eligible(o, Date.now()));
    // The first listing is slowed so the two cycles overlap: the second process finds the store locked.
    t.sb.control.injectFault({ kind: 'slow', delayMs: 1_000, method: 'GET', path: '/order' });
    const [a, b] = await Promise.all([
      cli(['sync', '--once', '--json'], { env: t.env(db) }),
      cli(['sync', '--once', '--json'], { env: t.env(db) }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ra = oneJson(a.stdout);
    const rb = oneJson(b.stdout);
    assert.equal(ra.imported + rb.imported, expected.length, 'each order imported by exactly one process');
    assert.deepEqual([ra.imported, rb.imported].sort((x, y) => x - y), [0, expected.length], 'one process did it all, the other waited and found nothing left');
    withDb(db, (d) => {
      assert.deepEqual(d.duplicates(), []);
      assert.deepEqual(d.orderIds(), expected.map((o) => o.id).sort((x, y) => x - y));
    });
    await assertNoneUnacknowledged(t, ids);
    const acks = acksByOrder(t.requests());
    for (const id of ids) assert.equal(acks.get(id)?.length, 1, `order ${id} acknowledged exactly once`);
  } finally {
    await t.close();
  }
});

test('malformed orders beside good ones: good imported, bad acked with an error naming the field, exit 0', async () => {
  const t = await sandbox({ orders: 5, seed: 16 });
  try {
    const db = tmp.db('malformed.db');
    const good = t.create([{ channel: 'amazon', count: 3 }, { channel: 'bol', count: 2 }]);
    const bad = t.create([
      { channel: 'amazon', override: { 'items[0].quantity': 'two' } },
      { channel: 'bol', omit: ['items'] },
      { channel: 'zalando', override: { 'payment.totalAmount': 'abc' } },
      { channel: 'manomano', omit: ['items[0].reference'] },
    ]);
    const fields = ['items[0].quantity', 'items', 'payment.totalAmount', 'items[0].reference'];
    const wanted = (await t.orders('acknowledgment=unacknowledged&status=waiting_shipment')).filter((o) => eligible(o, Date.now())).map((o) => o.id);
    const goodAll = wanted.filter((id) => !bad.includes(id));

    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const rep = oneJson(r.stdout);
    assert.equal(rep.imported, goodAll.length);
    assert.equal(rep.acknowledged, goodAll.length);
    assert.equal(rep.failed, bad.length);
    withDb(db, (d) => assert.deepEqual(d.orderIds(), [...goodAll].sort((a, b) => a - b), 'only the good ones are in the shop'));
    for (const id of good) assert.ok((await t.order(id)).acknowledgedAt, `good order ${id} acknowledged`);

    const acks = acksByOrder(t.requests());
    for (const [i, id] of bad.entries()) {
      const sent = acks.get(id) ?? [];
      assert.equal(sent.length, 1, `bad order ${id} acknowledged once`);
      assert.equal(sent[0].status, 'error');
      const o = await t.order(id);
      assert.equal(o.acknowledgedAt, null, 'an error ack leaves the order unacknowledged');
      const msg = o.errors.find((/** @type {any} */ e) => e.type === 'acknowledge')?.message ?? '';
      assert.ok(msg.includes(fields[i]), `order ${id}: "${msg}" names ${fields[i]}`);
    }

    const list = JSON.parse((await cli(['orders', '--json', '--needs-attention'], { env: t.env(db) })).stdout);
    assert.deepEqual(list.map((/** @type {any} */ x) => x.id).sort(), [...bad].sort(), 'the bad ones need attention');
    for (const row of list) {
      assert.equal(row.acknowledged, false);
      assert.equal(row.storeReference, null);
    }

    // Next cycle: no crash, nothing re-created, the same error ack is not sent every cycle.
    const before = t.requests().length;
    const again = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(oneJson(again.stdout).imported, 0);
    assert.equal(t.requests().slice(before).filter((q) => q.method === 'POST').length, 0, 'error acks are not repeated');
  } finally {
    await t.close();
  }
});

test('orders --json keeps the channel and status of an order that failed to parse', async () => {
  const t = await sandbox({ orders: 1, seed: 17 });
  try {
    const db = tmp.db('malformed-view.db');
    const [id] = t.create([{ channel: 'zalando', override: { 'payment.totalAmount': 'abc' } }]);
    assert.equal((await cli(['sync', '--once', '--json'], { env: t.env(db) })).code, 0);
    const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === id);
    assert.equal(row.channel, 'Zalando');
    assert.equal(row.status, 'waiting_shipment');
  } finally {
    await t.close();
  }
});

describe('ship', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('ship.db');
  /** @type {number[]} */ let ids = [];
  const shipPosts = () => t.requests({ method: 'POST', path: '/order/ship' });
  before(async () => {
    t = await sandbox({ orders: 5, seed: 18 });
    ids = t.create([{ channel: 'cdiscount', status: 'waiting_shipment' }, { channel: 'amazon' }, { channel: 'manomano' }, { channel: 'bol' }]);
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => t.close());

  test('ship ID --carrier --tracking-number --tracking-url → exit 0, exactly one ship POST with those values', async () => {
    const url = 'https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901';
    const r = await cli(['ship', String(ids[0]), '--carrier', 'Colissimo', '--tracking-number', '6A12345678901', '--tracking-url', url], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`order ${ids[0]}`));
    const posts = shipPosts();
    assert.equal(posts.length, 1);
    assert.equal(posts[0].status, 202);
    assert.deepEqual(posts[0].body.order.map((/** @type {any} */ o) => [o.id, o.carrier, o.trackingNumber, o.trackingLink]), [[ids[0], 'Colissimo', '6A12345678901', url]]);
    // Shoppingfeed relays it: the order is shipped with those values.
    const o = await until(async () => { const x = await t.order(ids[0]); return x.status === 'shipped' && x; }, 10_000, 'the ship ticket');
    assert.equal(o.shipment.carrier, 'Colissimo');
    assert.equal(o.shipment.trackingNumber, '6A12345678901');
    assert.equal(o.shipment.trackingLink, url);
    const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === ids[0]);
    assert.equal(row.shipment.carrier, 'Colissimo');
    assert.equal(row.shipment.trackingNumber, '6A12345678901');
  });

  test('second ship of the same order → exit 2, clear message, nothing sent', async () => {
    const r = await cli(['ship', String(ids[0]), '--carrier', 'Chronopost', '--tracking-number', 'XY123456789FR', '--tracking-url', 'https://www.chronopost.fr/t/XY123456789FR'], { env: t.env(db) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already.*shipped/i);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(shipPosts().length, 1, 'no second ship POST');
  });

  test('refused input → exit 2, nothing sent: javascript: URL, N/A tracking number, empty carrier', async () => {
    /** @type {[string[], RegExp][]} */
    const cases = [
      [['--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784', '--tracking-url', 'javascript:alert(1)'], /tracking url/i],
      [['--carrier', 'UPS', '--tracking-number', 'N/A', '--tracking-url', 'https://ups.example/t'], /placeholder/i],
      [['--carrier', '', '--tracking-number', '1Z999AA10123456784'], /carrier/i],
      [['--carrier', 'UPS'], /tracking number/i],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['ship', String(ids[1]), ...args], { env: t.env(db) });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(shipPosts().length, 1, 'nothing sent for refused ones');
    const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === ids[1]);
    assert.equal(row.shipment, null, 'nothing recorded for refused ones');
  });

  test('the ship guard (issue 11): numbers, URLs, carriers and channel rules refused before anything is recorded or sent', async () => {
    /** @type {[number, string[], RegExp][]} */
    const cases = [
      // Amazon: no tracking URL required, so each refusal below is the number's, the URL's or the carrier's.
      [ids[1], ['--carrier', 'Amazon Logistics', '--tracking-number', '123'], /`123` is too short/],
      [ids[1], ['--carrier', 'UPS', '--tracking-number', '123456789012'], /does not fit carrier `UPS`: a UPS tracking number is 1Z/],
      [ids[1], ['--carrier', 'Geodis', '--tracking-number', 'tracking'], /placeholder/],
      [ids[1], ['--carrier', 'Geodis', '--tracking-number', 'https://geodis.com/t/4412345678'], /is a URL/],
      [ids[1], ['--carrier', 'Geodis', '--tracking-number', '4412 3456 78'], /contains spaces/],
      [ids[1], ['--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784', '--tracking-url', 'http://127.0.0.1/t/1Z999AA10123456784'], /loopback, private/],
      [ids[1], ['--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784', '--tracking-url', 'http://169.254.169.254/latest'], /loopback, private/],
      [ids[1], ['--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784', '--tracking-url', 'https://www.ups.com/track?tracknum={number}'], /placeholder/],
      [ids[1], ['--carrier', '<b>UPS</b>', '--tracking-number', '1Z999AA10123456784'], /markup/],
      [ids[1], ['--carrier', '\u200b\u202e', '--tracking-number', '1Z999AA10123456784'], /carrier is required/],
      // ManoMano wants a tracking URL with each shipment; a carrier with no template configured gives none.
      [ids[2], ['--carrier', 'Geodis', '--tracking-number', '4412345678'], /Monechelle requires a tracking URL/],
    ];
    const before = shipPosts().length;
    for (const [id, args, message] of cases) {
      const r = await cli(['ship', String(id), ...args], { env: t.env(db) });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(shipPosts().length, before, 'nothing sent');
    const rows = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout);
    for (const id of [ids[1], ids[2]]) assert.equal(rows.find((/** @type {any} */ x) => x.id === id).shipment, null, `nothing recorded for ${id}`);
  });

  test('ship while the API is unreachable → recorded, exit 0; the next sync --once sends it exactly once', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['ship', String(ids[2]), '--carrier', 'DHL', '--tracking-number', 'JD014600006540', '--tracking-url', 'https://dhl.example/JD014600006540'], { env: t.env(db, { SHOPPINGFEED_API_URL: down }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /recorded/);
    assert.equal(shipPosts().length, 1, 'nothing reached the sandbox');
    const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === ids[2]);
    assert.equal(row.shipment.trackingNumber, 'JD014600006540', 'the shipment is in the journal');

    const s1 = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(s1.code, 0, s1.stderr);
    assert.equal(oneJson(s1.stdout).sent, 1);
    const s2 = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(s2.code, 0, s2.stderr);
    assert.equal(oneJson(s2.stdout).sent, 0);
    const posts = shipPosts().filter((q) => q.body.order.some((/** @type {any} */ o) => o.id === ids[2]));
    assert.equal(posts.length, 1, 'sent exactly once');
    assert.deepEqual(posts[0].body.order.map((/** @type {any} */ o) => [o.carrier, o.trackingNumber, o.trackingLink]), [['DHL', 'JD014600006540', 'https://dhl.example/JD014600006540']]);
    const o = await until(async () => { const x = await t.order(ids[2]); return x.status === 'shipped' && x; }, 10_000, 'the ship ticket');
    assert.equal(o.shipment.trackingNumber, 'JD014600006540');
  });
});

describe('partial shipments (issue 11): ship --item, parcel by parcel', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('parcels.db');
  /** @type {number[]} */ let ids = [];
  const shipPosts = () => t.requests({ method: 'POST', path: '/order/ship' });
  // Two lines each, as a DIY order on ManoMano (its channel name is Monechelle) or a Bol order comes.
  const items = [{ reference: 'VIS-4X40-50', quantity: 2, price: 8.9 }, { reference: 'GANTS-T9', quantity: 1, price: 12.5 }];
  before(async () => {
    t = await sandbox({ orders: 5, seed: 31 });
    ids = t.create([{ channel: 'manomano', items }, { channel: 'bol', items }]);
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => t.close());

  for (const [i, channel] of [[0, 'ManoMano'], [1, 'Bol']]) {
    test(`${channel}: two parcels with --item → both sent with their items; the order ends shipped; \`orders\` lists both`, async () => {
      const id = ids[/** @type {number} */ (i)];
      const [a, b] = (await t.order(id)).items.map((/** @type {any} */ it) => it.id);
      const numbers = [`25000${i}0000001`, `25000${i}0000002`];
      const ship = (/** @type {string} */ n, /** @type {string} */ item) => cli(['ship', String(id), '--carrier', 'DPD', '--tracking-number', n,
        '--tracking-url', `https://trace.dpd.fr/fr/trace/${n}`, '--item', item], { env: t.env(db) });

      const first = await ship(numbers[0], `${a}:2`);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /shipment sent/);
      const second = await ship(numbers[1], `${b}:1`);
      assert.equal(second.code, 0, second.stderr);
      const posts = shipPosts().flatMap((q) => q.body.order).filter((/** @type {any} */ o) => o.id === id);
      assert.deepEqual(posts.map((/** @type {any} */ o) => [o.trackingNumber, o.items]), [[numbers[0], [{ id: a, quantity: 2 }]], [numbers[1], [{ id: b, quantity: 1 }]]]);

      const s = await cli(['sync', '--once', '--json'], { env: t.env(db) });
      assert.equal(s.code, 0, s.stderr);
      const o = await t.order(id);
      assert.equal(o.status, 'shipped', 'Shoppingfeed has the order shipped after the last parcel');

      const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === id);
      assert.equal(row.status, 'shipped', 'the journal has the order shipped after the last parcel');
      assert.deepEqual(row.parcels.map((/** @type {any} */ p) => [p.trackingNumber, p.items, p.state]),
        [[numbers[0], [{ id: a, quantity: 2 }], 'succeeded'], [numbers[1], [{ id: b, quantity: 1 }], 'succeeded']]);
      const table = (await cli(['orders'], { env: t.env(db) })).stdout.split('\n').find((l) => l.startsWith(String(id)));
      assert.ok(table?.includes(numbers[0]) && table.includes(numbers[1]), `the table lists both parcels: ${table}`);

      const third = await ship(`25000${i}0000003`, `${a}:1`);
      assert.equal(third.code, 2, 'nothing left to ship');
      assert.equal(shipPosts().flatMap((q) => q.body.order).filter((/** @type {any} */ x) => x.id === id).length, 2);
    });
  }
});

describe('one shipment per order (issue 11): a second ship while the first is unsent is refused, naming it', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('once.db');
  /** @type {number[]} */ let ids = [];
  const shipsOf = (/** @type {number} */ id) => t.requests({ method: 'POST', path: '/order/ship' })
    .flatMap((q) => q.body.order).filter((/** @type {any} */ o) => o.id === id).map((/** @type {any} */ o) => o.trackingNumber);
  before(async () => {
    t = await sandbox({ orders: 5, seed: 32 });
    ids = t.create([{ channel: 'amazon' }, { channel: 'bol' }, { channel: 'amazon' }, { channel: 'zalando' }, { channel: 'bol' }]);
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => t.close());

  test('first ship recorded while the API is down; a second one → exit 2 naming the first tracking number; only the first is sent', async () => {
    const id = ids[0];
    const down = `http://127.0.0.1:${await closedPort()}`;
    const first = await cli(['ship', String(id), '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784'], { env: t.env(db, { SHOPPINGFEED_API_URL: down }) });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /recorded/);

    const second = await cli(['ship', String(id), '--carrier', 'DHL', '--tracking-number', 'JD014600006540'], { env: t.env(db) });
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /1Z999AA10123456784/, 'the message names the shipment already recorded');
    assert.match(second.stderr, /nothing new was recorded/);
    assert.doesNotMatch(second.stderr, /next sync sends it\b|shipment recorded/);
    assert.equal(second.stderr.trim().split('\n').length, 1);
    const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === id);
    assert.deepEqual(row.parcels.map((/** @type {any} */ p) => p.trackingNumber), ['1Z999AA10123456784']);

    const s = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(shipsOf(id), ['1Z999AA10123456784'], 'the recorded shipment went, once; the refused one never');
  });

  test('two `ship` processes on one order at once: one is recorded and sent, the other exit 2; no tracking number silently dropped', async () => {
    for (const id of ids.slice(1)) {
      const numbers = ['3SABCD0000001', '3SABCD0000002'];
      const runs = await Promise.all(numbers.map((n) => cli(['ship', String(id), '--carrier', 'PostNL', '--tracking-number', n], { env: t.env(db) })));
      const won = runs.filter((r) => r.code === 0);
      assert.equal(won.length, 1, `order ${id}: exactly one ship is taken: ${runs.map((r) => `${r.code} ${r.stderr.trim()}`).join(' | ')}`);
      const winner = numbers[runs.indexOf(won[0])];
      const loser = runs.find((r) => r.code !== 0);
      assert.equal(loser?.code, 2, loser?.stderr);
      assert.ok(loser?.stderr.includes(winner) || /already fully shipped/.test(loser?.stderr ?? ''), `the refusal names ${winner}: ${loser?.stderr}`);

      const s = await cli(['sync', '--once', '--json'], { env: t.env(db) });
      assert.equal(s.code, 0, s.stderr);
      assert.deepEqual(shipsOf(id), [winner], `order ${id}: the sandbox got the taken shipment once`);
      const row = JSON.parse((await cli(['orders', '--json'], { env: t.env(db) })).stdout).find((/** @type {any} */ x) => x.id === id);
      assert.deepEqual(row.parcels.map((/** @type {any} */ p) => p.trackingNumber), [winner], 'the journal has the one that went');
    }
  });
});

describe('one template syntax (issue 11): ship --carrier alone fills the tracking URL from the carrier\'s template', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('template.db');
  /** @type {number[]} */ let ids = [];
  before(async () => {
    t = await sandbox({ orders: 5, seed: 33 });
    ids = t.create([{ channel: 'amazon' }, { channel: 'zalando' }]);
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => t.close());

  /** The tracking link of the order's ship POST, and of the shipment the sandbox recorded. @param {number} id */
  async function sentLink(id) {
    const post = t.requests({ method: 'POST', path: '/order/ship' }).flatMap((q) => q.body.order).find((/** @type {any} */ o) => o.id === id);
    const o = await until(async () => { const x = await t.order(id); return x.status === 'shipped' && x; }, 10_000, 'the ship ticket');
    return [post?.trackingLink, o.shipment.trackingLink];
  }

  test('a default carrier (Colissimo): no --tracking-url, the template\'s URL reaches Shoppingfeed', async () => {
    const r = await cli(['ship', String(ids[0]), '--carrier', 'Colissimo', '--tracking-number', '6A12345678901'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    const url = 'https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901';
    assert.match(r.stderr, /tracking URL from the Colissimo template/);
    assert.deepEqual(await sentLink(ids[0]), [url, url]);
  });

  test('a carrier configured in SHOPPINGFEED_CARRIERS ({trackingNumber}, matched whatever the case)', async () => {
    const env = t.env(db, { SHOPPINGFEED_CARRIERS: 'Colis Privé=https://www.colisprive.com/moncolis/pages/detailColis.aspx?numColis={trackingNumber}' });
    const r = await cli(['ship', String(ids[1]), '--carrier', 'colis privé', '--tracking-number', '99123456789012'], { env });
    assert.equal(r.code, 0, r.stderr);
    const url = 'https://www.colisprive.com/moncolis/pages/detailColis.aspx?numColis=99123456789012';
    assert.deepEqual(await sentLink(ids[1]), [url, url]);
  });
});

describe('errors and the token', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('errors.db');
  before(async () => { t = await sandbox({ orders: 60, seed: 19 }); });
  after(() => t.close());

  test('wrong token → exit 1, a message about authorization, no stack trace, nothing imported', async () => {
    for (const json of [false, true]) {
      const r = await cli(['sync', '--once', ...(json ? ['--json'] : [])], { env: t.env(db, { SHOPPINGFEED_TOKEN: 'f'.repeat(40) }) });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /authori[sz]/i);
      assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
    }
    const ship = await cli(['ship', '1', '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784'], { env: t.env(db, { SHOPPINGFEED_TOKEN: 'f'.repeat(40), SHOPPINGFEED_STORE_ID: undefined }) });
    assert.equal(ship.code, 1, ship.stderr);
    assert.match(ship.stderr, /authori[sz]/i);
    withDb(db, (d) => assert.equal(d.count('orders'), 0));
  });

  test('wrong token: the authorization message is the only line (stderr), one JSON object (stdout with --json)', async () => {
    const r = await cli(['sync', '--once'], { env: t.env(db, { SHOPPINGFEED_TOKEN: 'f'.repeat(40) }) });
    assert.equal(r.stderr.trim().split('\n').length, 1, JSON.stringify(r.stderr));
    const j = await cli(['sync', '--once', '--json'], { env: t.env(db, { SHOPPINGFEED_TOKEN: 'f'.repeat(40) }) });
    const obj = oneJson(j.stdout);
    assert.equal(obj.error.code, 'Unauthorized');
  });

  test('missing token → exit 2, nothing sent; unknown option → exit 2', async () => {
    const before = t.requests().length;
    for (const args of [['sync', '--once', '--json'], ['ship', '1', '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784']]) {
      const r = await cli(args, { env: t.env(db, { SHOPPINGFEED_TOKEN: undefined }) });
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /token/i);
      assert.equal(r.stdout, '');
    }
    for (const args of [['sync', '--once', '--frobnicate'], ['ship', '1', '--carrier', 'UPS', '--tracking-number', 'X1', '--nope'], ['orders', '--wat']]) {
      const r = await cli(args, { env: t.env(db) });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /unknown option/i);
    }
    assert.equal(t.requests().length, before, 'no request for usage errors');
  });

  test('several stores and no store id → exit 2 naming them', async () => {
    const multi = await sandbox({ orders: 3, seed: 20, stores: 3 });
    try {
      const r = await cli(['sync', '--once'], { env: multi.env(tmp.db('multi.db'), { SHOPPINGFEED_STORE_ID: undefined }) });
      assert.equal(r.code, 2, r.stderr);
      for (const id of multi.sb.storeIds) assert.match(r.stderr, new RegExp(String(id)));
    } finally {
      await multi.close();
    }
  });

  test('the token never appears in any output: --json, errors, SHOPPINGFEED_LOG=debug logs, the --token flag', async () => {
    const token = t.sb.token;
    const debug = t.env(db, { SHOPPINGFEED_LOG: 'debug' });
    const [id] = t.create([{ channel: 'amazon' }]);
    t.create([{ channel: 'bol', override: { 'items[0].quantity': 'two' } }]);
    t.sb.control.injectFault({ kind: 'server-error', status: 503, method: 'GET', path: '/order' });
    const runs = [
      await cli(['sync', '--once', '--json'], { env: debug }),
      await cli(['sync', '--once', '--token', token, '--store-id', String(t.sb.storeId)], { env: { ...debug, SHOPPINGFEED_TOKEN: undefined }, token }),
      await cli(['orders', '--json'], { env: debug }),
      await cli(['orders'], { env: debug }),
      await cli(['ship', String(id), '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784', '--json'], { env: debug }),
      await cli(['ship', String(id), '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456784'], { env: debug }),
      await cli(['ship', String(id), '--carrier', 'UPS', '--tracking-number', 'N/A', '--token', token], { env: debug, token }),
      await cli(['ship', String(id), '--carrier', 'UPS', '--tracking-number', '1Z999AA10123456785', '--api-url', `http://127.0.0.1:${await closedPort()}`], { env: debug }),
      await cli(['sync', '--once', '--json', '--store-id', '999'], { env: debug }),
    ];
    assert.deepEqual(runs.map((r) => r.code), [0, 0, 0, 0, 0, 2, 2, 2, 1]);
    assert.ok(runs[0].stderr.includes('"level"'), 'debug logs were written');
    for (const o of outputs) {
      assert.ok(!o.stdout.includes(token) && !o.stderr.includes(token), `the token leaked in ${o.args.join(' ')}`);
    }
    assert.ok(outputs.length >= 10);
  });
});

test('sync without --once (--every 0.01): at least two cycles, SIGTERM ends after the running cycle, exit 0', async () => {
  const t = await sandbox({ orders: 10, seed: 21 });
  try {
    const db = tmp.db('every.db');
    const ids = t.create([{ channel: 'amazon', count: 5 }]);
    const listings = () => t.requests({ method: 'GET', path: '/order' }).filter((q) => q.query.acknowledgment === 'unacknowledged');
    /** @type {import('node:child_process').ChildProcess | undefined} */
    let child;
    const run = cli(['sync', '--every', '0.01', '--json'], { env: t.env(db), onSpawn: (c) => { child = c; } });
    await until(() => listings().length >= 2, 20_000, 'two cycles');
    // The next cycle's listing is slow: SIGTERM arrives while it runs.
    t.sb.control.injectFault({ kind: 'slow', delayMs: 1_000, method: 'GET', path: '/order' });
    await until(() => t.requests().some((q) => q.fault === 'slow'), 20_000, 'a cycle in flight');
    /** @type {any} */ (child).kill('SIGTERM');
    const r = await run;
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= 2, `${lines.length} cycle reports`);
    assert.equal(lines[0].imported, 5);
    assert.ok(lines.slice(1).every((l) => l.imported === 0));
    // The cycle running at SIGTERM finished: its report was printed (one report per cycle started,
    // the interrupted one included) before the process exited 0.
    assert.equal(listings().length, lines.length, 'one report per cycle, the interrupted one included');
    await assertNoneUnacknowledged(t, ids);
  } finally {
    await t.close();
  }
});
