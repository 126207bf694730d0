// @ts-check
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { boot, marketOrder } from './helpers.js';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ orders: 20, ticketDelays: { start: 5_000, finish: 60_000 } });
});
after(() => t.s.close());

describe('ticket lifecycle driven by the sandbox clock', () => {
  test('scheduled -> running -> succeed | failed, with meta.processing until all are done', async () => {
    const good = await marketOrder(t, { channel: 'amazon' });
    const bad = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment' });
    const r = await t.post('order/ship', {
      order: [
        { id: good.id, carrier: 'DHL', trackingNumber: 'G1', trackingLink: '', items: [] },
        { id: bad.id, carrier: 'DHL', trackingNumber: 'B1', trackingLink: '', items: [] },
      ],
    });
    const href = r.body._links.ticket.href;
    let page = (await t.get(href)).body;
    assert.equal(page.meta.processing, true);
    assert.deepEqual(page._embedded.ticket.map((/** @type {any} */ x) => x.state), ['scheduled', 'scheduled']);
    const first = page._embedded.ticket[0];
    assert.equal(first.batchId, r.body.id);
    assert.equal(first.startedAt, null);
    assert.equal(first.finishedAt, null);
    assert.equal(first.scheduledAt, '2025-06-02T14:00:00+02:00');
    assert.deepEqual({ id: first.payload.id, reference: first.payload.reference, channel: first.payload.channel }, { id: good.id, reference: good.reference, channel: 'Amazon' });

    t.s.control.advance({ seconds: 5 });
    page = (await t.get(href)).body;
    assert.deepEqual(page._embedded.ticket.map((/** @type {any} */ x) => x.state), ['running', 'running']);
    assert.equal(page._embedded.ticket[0].startedAt, '2025-06-02T14:00:05+02:00');
    assert.equal(page.meta.processing, true);
    assert.equal((await t.get(`order/${good.id}`)).body.status, 'waiting_shipment', 'nothing changes before the marketplace answers');

    t.s.control.advance({ seconds: 55 });
    page = (await t.get(href)).body;
    assert.equal(page.meta.processing, false);
    const [g, b] = page._embedded.ticket;
    assert.equal(g.state, 'succeed');
    assert.equal(g.finishedAt, '2025-06-02T14:01:00+02:00');
    assert.deepEqual(g.errors, []);
    assert.equal(b.state, 'failed');
    assert.deepEqual(b.errors, [{ code: 'tracking_url_required', message: 'CDiscount requires a tracking URL' }]);
    assert.equal((await t.get(`order/${good.id}`)).body.status, 'shipped');
  });

  test('GET ticket/{id} returns one ticket; an unknown id is 404', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    const r = await t.post('order/acknowledge', { order: [{ id: o.id, storeReference: 'X' }] });
    const list = (await t.get(`ticket?batchId=${r.body.id}`)).body;
    const id = list._embedded.ticket[0].id;
    const one = await t.get(`ticket/${id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, id);
    assert.equal(one.body.type, 'order.acknowledge');
    assert.equal(one.body._links.self.href, `/v1/store/${t.s.storeId}/ticket/${id}`);
    const missing = await t.get('ticket/0000000000000000deadbeef');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  });
});

describe('ticket list filters', () => {
  test('batchId, type, state (incl. processing/processed), payloadId; paging and meta', async () => {
    const o1 = await marketOrder(t, { channel: 'amazon' });
    const o2 = await marketOrder(t, { channel: 'amazon' });
    const ack = await t.post('order/acknowledge', { order: [{ id: o1.id, storeReference: 'A' }, { id: o2.id, storeReference: 'B' }] });
    t.settle();
    const cancel = await t.post('order/cancel', { order: [{ id: o1.id }] });

    const byBatch = (await t.get(`ticket?batchId=${ack.body.id}`)).body;
    assert.equal(byBatch.total, 2);
    assert.equal(byBatch.meta.processing, false);
    const ofCancel = (await t.get(`ticket?batchId=${cancel.body.id}`)).body;
    assert.equal(ofCancel.meta.processing, true);

    const byType = (await t.get('ticket?type=order.notify.cancellation&limit=200')).body;
    assert.ok(byType._embedded.ticket.every((/** @type {any} */ x) => x.type === 'order.notify.cancellation'));
    assert.ok(byType._embedded.ticket.some((/** @type {any} */ x) => x.batchId === cancel.body.id));

    const processing = (await t.get('ticket?state=processing&limit=200')).body;
    assert.ok(processing.total >= 1);
    assert.ok(processing._embedded.ticket.every((/** @type {any} */ x) => x.state === 'scheduled' || x.state === 'running'));
    const done = (await t.get('ticket?state=succeed,failed&limit=200')).body;
    assert.ok(done._embedded.ticket.every((/** @type {any} */ x) => x.state === 'succeed' || x.state === 'failed'));
    const processed = (await t.get('ticket?state=processed&limit=200')).body;
    assert.equal(processed.total + processing.total, (await t.get('ticket?limit=1')).body.total);

    const forOrder = (await t.get(`ticket?type=order.acknowledge&payloadId=${o1.id}`)).body;
    assert.equal(forOrder.total, 1);
    assert.equal(forOrder._embedded.ticket[0].payload.id, o1.id);

    const noType = await t.get(`ticket?payloadId=${o1.id}`);
    assert.equal(noType.status, 400);
    assert.equal(noType.body.invalidParams[0].name, 'payloadId');
    const badState = await t.get('ticket?state=done');
    assert.equal(badState.status, 400);
    assert.equal(badState.body.invalidParams[0].name, 'state');

    const paged = (await t.get(`ticket?batchId=${ack.body.id}&limit=1&page=2`)).body;
    assert.deepEqual([paged.total, paged.limit, paged.pages, paged.page, paged.count], [2, 1, 2, 2, 1]);
    assert.ok(paged._links.prev && !paged._links.next);
    assert.equal((await t.get('ticket?batchId=unknown')).body.total, 0);
  });
});
