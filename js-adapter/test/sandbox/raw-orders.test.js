// @ts-check
// Raw orders: an id above 2^53 - 1, which the sandbox's JS numbers cannot hold, served as text.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { boot, marketOrder } from './helpers.js';

const HUGE = '9007199254740993';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ orders: 0 });
});
after(() => t.s.close());

/** The body text of a GET (parsed JSON would round the id). */
async function text(/** @type {string} */ path) {
  const res = await fetch(`${t.s.url}/v1/store/${t.s.storeId}/${path}`, { headers: { Authorization: `Bearer ${t.s.token}` } });
  assert.equal(res.status, 200, path);
  return res.text();
}

test('listed at the head of the first page of matching lists, with its exact digits; served by GET', async () => {
  const template = await marketOrder(t, { channel: 'manomano' });
  await marketOrder(t, { channel: 'manomano' });
  const view = t.s.control.serveRawOrder({ id: HUGE, order: { ...template, reference: 'HUGE-1' } });
  assert.deepEqual([view.id, view.reference, view.status, view.acknowledgedAt], [HUGE, 'HUGE-1', 'waiting_shipment', null]);

  const page = await text('order?acknowledgment=unacknowledged&status=waiting_shipment&limit=1');
  assert.ok(page.includes(`"order":[{"id":${HUGE},`), 'first entry, the id as digits');
  const parsed = JSON.parse(page);
  assert.equal(parsed.total, 3);
  assert.equal(parsed.count, 2, 'beyond limit: a test shape, not a paging rule');
  assert.equal(parsed._embedded.order[0].reference, 'HUGE-1');
  assert.deepEqual(parsed._embedded.order[0].errors, []);
  assert.equal(parsed._embedded.order[0]._links.self.href, `/v1/store/${t.s.storeId}/order/${HUGE}`);
  assert.ok(!(await text('order?acknowledgment=unacknowledged&limit=1&page=2')).includes(HUGE), 'first page only');
  assert.ok(!(await text('order?status=shipped')).includes(HUGE), 'other statuses do not list it');
  assert.ok(!(await text('order?acknowledgment=acknowledged')).includes(HUGE));
  assert.ok((await text(`order/${HUGE}`)).startsWith(`{"id":${HUGE},`));
  assert.throws(() => t.s.control.serveRawOrder({ id: '19777592554', order: template }), /createOrders/);
  assert.throws(() => t.s.control.serveRawOrder({ id: HUGE, order: template }), /already served/);
});

test('acknowledged by its digits, from the request text: error appends to errors, success acknowledges it', async () => {
  const other = (await t.get('order?acknowledgment=unacknowledged&status=waiting_shipment&limit=200')).body._embedded.order.find((/** @type {any} */ o) => Number.isSafeInteger(o.id) && o.reference !== 'HUGE-1');
  const body = (/** @type {string} */ entries) => ({ method: 'POST', headers: { Authorization: `Bearer ${t.s.token}`, 'Content-Type': 'application/json' }, body: `{"order":[${entries}]}` });
  const url = `${t.s.url}/v1/store/${t.s.storeId}/order/acknowledge`;
  const err = await fetch(url, body(`{"id":${HUGE},"status":"error","storeReference":"","message":"id too large for the shop"}`));
  assert.equal(err.status, 202);
  assert.equal((await err.json()).report.length, 0);
  const listed = JSON.parse(await text('order?acknowledgment=unacknowledged&limit=1'))._embedded.order[0];
  assert.deepEqual(listed.errors.map((/** @type {any} */ e) => [e.type, e.message]), [['acknowledge', 'id too large for the shop']]);

  // Beside an ordinary entry: the raw one applied at once, the other through its ticket.
  const both = await fetch(url, body(`{"id":${HUGE},"status":"success","storeReference":"S-9"},{"id":${other.id},"status":"success","storeReference":"S-1"}`));
  assert.equal(both.status, 202);
  t.settle();
  assert.ok(!(await text('order?acknowledgment=unacknowledged')).includes(HUGE));
  assert.ok((await text('order?acknowledgment=acknowledged')).includes(`{"id":${HUGE},`));
  assert.equal((await t.get(`order/${other.id}`)).body.storeReference, 'S-1');
  const [raw] = t.s.control.rawOrders().orders;
  assert.deepEqual(raw.acks.map((/** @type {any} */ a) => [a.status, a.storeReference, a.message]), [['error', '', 'id too large for the shop'], ['success', 'S-9', null]]);
  assert.notEqual(raw.acknowledgedAt, null);
});
