// @ts-check
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { boot, marketOrder } from './helpers.js';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ orders: 30 });
});
after(() => t.s.close());

async function inject(/** @type {Record<string, unknown>} */ spec) {
  const r = await fetch(`${t.s.url}/_sandbox/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
  return { status: r.status, body: await r.json() };
}

const me = () => fetch(`${t.s.url}/v1/me`, { headers: { Authorization: `Bearer ${t.s.token}` } });

describe('injected faults for the next N requests', () => {
  test('rate-limit: 429 problem+json with X-RateLimit-Wait in float seconds, then normal', async () => {
    const f = await inject({ kind: 'rate-limit', count: 2, waitSeconds: 0.25 });
    assert.equal(f.status, 201);
    assert.equal(f.body.remaining, 2);
    for (let i = 0; i < 2; i++) {
      const r = await me();
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('x-ratelimit-wait'), '0.250');
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal((await r.json()).status, 429);
    }
    assert.equal((await me()).status, 200);
  });

  test('server-error: the chosen 5xx; `5xx` and `429` are accepted as kinds', async () => {
    await inject({ kind: 'server-error', status: 502 });
    await inject({ kind: '5xx' });
    await inject({ kind: '429' });
    const a = await me();
    assert.equal(a.status, 502);
    assert.equal((await a.json()).status, 502);
    assert.equal((await me()).status, 503);
    assert.equal((await me()).status, 429);
    assert.equal((await me()).status, 200);
  });

  test('server-error after processing: the operation went through although the client saw a 500', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    await inject({ kind: 'server-error', status: 500, afterProcessing: true, path: '/order/acknowledge' });
    const r = await t.post('order/acknowledge', { order: [{ id: o.id, storeReference: 'GHOST' }] });
    assert.equal(r.status, 500);
    t.settle();
    const v = (await t.get(`order/${o.id}`)).body;
    assert.equal(v.storeReference, 'GHOST');
  });

  test('slow: the answer comes after the delay', async () => {
    await inject({ kind: 'slow', delayMs: 300 });
    const start = performance.now();
    const r = await me();
    assert.equal(r.status, 200);
    await r.json();
    assert.ok(performance.now() - start >= 280, 'delayed');
    const fast = performance.now();
    await (await me()).json();
    assert.ok(performance.now() - fast < 280);
  });

  test('truncate: the body is cut short and the connection dropped', async () => {
    await inject({ kind: 'truncate' });
    const r = await fetch(`${t.s.url}/v1/store/${t.s.storeId}/order?limit=50`, { headers: { Authorization: `Bearer ${t.s.token}` } });
    assert.equal(r.status, 200);
    await assert.rejects(r.text());
    assert.equal((await me()).status, 200);
  });

  test('reset: the connection is reset without an answer', async () => {
    await inject({ kind: 'reset' });
    await assert.rejects(me(), (/** @type {any} */ err) => err instanceof TypeError);
    assert.equal((await me()).status, 200);
  });

  test('reset after processing: the ship happened, the client only saw the connection die', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    await inject({ kind: 'reset', afterProcessing: true, method: 'POST' });
    await assert.rejects(t.post('order/ship', { order: [{ id: o.id, carrier: 'DHL', trackingNumber: 'R1' }] }));
    t.settle();
    assert.equal((await t.get(`order/${o.id}`)).body.status, 'shipped');
  });

  test('method/path filters target requests; control endpoints and preflights are never faulted', async () => {
    await inject({ kind: 'server-error', method: 'GET', path: '/ticket' });
    assert.equal((await me()).status, 200);
    assert.equal((await fetch(`${t.s.url}/_sandbox/clock`)).status, 200);
    assert.equal((await fetch(`${t.s.url}/v1/me`, { method: 'OPTIONS' })).status, 204);
    const pending = (await (await fetch(`${t.s.url}/_sandbox/faults`)).json()).faults;
    assert.equal(pending.length, 1);
    assert.equal((await t.get('ticket')).status, 503);
    assert.deepEqual((await (await fetch(`${t.s.url}/_sandbox/faults`)).json()).faults, []);
  });

  test('faults can be listed and cleared; bad specs are 400', async () => {
    await inject({ kind: 'slow', count: 5 });
    const cleared = await fetch(`${t.s.url}/_sandbox/faults`, { method: 'DELETE' });
    assert.deepEqual((await cleared.json()).faults, []);
    assert.equal((await me()).status, 200);
    for (const [spec, field] of [[{ kind: 'explode' }, 'kind'], [{ kind: 'slow', count: 0 }, 'count'], [{ kind: 'server-error', status: 404 }, 'status'], [{ kind: 'slow', delayMs: -1 }, 'delayMs']]) {
      const r = await inject(/** @type {any} */ (spec));
      assert.equal(r.status, 400);
      assert.equal(r.body.invalidParams[0].name, field);
    }
  });
});

describe('rate limit option', () => {
  test('beyond N requests per second: 429 with X-RateLimit-Wait, then allowed again after waiting', async () => {
    const limited = await boot({ orders: 5, rateLimit: 5 });
    try {
      /** @type {Response[]} */
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await fetch(`${limited.s.url}/v1/me`, { headers: { Authorization: `Bearer ${limited.s.token}` } }));
      const codes = answers.map((r) => r.status);
      assert.ok(codes.slice(0, 5).every((c) => c === 200), codes.join());
      const throttled = answers.find((r) => r.status === 429);
      assert.ok(throttled, codes.join());
      const wait = Number(throttled.headers.get('x-ratelimit-wait'));
      assert.ok(wait > 0 && wait <= 0.2, `wait ${wait}`);
      assert.match(/** @type {string} */ (throttled.headers.get('x-ratelimit-wait')), /^\d+\.\d+$/);
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      await new Promise((res) => setTimeout(res, Math.ceil(wait * 1000) + 20));
      assert.equal((await fetch(`${limited.s.url}/v1/me`, { headers: { Authorization: `Bearer ${limited.s.token}` } })).status, 200);
    } finally {
      await limited.s.close();
    }
  });
});

describe('request log', () => {
  test('method, path, query, status, timestamps and POST bodies; never the token; passwords masked', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    await fetch(`${t.s.url}/_sandbox/requests`, { method: 'DELETE' });
    await t.get(`order?status=waiting_shipment&limit=3`);
    await t.post('order/acknowledge', { order: [{ id: o.id, storeReference: 'LOG-1' }] });
    await fetch(`${t.s.url}/v1/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'sandbox', password: 'sandbox' }) });
    await fetch(`${t.s.url}/v1/me?token=${t.s.token}`, { headers: { Authorization: `Bearer ${t.s.token}` } });
    await fetch(`${t.s.url}/v1/me`);
    const res = await fetch(`${t.s.url}/_sandbox/requests`);
    const text = await res.text();
    assert.ok(!text.includes(t.s.token), 'the token never appears in the log');
    const log = JSON.parse(text).requests;
    assert.equal(log.length, 5);
    const [list, ack, auth, withQueryToken, denied] = log;
    assert.equal(list.method, 'GET');
    assert.equal(list.path, `/v1/store/${t.s.storeId}/order`);
    assert.deepEqual(list.query, { status: 'waiting_shipment', limit: '3' });
    assert.equal(list.status, 200);
    assert.match(list.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.equal(list.sandboxTime, t.s.control.clock().now);
    assert.equal(typeof list.durationMs, 'number');
    assert.equal(list.body, undefined);
    assert.equal(ack.status, 202);
    assert.deepEqual(ack.body, { order: [{ id: o.id, storeReference: 'LOG-1' }] });
    assert.equal(auth.body.password, '[redacted]');
    assert.equal(withQueryToken.query.token, '[redacted]');
    assert.equal(denied.status, 403);
    assert.ok(ack.seq > list.seq);
    const since = await (await fetch(`${t.s.url}/_sandbox/requests?since=${ack.seq}&method=GET`)).json();
    assert.deepEqual(since.requests.map((/** @type {any} */ e) => e.status), [200, 403]);
  });

  test('faults are logged with their kind', async () => {
    await fetch(`${t.s.url}/_sandbox/requests`, { method: 'DELETE' });
    await inject({ kind: 'rate-limit' });
    await me();
    const log = (await (await fetch(`${t.s.url}/_sandbox/requests`)).json()).requests;
    assert.equal(log[0].status, 429);
    assert.equal(log[0].fault, 'rate-limit');
  });
});
