// @ts-check
// An order id above Number.MAX_SAFE_INTEGER crossing into a JS host (the built Node package): it fails
// alone; the rest of the page is imported and acknowledged, the pending shipment goes out, and the
// report still crosses. The sandbox (JS numbers) cannot hold such an id, so the host's http function
// splices one raw order text into the list it serves, as the API would send it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../sandbox/index.js';
import { memoryStore } from './plain-store.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
/** @type {any} */
const engine = require(`${root}pkg/nodejs/shoppingfeed_orders.js`);

/** 2^53 + 1: as a JS number it reads 2^53. */
const HUGE = '9007199254740993';


/** @type {Awaited<ReturnType<typeof startSandbox>>} */
let sandbox;
before(async () => { sandbox = await startSandbox({ orders: 0, seed: 5, clock: 'manual' }); });
after(async () => { await sandbox?.close(); });

test('an order id above 2^53 - 1 fails alone; the page is imported, acknowledged, the shipment sent', async () => {
  const store = memoryStore();
  /** What the API recorded of error acknowledgements for the raw order (`errors[]`). */
  /** @type {any[]} */
  const rawErrors = [];
  /** @type {string|null} */
  let raw = null;
  let shipDown = false;
  /** @type {string[]} */
  const errorAckBodies = [];
  const http = async (/** @type {any} */ req) => {
    if (shipDown && /\/order\/ship$/.test(req.url)) throw new Error('connect ECONNREFUSED');
    if (req.method === 'POST' && /\/order\/acknowledge$/.test(req.url) && req.body.includes(HUGE)) {
      // The sandbox cannot hold this id (it would refuse the call with a 400); the API that served it
      // takes it and records the message in the order's errors.
      errorAckBodies.push(req.body);
      const entries = JSON.parse(req.body).order;
      assert.equal(entries.length, 1, 'sent in a call of its own');
      rawErrors.push({ type: 'acknowledge', message: entries[0].message, occurredAt: new Date().toISOString() });
      return { status: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'batch-huge' }) };
    }
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    let body = await res.text();
    if (raw && req.method === 'GET' && req.url.includes('acknowledgment=unacknowledged') && body.includes('"order":[')) {
      const order = raw.replace('"__ERRORS__"', JSON.stringify(rawErrors));
      body = body.includes('"order":[]') ? body.replace('"order":[]', `"order":[${order}]`) : body.replace('"order":[', `"order":[${order},`);
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), body };
  };
  /** @type {any[]} */
  const logs = [];
  const sync = new engine.SyncEngine(
    { apiUrl: sandbox.url, token: sandbox.token, storeId: sandbox.storeId, retry: { baseDelayMs: 1, maxAttempts: 2 }, logLevel: 'debug' },
    { store, http, log: (/** @type {any} */ r) => logs.push(r) },
  );
  sandbox.control.createOrders({ channel: 'manomano', count: 1 }, { importNow: true });
  const first = await sync.runCycle();
  assert.equal(first.imported, 1, JSON.stringify(first));
  const [shipped] = store.orders.keys();
  // The shipment is recorded while the API is unreachable: it waits for the next cycle.
  shipDown = true;
  const op = await sync.ship(shipped, { carrier: 'DPD', trackingNumber: '250012345678', trackingUrl: 'https://trace.dpd.fr/trace/250012345678' });
  assert.notEqual(op.state, 'sent');
  shipDown = false;

  // Three new orders, and the raw one built from a real sandbox order with the huge id.
  sandbox.control.createOrders({ channel: 'manomano', count: 3 }, { importNow: true });
  const listed = await (await fetch(`${sandbox.url}/v1/store/${sandbox.storeId}/order?acknowledgment=unacknowledged&limit=1`, { headers: { authorization: `Bearer ${sandbox.token}` } })).json();
  const template = { ...listed._embedded.order[0], id: '__ID__', reference: 'HUGE-1', errors: '__ERRORS__' };
  raw = JSON.stringify(template).replace('"__ID__"', HUGE);

  const r = await sync.runCycle();
  assert.equal(r.imported, 3, JSON.stringify(r));
  assert.equal(r.acknowledged, 3);
  assert.equal(r.failed, 1);
  assert.equal(r.errorAcknowledged, 1);
  assert.equal(errorAckBodies.length, 1);
  assert.match(errorAckBodies[0], new RegExp(`"id":${HUGE},`), 'the exact id is sent back');
  assert.match(errorAckBodies[0], /"status":"error"/);
  const issue = r.issues.find((/** @type {any} */ i) => i.message.includes(HUGE));
  assert.ok(issue, JSON.stringify(r.issues));
  assert.equal(issue.orderId, null);
  assert.equal(issue.reference, 'HUGE-1');
  assert.equal(issue.code, 'Malformed');
  const shipOp = [...store.ops.values()].find((o) => o.shoppingfeedId === shipped);
  assert.equal(shipOp.state, 'sent', JSON.stringify(shipOp));
  assert.equal(store.orders.size, 4);
  assert.ok(logs.some((l) => l.message.includes(HUGE) && l.orderId === null), 'logged, without an id JS cannot hold');

  // Offered again: reported, not error-acknowledged again (the API has the message in errors[]).
  const again = await sync.runCycle();
  assert.equal(again.failed, 1, JSON.stringify(again));
  assert.equal(again.errorAcknowledged, 0);
  assert.equal(errorAckBodies.length, 1);
});
