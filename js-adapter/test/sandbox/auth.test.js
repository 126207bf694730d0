// @ts-check
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { boot } from './helpers.js';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ stores: [{ orders: 30 }, { orders: 5, name: 'Second store' }], username: 'merchant', password: 's3cret' });
});
after(() => t.s.close());

const problemShape = (/** @type {any} */ body, /** @type {number} */ status) => {
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.type, 'string');
  assert.equal(typeof body.detail, 'string');
};

describe('bearer token', () => {
  test('a missing token gets 403 problem+json "Service not authorized"', async () => {
    const r = await fetch(`${t.s.url}/v1/me`);
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    const body = await r.json();
    problemShape(body, 403);
    assert.equal(body.detail, 'Service not authorized');
  });

  test('a wrong token, or a non-Bearer scheme, gets the same 403', async () => {
    for (const header of [`Bearer ${'0'.repeat(40)}`, `Basic ${t.s.token}`, t.s.token, `Bearer ${t.s.token}x`]) {
      const r = await t.get('/v1/me', { Authorization: header });
      assert.equal(r.status, 403, header.slice(0, 8));
      assert.equal(r.body.detail, 'Service not authorized');
    }
  });

  test('a store the token does not see is 403, not a leak of its existence', async () => {
    const r = await t.get('/v1/store/1/order');
    assert.equal(r.status, 403);
    assert.equal(r.body.detail, 'Service not authorized');
  });

  test('GET /v1/ping answers without a token', async () => {
    const r = await fetch(`${t.s.url}/v1/ping`);
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.match(body.timestamp, /^2025-06-02T14:00:00\+02:00$/);
  });
});

describe('POST /v1/auth', () => {
  const auth = (/** @type {unknown} */ body) => fetch(`${t.s.url}/v1/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  test('password grant returns the account token, which then works', async () => {
    const r = await auth({ grant_type: 'password', username: 'merchant', password: 's3cret' });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.access_token, t.s.token);
    const me = await t.get('/v1/me', { Authorization: `Bearer ${body.access_token}` });
    assert.equal(me.status, 200);
  });

  test('another grant type is 400 "Invalid grant type"', async () => {
    const r = await auth({ grant_type: 'authorization_code', code: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal((await r.json()).detail, 'Invalid grant type');
  });

  test('a wrong password is 401 "Invalid username or password"', async () => {
    const r = await auth({ grant_type: 'password', username: 'merchant', password: 'nope' });
    assert.equal(r.status, 401);
    const body = await r.json();
    problemShape(body, 401);
    assert.equal(body.detail, 'Invalid username or password');
  });

  test('GET on /v1/auth is 405 with Allow', async () => {
    const r = await fetch(`${t.s.url}/v1/auth`);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
  });
});

describe('session and stores', () => {
  test('GET /v1/me embeds the account and every store of the token', async () => {
    const r = await t.get('/v1/me');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/hal\+json/);
    assert.equal(r.body.login, 'merchant');
    assert.deepEqual(r.body.roles, ['user']);
    assert.equal(typeof r.body._embedded.account.id, 'number');
    const stores = r.body._embedded.store;
    assert.deepEqual(stores.map((/** @type {any} */ s) => s.id), t.s.storeIds);
    assert.equal(stores.length, 2);
    assert.equal(stores[1].name, 'Second store');
    for (const s of stores) {
      assert.equal(s.status, 'active');
      assert.equal(s._links.order.href, `/v1/store/${s.id}/order{/operation}`);
      assert.equal(s._links.order.templated, true);
      assert.equal(s._links.ticket.href, `/v1/store/${s.id}/ticket`);
    }
  });

  test('GET /v1/store/{id} describes the store with its new-order count of the last 24 h', async () => {
    const r = await t.get(`/v1/store/${t.s.storeId}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.id, t.s.storeId);
    for (const k of ['name', 'customName', 'status', 'email', 'country', 'currency', 'subscriptionPlan', 'createdAt', 'deletedAt', 'feed']) assert.ok(k in r.body, k);
    assert.equal(r.body._embedded.order.storeId, t.s.storeId);
    const since = new Date(Date.parse('2025-06-02T12:00:00Z') - 86_400_000).toISOString();
    const recent = await t.get(`order?since=${since}&limit=1`);
    assert.equal(r.body._embedded.order.newCount, recent.body.total);
    assert.ok(r.body._embedded.order.newCount > 0);
  });

  test('GET /v1/channel/{id} gives the channel; unknown is 404', async () => {
    const r = await t.get('/v1/channel/259');
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'Monechelle');
    assert.equal(r.body._links.self.href, '/v1/channel/259');
    assert.equal((await t.get('/v1/channel/4')).status, 404);
  });

  test('unknown routes are 404 problem+json', async () => {
    const r = await t.get('/v1/nothing-here');
    assert.equal(r.status, 404);
    problemShape(r.body, 404);
    assert.equal((await t.get('/v2/me')).status, 404);
    assert.equal((await t.get('order/12/nothing')).status, 404);
  });
});

describe('CORS for browser clients', () => {
  test('preflight OPTIONS is 204 with the allowed headers, without a token', async () => {
    const r = await fetch(`${t.s.url}/v1/store/${t.s.storeId}/order/ship`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8000', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    const allowed = (r.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    assert.match(allowed, /authorization/);
    assert.match(allowed, /content-type/);
  });

  test('every answer carries CORS headers: success, error, control, and X-RateLimit-Wait is exposed', async () => {
    for (const r of [await fetch(`${t.s.url}/v1/me`), await fetch(`${t.s.url}/v1/ping`), await fetch(`${t.s.url}/_sandbox/clock`)]) {
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      await r.arrayBuffer();
    }
    const r = await fetch(`${t.s.url}/v1/me`);
    assert.match(r.headers.get('access-control-expose-headers') ?? '', /X-RateLimit-Wait/);
  });
});
