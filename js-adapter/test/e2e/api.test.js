// @ts-check
// The same core flows through the JS API, imported by the package's own name (self-reference through
// the `exports` map), against a real sandbox and a real SQLite file.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryStore, SqliteStore, createOrderSync, isShoppingfeedError, jsonLogger } from 'shoppingfeed-orders';
import { acksByOrder, eligible, sandbox, tempDir, until } from './helpers.js';

const tmp = tempDir('sfo-api-');
after(() => tmp.cleanup());

const REPORT_KEYS = ['imported', 'acknowledged', 'reacknowledged', 'errorAcknowledged', 'ackInFlight', 'failed', 'skipped', 'accepted', 'sent', 'succeeded', 'operationsFailed', 'pending', 'statusChanges', 'pages', 'requests'];

/** A logger capturing JSON lines. */
function capture() {
  /** @type {string[]} */
  const lines = [];
  return { lines, logger: jsonLogger({ level: 'debug', stream: { write: (/** @type {string} */ s) => lines.push(s) } }) };
}

describe('createOrderSync with SqliteStore: runOnce, events, ship, orders()', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  /** @type {any} */ let store;
  /** @type {import('shoppingfeed-orders').OrderSync} */ let sync;
  const log = capture();
  /** @type {any[]} */ const cycles = [];
  /** @type {any[]} */ const operations = [];
  /** @type {any[]} */ const logEvents = [];
  /** @type {number[]} */ let good = [];
  /** @type {number[]} */ let bad = [];
  /** @type {any[]} */ let expected = [];

  before(async () => {
    t = await sandbox({ orders: 120, seed: 31 });
    good = t.create([{ channel: 'amazon', count: 3 }, { channel: 'zalando', count: 2 }, { channel: 'cdiscount', status: 'waiting_shipment' }]);
    bad = t.create([{ channel: 'bol', override: { 'items[0].quantity': 'two' } }, { channel: 'amazon', omit: ['items'] }]);
    store = new SqliteStore(tmp.db('api.db'));
    sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, storeId: t.sb.storeId, store, logger: log.logger });
    sync.on('cycle', (r) => cycles.push(r));
    sync.on('operation', (o) => operations.push(o));
    sync.on('log', (l) => logEvents.push(l));
  });
  after(async () => {
    store.close();
    await t.close();
  });

  test('runOnce(): a full report; eligible orders created and acknowledged, malformed ones error-acked', async () => {
    expected = (await t.orders('acknowledgment=unacknowledged&status=waiting_shipment')).filter((o) => eligible(o, Date.now()));
    const goodAll = expected.filter((o) => !bad.includes(o.id));
    const report = await sync.runOnce();
    for (const k of REPORT_KEYS) assert.equal(typeof (/** @type {any} */ (report))[k], 'number', `report.${k}`);
    assert.equal(report.imported, goodAll.length);
    assert.equal(report.acknowledged, goodAll.length);
    assert.equal(report.failed, 2);
    assert.equal(report.errorAcknowledged, 2);
    assert.equal(report.sent, 0);
    assert.equal(report.pages, 1);
    assert.deepEqual(report.issues.map((i) => i.orderId).sort(), [...bad].sort());
    assert.ok(report.issues.every((i) => typeof i.message === 'string' && i.message.length > 0));
    assert.equal(report.requests, sync.requests);
    for (const id of good) assert.ok((await t.order(id)).acknowledgedAt, `order ${id} acknowledged`);
    const acks = acksByOrder(t.requests());
    for (const id of bad) assert.equal(acks.get(id)?.[0].status, 'error');
    // The shop side of the SQLite file: one shop order per good order.
    assert.equal(/** @type {any} */ (store).db.prepare('SELECT COUNT(*) FROM orders').pluck().get(), goodAll.length);
  });

  test("on('cycle') got that report; on('log') lines; the unsubscribe function works", async () => {
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0].imported, expected.length - bad.length);
    assert.ok(logEvents.length > 0);
    assert.ok(logEvents.every((l) => ['debug', 'info', 'warn', 'error'].includes(l.level) && typeof l.message === 'string'));
    const extra = /** @type {any[]} */ ([]);
    const off = sync.on('cycle', (r) => extra.push(r));
    const second = await sync.runOnce();
    off();
    await sync.runOnce();
    assert.equal(second.imported, 0);
    assert.equal(second.acknowledged, 0);
    assert.equal(extra.length, 1, 'the unsubscribed listener was called once');
    assert.equal(cycles.length, 3);
  });

  test('orders(): views of the journal; orders({needsAttention: true}) are the malformed ones', async () => {
    const all = await sync.orders();
    assert.equal(all.total, expected.length);
    assert.equal(all.orders.length, expected.length);
    const byId = new Map(all.orders.map((o) => [o.id, o]));
    for (const id of good) {
      const v = /** @type {any} */ (byId.get(id));
      assert.equal(v.acknowledged, true);
      assert.equal(v.state, 'acknowledged');
      assert.match(String(v.storeReference), /\S/);
      assert.equal(v.storeReference, (await t.order(id)).storeReference);
    }
    // needsAttention: failed imports/operations, and ship-by deadlines at risk or passed.
    const attention = await sync.orders({ needsAttention: true });
    const ids = attention.orders.map((o) => o.id);
    for (const id of bad) assert.ok(ids.includes(id), `malformed order ${id} needs attention`);
    for (const o of attention.orders) {
      assert.equal(o.needsAttention, true);
      if (bad.includes(o.id)) {
        assert.equal(o.acknowledged, false);
        assert.equal(o.state, 'failed');
        assert.match(String(o.lastError), /items/);
      } else {
        assert.ok(['at_risk', 'overdue'].includes(o.deadline.state), `order ${o.id} needs attention for its deadline (${o.deadline.state})`);
      }
    }
    const calm = all.orders.filter((o) => !ids.includes(o.id));
    assert.ok(calm.length > 0 && calm.every((o) => !o.needsAttention && o.state === 'acknowledged'));
  });

  test('ship(): recorded and sent once; a second ship is refused with code AlreadyShipped, nothing sent', async () => {
    const id = good[0];
    const op = await sync.ship(id, { carrier: 'UPS', trackingNumber: '1Z999AA10123456784', trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' });
    assert.equal(op.shoppingfeedId, id);
    assert.equal(op.state, 'sent');
    assert.match(String(op.batchId), /\S/);
    assert.equal(op.payload.operation, 'ship');
    assert.equal(operations.length, 1);
    assert.equal(operations[0].id, op.id);
    const posts = t.requests({ method: 'POST', path: '/order/ship' });
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0].body.order.map((/** @type {any} */ o) => [o.id, o.carrier, o.trackingNumber, o.trackingLink]),
      [[id, 'UPS', '1Z999AA10123456784', 'https://www.ups.com/track?tracknum=1Z999AA10123456784']]);

    await assert.rejects(sync.ship(id, { carrier: 'DHL', trackingNumber: 'JD014600006540', trackingUrl: 'https://dhl.example/x' }), (/** @type {any} */ e) => {
      assert.ok(e instanceof Error);
      assert.ok(isShoppingfeedError(e));
      assert.equal(e.code, 'AlreadyShipped');
      assert.match(e.message, /shipped/);
      return true;
    });
    await assert.rejects(sync.ship(good[1], { carrier: 'UPS', trackingNumber: '1Z999AA10123456784', trackingUrl: 'javascript:alert(1)' }), { code: 'TrackingUrlInvalid' });
    await assert.rejects(sync.ship(good[1], { carrier: 'UPS', trackingNumber: 'N/A' }), { code: 'TrackingNumberPlaceholder' });
    assert.equal(t.requests({ method: 'POST', path: '/order/ship' }).length, 1, 'nothing sent for the refused ones');
    assert.equal(operations.length, 1);

    // The next cycle follows the ticket to its end.
    const o = await until(async () => { const x = await t.order(id); return x.status === 'shipped' && x; }, 10_000, 'the ship ticket');
    assert.equal(o.shipment.trackingNumber, '1Z999AA10123456784');
    const r = await sync.runOnce();
    assert.equal(r.succeeded, 1);
    const view = (await sync.orders()).orders.find((x) => x.id === id);
    assert.equal(view?.shipment?.state, 'succeeded');
    assert.equal(view?.status, 'shipped');
  });

  test('the token is in no log line and no event', () => {
    assert.ok(log.lines.length > 0);
    for (const line of log.lines) {
      assert.ok(!line.includes(t.sb.token), line);
      JSON.parse(line);
    }
    assert.ok(!JSON.stringify(logEvents).includes(t.sb.token));
    assert.ok(!JSON.stringify(cycles).includes(t.sb.token));
    assert.ok(!JSON.stringify(operations).includes(t.sb.token));
  });
});

describe('storeId discovery through GET /v1/me', () => {
  test('several stores → error code AmbiguousStore naming them, nothing imported', async () => {
    const t = await sandbox({ orders: 5, seed: 32, stores: 3 });
    try {
      const stores = /** @type {any[]} */ ((await t.get('/v1/me'))._embedded.store);
      assert.equal(stores.length, 3);
      /** @type {any} */
      const store = new MemoryStore();
      const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, store, logger: false });
      await assert.rejects(sync.runOnce(), (/** @type {any} */ e) => {
        assert.ok(isShoppingfeedError(e));
        assert.equal(e.code, 'AmbiguousStore');
        for (const s of stores) {
          assert.ok(e.message.includes(String(s.id)), `names store ${s.id}`);
          assert.ok(e.message.includes(s.name), `names ${s.name}`);
        }
        assert.deepEqual(/** @type {any[]} */ (e.stores).map((s) => s.id).sort(), stores.map((s) => s.id).sort());
        return true;
      });
      assert.equal(t.requests({ path: '/order' }).length, 0, 'no order listed');
      assert.equal(store.orders.size, 0);
    } finally {
      await t.close();
    }
  });

  test('one store → discovered, the cycle runs on it', async () => {
    const t = await sandbox({ orders: 30, seed: 33 });
    try {
      const ids = t.create([{ channel: 'bol', count: 4 }]);
      /** @type {any} */
      const store = new MemoryStore();
      const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, store, logger: false });
      const r = await sync.runOnce();
      assert.ok(r.imported >= 4);
      const reqs = t.requests();
      assert.equal(reqs[0].path, '/v1/me');
      assert.ok(reqs.slice(1).every((q) => q.path.startsWith(`/v1/store/${t.sb.storeId}/`)), 'every later call is on the discovered store');
      for (const id of ids) assert.ok(store.orders.has(id), `order ${id} in the store`);
    } finally {
      await t.close();
    }
  });
});

describe('the `http` option: the host HTTP layer carries every request', () => {
  for (const kind of ['Response', 'plain object']) {
    test(`http returning a ${kind}`, async () => {
      const t = await sandbox({ orders: 40, seed: 34 });
      try {
        const ids = t.create([{ channel: 'amazon', count: 3 }]);
        /** @type {{method: string, url: string, auth: string}[]} */
        const seen = [];
        /** @type {import('shoppingfeed-orders').OrderSyncOptions['http']} */
        const http = async (req) => {
          seen.push({ method: req.method, url: req.url, auth: req.headers.Authorization ?? req.headers.authorization ?? '' });
          const res = await fetch(req.url, { method: req.method, headers: req.headers, body: /** @type {any} */ (req.body) });
          if (kind === 'Response') return res;
          const headers = /** @type {Record<string, string>} */ ({});
          res.headers.forEach((v, k) => { headers[k] = v; });
          return { status: res.status, headers, body: await res.text() };
        };
        const store = new MemoryStore();
        const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, store, http, logger: false });
        t.sb.control.clearRequests();
        const r = await sync.runOnce();
        assert.ok(r.imported >= 3);
        const op = await sync.ship(ids[0], { carrier: 'DPD', trackingNumber: '01234567890123', trackingUrl: 'https://tracking.dpd.de/status/01234567890123' });
        assert.equal(op.state, 'sent');
        const logged = t.requests();
        assert.ok(seen.length >= 4, `${seen.length} calls`);
        assert.deepEqual(seen.map((s) => `${s.method} ${new URL(s.url).pathname}`), logged.map((q) => `${q.method} ${q.path}`), 'every request the sandbox saw went through the host function, in order');
        assert.ok(seen.every((s) => s.url.startsWith(t.sb.url) && s.auth === `Bearer ${t.sb.token}`));
        // `requests` counts the engine's calls; the store discovery (GET /v1/me) is made before the engine exists.
        assert.equal(seen[0].url, `${t.sb.url}/v1/me`);
        assert.equal(sync.requests, seen.length - 1);
      } finally {
        await t.close();
      }
    });
  }
});

test('start({everyMinutes}) runs cycles until stop(), which waits for the running one', async () => {
  const t = await sandbox({ orders: 10, seed: 35 });
  try {
    t.create([{ channel: 'zalando', count: 2 }]);
    const store = new MemoryStore();
    const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, storeId: t.sb.storeId, store, logger: false });
    /** @type {any[]} */ const cycles = [];
    sync.on('cycle', (r) => cycles.push(r));
    sync.start({ everyMinutes: 0.002 });
    await until(() => cycles.length >= 2, 20_000, 'two cycles');
    t.sb.control.injectFault({ kind: 'slow', delayMs: 500, method: 'GET', path: '/order' });
    await until(() => t.requests().some((q) => q.fault === 'slow'), 20_000, 'a cycle in flight');
    const n = cycles.length;
    await sync.stop();
    assert.equal(cycles.length, n + 1, 'the running cycle ended before stop() resolved');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cycles.length, n + 1, 'no cycle after stop()');
    assert.ok(cycles[0].imported >= 2);
  } finally {
    await t.close();
  }
});

test('cycles never overlap: same sync → CycleInProgress; two syncs on one SQLite file → Locked, each order created once', async () => {
  const t = await sandbox({ orders: 10, seed: 36 });
  const file = tmp.db('overlap.db');
  const stores = [new SqliteStore(file), new SqliteStore(file)];
  try {
    const ids = t.create([{ channel: 'amazon', count: 150 }, { channel: 'bol', count: 150 }]);
    const [a, b] = stores.map((store) => createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, storeId: t.sb.storeId, store, logger: false }));
    const both = await Promise.allSettled([a.runOnce(), b.runOnce()]);
    const done = /** @type {PromiseFulfilledResult<any>[]} */ (both.filter((x) => x.status === 'fulfilled'));
    const refused = /** @type {PromiseRejectedResult[]} */ (both.filter((x) => x.status === 'rejected'));
    assert.equal(done.length, 1);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].reason.code, 'Locked');
    assert.ok(done[0].value.imported >= 300);
    const same = await Promise.allSettled([a.runOnce(), a.runOnce()]);
    assert.equal(same.filter((x) => x.status === 'fulfilled').length, 1);
    assert.equal(/** @type {any} */ (same.find((x) => x.status === 'rejected')).reason.code, 'CycleInProgress');
    // After the lock is released the other one runs and finds nothing to do.
    assert.equal((await b.runOnce()).imported, 0);
    const rows = /** @type {any} */ (stores[0]).db.prepare('SELECT shoppingfeed_id FROM orders').pluck().all();
    assert.equal(new Set(rows).size, rows.length);
    for (const id of ids) assert.ok(rows.includes(id));
    assert.ok([...acksByOrder(t.requests()).values()].every((l) => l.length === 1), 'each order acknowledged once');
  } finally {
    for (const s of stores) s.close();
    await t.close();
  }
});

test('network errors beyond the retries: runOnce rejects with the report of what was done; nothing is undone', async () => {
  const t = await sandbox({ orders: 10, seed: 37 });
  const store = new SqliteStore(tmp.db('giveup-api.db'));
  try {
    const ids = t.create([{ channel: 'manomano', count: 25 }]);
    const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 50 };
    const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, storeId: t.sb.storeId, store, logger: false, retry });
    /** @type {any[]} */ const errors = [];
    sync.on('error', (e) => errors.push(e));
    t.sb.control.injectFault({ kind: 'reset', count: 100, method: 'POST', path: '/order/acknowledge' });
    const err = await sync.runOnce().then(() => null, (e) => e);
    assert.ok(err, 'the cycle failed');
    assert.ok(isShoppingfeedError(err), `${err.name}: ${err.message}`);
    assert.equal(errors.length, 1, "on('error') got it");
    assert.ok(err.report, 'the error carries the report');
    assert.ok(err.report.imported >= 25, `imported ${err.report.imported} before giving up`);
    assert.equal(err.report.acknowledged, 0);
    const tries = t.requests({ method: 'POST' }).length;
    assert.ok(tries >= 3 && tries <= 12, `bounded retries (${tries})`);
    t.sb.control.clearFaults();
    const again = await sync.runOnce();
    assert.equal(again.imported, 0, 'the kept orders are not created again');
    assert.equal(again.acknowledged, err.report.imported);
    const left = (await t.orders('acknowledgment=unacknowledged')).filter((o) => ids.includes(o.id));
    assert.deepEqual(left, []);

    // The API host down altogether: a clear error, quickly, the store untouched.
    const down = createOrderSync({ apiUrl: 'http://127.0.0.1:9', token: t.sb.token, storeId: t.sb.storeId, store, logger: false, retry });
    const e2 = await down.runOnce().then(() => null, (e) => e);
    assert.ok(isShoppingfeedError(e2), String(e2));
    assert.ok(!String(e2.message).includes(t.sb.token));
    assert.equal(/** @type {any} */ (store).db.prepare('SELECT COUNT(*) FROM orders').pluck().get(), err.report.imported);
  } finally {
    store.close();
    await t.close();
  }
});

test('Shoppingfeed applies acknowledgements when their tickets run: a cycle started before that sends none again', async () => {
  // Tickets start a minute after they are queued, on the sandbox's clock: the second cycle below runs
  // while every acknowledge of the first is still waiting.
  const t = await sandbox({ orders: 0, seed: 38, ticketDelays: { start: 60_000, finish: 61_000 } });
  const store = new SqliteStore(tmp.db('ack-in-flight.db'));
  try {
    const ids = t.create([{ channel: 'amazon', count: 150 }]);
    const sync = createOrderSync({ apiUrl: t.sb.url, token: t.sb.token, storeId: t.sb.storeId, store, logger: false });
    const first = await sync.runOnce();
    assert.equal(first.acknowledged, first.imported);
    assert.ok(first.imported >= 150, JSON.stringify(first));
    const stillListed = (await t.orders('acknowledgment=unacknowledged')).filter((o) => ids.includes(o.id));
    assert.equal(stillListed.length, ids.length, 'the sandbox has not applied them yet');

    const second = await sync.runOnce();
    assert.deepEqual([second.imported, second.acknowledged, second.reacknowledged], [0, 0, 0], JSON.stringify(second));
    assert.equal(second.ackInFlight, first.acknowledged);
    const ticketReads = t.requests({ method: 'GET', path: '/ticket' }).filter((r) => r.query?.batchId);
    assert.equal(ticketReads.length, Math.ceil(first.acknowledged / 100), 'one ticket read per acknowledge batch');

    // Once the tickets have run nothing is listed, nothing is read or sent.
    t.sb.control.advance({ minutes: 2 });
    const third = await sync.runOnce();
    assert.deepEqual([third.imported, third.acknowledged, third.ackInFlight], [0, 0, 0], JSON.stringify(third));
    const acks = acksByOrder(t.requests());
    for (const id of ids) assert.equal(acks.get(id)?.length, 1, `order ${id} acknowledged once`);
  } finally {
    store.close();
    await t.close();
  }
});
