// @ts-check
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { boot, marketOrder } from './helpers.js';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ orders: 50, stores: [{}, { orders: 3 }] });
});
after(() => t.s.close());

/** Posts an operation, lets the marketplace answer, returns the 202 body and the batch's tickets. */
async function run(/** @type {string} */ op, /** @type {unknown[]} */ order) {
  const r = await t.post(`order/${op}`, { order });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  t.settle();
  const tickets = await t.get(`ticket?batchId=${r.body.id}`);
  return { accepted: r.body, tickets: tickets.body._embedded.ticket };
}

/** One operation on one order; returns its ticket. */
async function one(/** @type {string} */ op, /** @type {Record<string, unknown>} */ entry) {
  const { tickets } = await run(op, [entry]);
  assert.equal(tickets.length, 1);
  return tickets[0];
}

const view = async (/** @type {number} */ id) => (await t.get(`order/${id}`)).body;
const twoItems = [{ reference: 'A-1', quantity: 2, price: 10 }, { reference: 'B-2', quantity: 1, price: 5 }];

describe('body validation: 400 problem+json naming the field', () => {
  /** @type {[string, unknown, string][]} */
  const cases = [
    ['acknowledge', {}, 'order'],
    ['acknowledge', { order: [] }, 'order'],
    ['acknowledge', { order: 'x' }, 'order'],
    ['acknowledge', { order: [1] }, 'order[0]'],
    ['acknowledge', { order: [{ storeReference: 'x' }] }, 'order[0].id'],
    ['acknowledge', { order: [{ id: '123' }] }, 'order[0].id'],
    ['acknowledge', { order: [{ id: 1, status: 'maybe' }] }, 'order[0].status'],
    ['acknowledge', { order: [{ id: 1 }, { id: 2, acknowledgedAt: 'yesterday' }] }, 'order[1].acknowledgedAt'],
    ['acknowledge', { order: [{ id: 1, storeReference: 12 }] }, 'order[0].storeReference'],
    ['acknowledge', { order: [{ id: 1, status: 'error', message: { text: 'x' } }] }, 'order[0].message'],
    ['unacknowledge', { order: [{ reference: 'R' }] }, 'order[0].id'],
    ['accept', { order: [{ id: 1, reason: 3 }] }, 'order[0].reason'],
    ['refuse', { order: [{ id: -4 }] }, 'order[0].id'],
    ['ship', { order: [{ id: 1, carrier: 5 }] }, 'order[0].carrier'],
    ['ship', { order: [{ id: 1, trackingNumber: 123 }] }, 'order[0].trackingNumber'],
    ['ship', { order: [{ id: 1, trackingLink: true }] }, 'order[0].trackingLink'],
    ['ship', { order: [{ id: 1, items: 'all' }] }, 'order[0].items'],
    ['ship', { order: [{ id: 1, items: [{ id: 1, quantity: 0 }] }] }, 'order[0].items[0].quantity'],
    ['ship', { order: [{ id: 1, items: [{ quantity: 1 }] }] }, 'order[0].items[0].id'],
    ['ship', { order: [{ id: 1, returnInfo: { carrier: 1 } }] }, 'order[0].returnInfo.carrier'],
    ['cancel', { order: [{ id: 1, reason: [] }] }, 'order[0].reason'],
    ['refund', { order: [{ id: 1, refund: 'all' }] }, 'order[0].refund'],
    ['refund', { order: [{ id: 1, refund: { shipping: 'yes' } }] }, 'order[0].refund.shipping'],
    ['refund', { order: [{ id: 1, refund: { products: [{ reference: '', quantity: 1 }] } }] }, 'order[0].refund.products[0].reference'],
    ['refund', { order: [{ id: 1, refund: { products: [{ reference: 'A', quantity: 1.5 }] } }] }, 'order[0].refund.products[0].quantity'],
    ['deliver', { order: [{}] }, 'order[0].id'],
  ];
  for (const [op, body, field] of cases) {
    test(`${op} ${JSON.stringify(body)} -> ${field}`, async () => {
      const r = await t.post(`order/${op}`, body);
      assert.equal(r.status, 400);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.body.status, 400);
      assert.equal(r.body.invalidParams[0].name, field);
      assert.ok(r.body.detail.startsWith(`${field}:`), r.body.detail);
    });
  }

  test('a body that is not JSON is 400 naming body; nothing is queued', async () => {
    const before = (await t.get('ticket?limit=1')).body.total;
    const r = await t.call('POST', 'order/ship', { raw: '{"order": [', headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.invalidParams[0].name, 'body');
    assert.equal((await t.get('ticket?limit=1')).body.total, before);
  });

  test('an unknown operation is 404; GET on an operation is 405', async () => {
    assert.equal((await t.post('order/teleport', { order: [{ id: 1 }] })).status, 404);
    const r = await t.get('order/ship');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
  });
});

describe('202 answer', () => {
  test('batch id, ticket link, and a report of ignored orders (unknown, or of another store)', async () => {
    const mine = await marketOrder(t, { channel: 'amazon' });
    const foreign = (await t.get(`/v1/store/${t.s.storeIds[1]}/order?limit=1`)).body._embedded.order[0];
    const r = await t.post('order/acknowledge', { order: [{ id: mine.id, storeReference: 'S1' }, { id: 4242 }, { id: foreign.id }, { reference: 'nope', channelName: 'Amazon' }] });
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(typeof r.body.id, 'string');
    assert.equal(r.body._links.ticket.href, `/v1/store/${t.s.storeId}/ticket?batchId=${r.body.id}`);
    assert.deepEqual(r.body.report, [
      { id: 4242, channelName: null, reference: null, state: 'ignored', message: 'Order not found in this store' },
      { id: foreign.id, channelName: null, reference: null, state: 'ignored', message: 'Order not found in this store' },
      { id: null, channelName: 'Amazon', reference: 'nope', state: 'ignored', message: 'Order not found in this store' },
    ]);
    const tickets = await t.get(r.body._links.ticket.href);
    assert.equal(tickets.body.total, 1);
    assert.equal(tickets.body._embedded.ticket[0].payload.id, mine.id);
  });
});

describe('acknowledge (§5.2)', () => {
  test('success: leaves the unacknowledged list and carries storeReference/acknowledgedAt — once the ticket ran', async () => {
    const o = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment' });
    const q = `order?acknowledgment=unacknowledged&reference=${encodeURIComponent(o.reference)}`;
    assert.equal((await t.get(q)).body.total, 1);
    assert.equal(o.acknowledgedAt, null);
    assert.equal(o.storeReference, '');
    const r = await t.post('order/acknowledge', { order: [{ id: o.id, status: 'success', storeReference: 'WC-1001', acknowledgedAt: '2025-06-02T14:05:00+02:00' }] });
    assert.equal(r.status, 202);
    assert.equal((await t.get(q)).body.total, 1, 'operations are asynchronous: still unacknowledged before the ticket runs');
    t.settle();
    assert.equal((await t.get(q)).body.total, 0);
    const after = await view(o.id);
    assert.equal(after.storeReference, 'WC-1001');
    assert.equal(after.acknowledgedAt, '2025-06-02T14:05:00+02:00');
    assert.equal((await t.get(`order?acknowledgment=acknowledged&storeReference=WC-1001`)).body.total, 1);
  });

  test('error: appends to errors and leaves the order unacknowledged, every time it is sent', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    const q = `order?acknowledgment=unacknowledged&reference=${encodeURIComponent(o.reference)}`;
    const tk = await one('acknowledge', { id: o.id, status: 'error', storeReference: '', message: 'Product KB-1 not found' });
    assert.equal(tk.state, 'succeed');
    await one('acknowledge', { id: o.id, status: 'error', message: 'Still not found' });
    const after = await view(o.id);
    assert.equal(after.acknowledgedAt, null);
    assert.deepEqual(after.errors.map((/** @type {any} */ e) => [e.type, e.message]), [['acknowledge', 'Product KB-1 not found'], ['acknowledge', 'Still not found']]);
    assert.match(after.errors[0].occurredAt, /\+02:00$/);
    assert.equal((await t.get(q)).body.total, 1);
    assert.equal((await t.get(`order?error=acknowledge&reference=${encodeURIComponent(o.reference)}`)).body.total, 1);
  });

  test('acknowledgedAt defaults to processing time; unacknowledge offers the order again', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    await one('acknowledge', { id: o.id, storeReference: '77' });
    const acked = await view(o.id);
    assert.match(acked.acknowledgedAt, /^2025-06-02T\d\d:\d\d:\d\d\+02:00$/);
    const tk = await one('unacknowledge', { id: o.id });
    assert.equal(tk.type, 'order.unacknowledge');
    assert.equal((await view(o.id)).acknowledgedAt, null);
    assert.equal((await t.get(`order?acknowledgment=unacknowledged&reference=${encodeURIComponent(o.reference)}`)).body.total, 1);
  });

  test('the deprecated reference + channelName identifier still works', async () => {
    const o = await marketOrder(t, { channel: 'manomano' });
    const tk = await one('acknowledge', { reference: o.reference, channelName: 'Monechelle', storeReference: 'L-1' });
    assert.equal(tk.state, 'succeed');
    assert.equal((await view(o.id)).storeReference, 'L-1');
  });
});

describe('accept / refuse', () => {
  test('acceptance channel: waiting_store_acceptance -> accept -> waiting_shipment; refuse -> refused', async () => {
    const a = await marketOrder(t, { channel: 'cdiscount' });
    const b = await marketOrder(t, { channel: 'leroymerlin' });
    assert.equal(a.status, 'waiting_store_acceptance');
    assert.equal(b.status, 'waiting_store_acceptance');
    const shipEarly = await one('ship', { id: a.id, carrier: 'DPD', trackingNumber: '1', trackingLink: 'https://t.example/1' });
    assert.equal(shipEarly.state, 'failed');
    assert.equal(shipEarly.errors[0].code, 'not_accepted');
    const ta = await one('accept', { id: a.id, reason: '' });
    assert.equal(ta.type, 'order.notify.acceptance');
    assert.equal(ta.state, 'succeed');
    assert.equal((await view(a.id)).status, 'waiting_shipment');
    const tb = await one('refuse', { id: b.id });
    assert.equal(tb.type, 'order.notify.refusal');
    assert.equal((await view(b.id)).status, 'refused');
    const again = await one('accept', { id: b.id });
    assert.equal(again.state, 'failed');
    assert.equal(again.errors[0].code, 'order_refused');
  });

  test('refuse on a channel without acceptance fails with the marketplace reason; accept is a no-op success', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    const r = await one('refuse', { id: o.id });
    assert.equal(r.state, 'failed');
    assert.equal(r.errors[0].code, 'operation_not_supported');
    assert.match(r.errors[0].message, /Amazon/);
    const a = await one('accept', { id: o.id });
    assert.equal(a.state, 'succeed');
    const after = await view(o.id);
    assert.equal(after.status, 'waiting_shipment');
    assert.equal(after.errors.at(-1).type, 'operation');
  });
});

describe('ship', () => {
  test('CDiscount needs a tracking URL; with it the order ships once, a second ship fails', async () => {
    const o = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment' });
    const noUrl = await one('ship', { id: o.id, carrier: 'Colissimo', trackingNumber: '6A1', trackingLink: '', items: [], warehouseId: null });
    assert.equal(noUrl.state, 'failed');
    assert.equal(noUrl.errors[0].code, 'tracking_url_required');
    let v = await view(o.id);
    assert.equal(v.status, 'waiting_shipment');
    assert.equal(v.errors.at(-1).type, 'ship');
    assert.equal((await t.get(`order?error=ship&reference=${encodeURIComponent(o.reference)}`)).body.total, 1);
    const okT = await one('ship', { id: o.id, carrier: 'Colissimo', trackingNumber: '6A1', trackingLink: 'https://www.laposte.fr/suivi?code=6A1', items: [], warehouseId: null });
    assert.equal(okT.state, 'succeed');
    assert.equal(okT.type, 'order.notify.shipment');
    assert.equal(okT.payload.carrier, 'Colissimo');
    v = await view(o.id);
    assert.equal(v.status, 'shipped');
    assert.equal(v.shipment.carrier, 'Colissimo');
    assert.equal(v.shipment.trackingNumber, '6A1');
    assert.equal(v.shipment.trackingLink, 'https://www.laposte.fr/suivi?code=6A1');
    assert.equal(v.shipment.type, 'full');
    const shipments = await t.get(`order/${o.id}/shipment`);
    assert.equal(shipments.status, 200);
    assert.equal(shipments.body._embedded.shipment.length, 1);
    const sh = shipments.body._embedded.shipment[0];
    assert.equal(sh.trackingNumber, '6A1');
    assert.deepEqual(sh.items, v.items.map((/** @type {any} */ it) => ({ id: it.id, quantity: it.quantity })));
    const second = await one('ship', { id: o.id, carrier: 'DPD', trackingNumber: '2', trackingLink: 'https://t.example/2' });
    assert.equal(second.state, 'failed');
    assert.equal(second.errors[0].code, 'already_shipped');
    assert.equal((await view(o.id)).shipment.carrier, 'Colissimo');
  });

  test('carrier and tracking number are required; the tracking URL must be http(s)', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    assert.equal((await one('ship', { id: o.id, carrier: '', trackingNumber: '1' })).errors[0].code, 'carrier_required');
    assert.equal((await one('ship', { id: o.id, carrier: 'DHL', trackingNumber: ' ' })).errors[0].code, 'tracking_number_required');
    assert.equal((await one('ship', { id: o.id, carrier: 'DHL', trackingNumber: '1', trackingLink: 'javascript:alert(1)' })).errors[0].code, 'invalid_tracking_url');
    assert.equal((await one('ship', { id: o.id, carrier: 'DHL', trackingNumber: '1' })).state, 'succeed', 'Amazon needs no URL');
  });

  test('partial shipment: refused by Amazon, accepted by ManoMano (partially_shipped, then shipped)', async () => {
    const amz = await marketOrder(t, { channel: 'amazon', items: twoItems });
    const part = await one('ship', { id: amz.id, carrier: 'DHL', trackingNumber: '1', items: [{ id: amz.items[0].id, quantity: 2 }] });
    assert.equal(part.state, 'failed');
    assert.equal(part.errors[0].code, 'partial_not_supported');
    const mm = await marketOrder(t, { channel: 'manomano', items: twoItems });
    const first = await one('ship', { id: mm.id, carrier: 'DPD', trackingNumber: 'P1', trackingLink: 'https://t.example/P1', items: [{ id: mm.items[0].id, quantity: 1 }] });
    assert.equal(first.state, 'succeed');
    let v = await view(mm.id);
    assert.equal(v.status, 'partially_shipped');
    assert.equal(v.shipment.type, 'partial');
    const over = await one('ship', { id: mm.id, carrier: 'DPD', trackingNumber: 'P2', trackingLink: 'https://t.example/P2', items: [{ id: mm.items[0].id, quantity: 2 }] });
    assert.equal(over.errors[0].code, 'quantity_exceeded');
    const unknown = await one('ship', { id: mm.id, carrier: 'DPD', trackingNumber: 'P2', trackingLink: 'https://t.example/P2', items: [{ id: 1, quantity: 1 }] });
    assert.equal(unknown.errors[0].code, 'unknown_item');
    const rest = await one('ship', { id: mm.id, carrier: 'DPD', trackingNumber: 'P2', trackingLink: 'https://t.example/P2', items: [] });
    assert.equal(rest.state, 'succeed');
    v = await view(mm.id);
    assert.equal(v.status, 'shipped');
    const shipments = (await t.get(`order/${mm.id}/shipment`)).body._embedded.shipment;
    assert.deepEqual(shipments.map((/** @type {any} */ s) => s.items), [[{ id: mm.items[0].id, quantity: 1 }], [{ id: mm.items[0].id, quantity: 1 }, { id: mm.items[1].id, quantity: 1 }]]);
  });

  test('an order fulfilled by the marketplace cannot be shipped by the store', async () => {
    const o = await marketOrder(t, { channel: 'amazon', fulfilled: true });
    assert.equal(o.fulfilledBy, 'channel');
    assert.equal(o.payment.method, 'AFN');
    assert.equal(o.status, 'shipped');
    const tk = await one('ship', { id: o.id, carrier: 'DHL', trackingNumber: '1' });
    assert.equal(tk.errors[0].code, 'fulfilled_by_channel');
  });
});

describe('cancel / refund / deliver', () => {
  test('cancel: unsupported on ManoMano, fine before shipment, refused after it', async () => {
    const mm = await marketOrder(t, { channel: 'manomano' });
    const unsupported = await one('cancel', { id: mm.id, reason: 'out of stock' });
    assert.equal(unsupported.errors[0].code, 'operation_not_supported');
    const a = await marketOrder(t, { channel: 'amazon' });
    const c = await one('cancel', { id: a.id, reason: 'out of stock' });
    assert.equal(c.type, 'order.notify.cancellation');
    assert.equal(c.state, 'succeed');
    assert.equal((await view(a.id)).status, 'cancelled');
    const b = await marketOrder(t, { channel: 'amazon' });
    await one('ship', { id: b.id, carrier: 'DHL', trackingNumber: '9' });
    const late = await one('cancel', { id: b.id });
    assert.equal(late.state, 'failed');
    assert.equal(late.errors[0].code, 'cancel_after_shipment');
    assert.equal((await view(b.id)).status, 'shipped');
  });

  test('operations on a cancelled order are canceled tickets', async () => {
    const a = await marketOrder(t, { channel: 'bol' });
    await one('cancel', { id: a.id });
    const tk = await one('ship', { id: a.id, carrier: 'PostNL', trackingNumber: '3S' });
    assert.equal(tk.state, 'canceled');
    assert.equal(tk.errors[0].code, 'order_cancelled');
  });

  test('refund: unsupported on Amazon; partial then full on CDiscount', async () => {
    const amz = await marketOrder(t, { channel: 'amazon' });
    await one('ship', { id: amz.id, carrier: 'DHL', trackingNumber: '1' });
    assert.equal((await one('refund', { id: amz.id, refund: { shipping: true, products: [] } })).errors[0].code, 'operation_not_supported');
    const cd = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment', items: twoItems });
    await one('ship', { id: cd.id, carrier: 'Colissimo', trackingNumber: '7', trackingLink: 'https://t.example/7' });
    const part = await one('refund', { id: cd.id, refund: { shipping: false, products: [{ reference: 'A-1', quantity: 1 }] } });
    assert.equal(part.type, 'order.notify.refund');
    assert.equal(part.state, 'succeed');
    assert.equal((await view(cd.id)).status, 'partially_refunded');
    assert.equal((await one('refund', { id: cd.id, refund: { products: [{ reference: 'A-1', quantity: 2 }] } })).errors[0].code, 'quantity_exceeded');
    assert.equal((await one('refund', { id: cd.id, refund: { products: [{ reference: 'ZZZ', quantity: 1 }] } })).errors[0].code, 'unknown_item');
    assert.equal((await one('refund', { id: cd.id, refund: { shipping: true, products: [] } })).state, 'succeed');
    assert.equal((await view(cd.id)).status, 'refunded');
  });

  test('partial refund is refused where the channel only does full refunds', async () => {
    // No channel of the table has refund without partial refund except eBay/Miravia; test orders behave so.
    const o = await t.post('order', { order: { channelId: 1967, items: twoItems, shipment: { carrier: 'DPD', trackingNumber: 'T1' } } });
    const tk = await one('refund', { id: o.body.id, refund: { products: [{ reference: 'B-2', quantity: 1 }] } });
    assert.equal(tk.errors[0].code, 'partial_not_supported');
    assert.match(tk.errors[0].message, /test orders/);
  });

  test('deliver: only shipped orders; the marketplace view shows the delivery', async () => {
    const o = await marketOrder(t, { channel: 'zalando' });
    const early = await one('deliver', { id: o.id });
    assert.equal(early.errors[0].code, 'order_not_shipped');
    await one('ship', { id: o.id, carrier: 'DHL', trackingNumber: 'Z1' });
    const d = await one('deliver', { id: o.id });
    assert.equal(d.state, 'succeed');
    assert.equal((await view(o.id)).status, 'shipped', 'status stays shipped (§5.8)');
    const mp = t.s.control.marketplace({ orderId: o.id });
    assert.equal(mp.status, 'delivered');
    assert.ok(mp.deliveredAt);
  });
});

describe('upload-documents (multipart)', () => {
  const pdf = (/** @type {number} */ size) => {
    const b = Buffer.alloc(size, 0x20);
    b.write('%PDF-1.4\n');
    return new Blob([b], { type: 'application/pdf' });
  };
  const upload = (/** @type {unknown} */ body, /** @type {Blob[]} */ files, /** @type {string} */ fileField = 'files[]') => {
    const form = new FormData();
    for (const [i, f] of files.entries()) form.append(fileField, f, `invoice-${i}.pdf`);
    if (body !== undefined) form.append('body', JSON.stringify(body));
    return t.call('POST', 'order/upload-documents', { raw: form });
  };

  test('Leroy Merlin takes an invoice; the document list shows it', async () => {
    const o = await marketOrder(t, { channel: 'leroymerlin', status: 'waiting_shipment' });
    const r = await upload({ order: [{ id: o.id, documents: [{ type: 'invoice' }] }] }, [pdf(1000)]);
    assert.equal(r.status, 202);
    t.settle();
    const tk = (await t.get(`ticket?batchId=${r.body.id}`)).body._embedded.ticket[0];
    assert.equal(tk.type, 'order.notify.upload-documents');
    assert.equal(tk.state, 'succeed');
    const docs = await t.get(`order/${o.id}/document`);
    assert.equal(docs.status, 200);
    assert.equal(docs.body._embedded.document.length, 1);
    assert.equal(docs.body._embedded.document[0].type, 'invoice');
    assert.equal(docs.body._embedded.document[0].name, 'invoice-0.pdf');
    assert.equal(docs.body._embedded.document[0].size, 1000);
  });

  test('Amazon does not take documents: the ticket fails with the reason', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    const r = await upload({ order: [{ id: o.id, documents: [{ type: 'invoice' }] }] }, [pdf(100)]);
    assert.equal(r.status, 202);
    t.settle();
    const tk = (await t.get(`ticket?batchId=${r.body.id}`)).body._embedded.ticket[0];
    assert.equal(tk.state, 'failed');
    assert.equal(tk.errors[0].code, 'operation_not_supported');
  });

  test('a file over 2 MB is 413', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    const r = await upload({ order: [{ id: o.id, documents: [{ type: 'invoice' }] }] }, [pdf(2 * 1024 * 1024 + 1)]);
    assert.equal(r.status, 413);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.match(r.body.detail, /2 MB/);
  });

  test('malformed uploads are 400 naming the part', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    const body = { order: [{ id: o.id, documents: [{ type: 'invoice' }] }] };
    const notPdf = await upload(body, [new Blob(['hello'], { type: 'text/plain' })]);
    assert.equal(notPdf.body.invalidParams[0].name, 'files[0]');
    const tooFew = await upload({ order: [{ id: o.id, documents: [{ type: 'invoice' }, { type: 'invoice' }] }] }, [pdf(10)]);
    assert.equal(tooFew.body.invalidParams[0].name, 'files[]');
    const noBody = await upload(undefined, [pdf(10)]);
    assert.equal(noBody.body.invalidParams[0].name, 'body');
    const wrongType = await upload({ order: [{ id: o.id, documents: [{ type: 'label' }] }] }, [pdf(10)]);
    assert.equal(wrongType.body.invalidParams[0].name, 'order[0].documents[0].type');
    const json = await t.post('order/upload-documents', body);
    assert.equal(json.status, 400);
    assert.equal(json.body.invalidParams[0].name, 'Content-Type');
  });
});

describe('PATCH an order', () => {
  test('addresses and itemsReferencesAliases change (204); shipped orders are 409; bad fields 400', async () => {
    const o = await marketOrder(t, { channel: 'bol' });
    const r = await t.call('PATCH', `order/${o.id}`, { body: { order: { shippingAddress: { street: 'Nieuwe Straat 1' }, itemsReferencesAliases: { [o.items[0].reference]: 'SKU-NEW' } } } });
    assert.equal(r.status, 204);
    const v = await view(o.id);
    assert.equal(v.shippingAddress.street, 'Nieuwe Straat 1');
    assert.equal(v.shippingAddress.city, o.shippingAddress.city);
    assert.deepEqual(v.itemsReferencesAliases, { [o.items[0].reference]: 'SKU-NEW' });
    const bad = await t.call('PATCH', `order/${o.id}`, { body: { order: { billingAddress: { phone: 612 } } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.invalidParams[0].name, 'order.billingAddress.phone');
    await one('ship', { id: o.id, carrier: 'PostNL', trackingNumber: '3S1' });
    const locked = await t.call('PATCH', `order/${o.id}`, { body: { order: { shippingAddress: { street: 'x' } } } });
    assert.equal(locked.status, 409);
    assert.equal((await t.call('PATCH', 'order/123', { body: { order: {} } })).status, 404);
  });
});

describe('test orders (§5.10)', () => {
  test('create: 201, isTest, TEST- reference, `created` without shipment, `shipped` with one', async () => {
    const r = await t.post('order', { order: { channelId: 66, items: [{ reference: 'colored-hoodie', quantity: 1, price: 45 }], payment: { shippingAmount: 20, currency: 'EUR', method: '' } } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), `/v1/store/${t.s.storeId}/order/${r.body.id}`);
    assert.equal(r.body.isTest, true);
    assert.equal(r.body.status, 'created');
    assert.match(r.body.reference, new RegExp(`^TEST-${t.s.storeId}-\\d{14}`));
    assert.equal(r.body.payment.totalAmount, 65);
    assert.equal(r.body.additionalFields.isTestOrder, '1');
    assert.equal((await t.get(`order?isTest=true&reference=${r.body.reference}`)).body.total, 1);
    const shipped = await t.post('order', { order: { channelId: 111, reference: 'MY-TEST-1', items: [{ reference: 'x', quantity: 2, price: 1.5 }], shipment: { carrier: 'Colissimo', trackingNumber: '8N1' } } });
    assert.equal(shipped.status, 201);
    assert.equal(shipped.body.status, 'shipped');
    assert.equal(shipped.body.reference, 'MY-TEST-1');
    assert.equal(shipped.body.shipment.trackingNumber, '8N1');
  });

  test('create: missing items or channelId is 400 naming the field', async () => {
    const noItems = await t.post('order', { order: { channelId: 66 } });
    assert.equal(noItems.body.invalidParams[0].name, 'order.items');
    const noChannel = await t.post('order', { order: { items: [{ reference: 'a', quantity: 1, price: 1 }] } });
    assert.equal(noChannel.body.invalidParams[0].name, 'order.channelId');
    const badQty = await t.post('order', { order: { channelId: 66, items: [{ reference: 'a', quantity: 0, price: 1 }] } });
    assert.equal(badQty.body.invalidParams[0].name, 'order.items[0].quantity');
  });

  test('delete: 204 then gone; a real order cannot be deleted; pending tickets of a deleted order are canceled', async () => {
    const r = await t.post('order', { order: { channelId: 66, items: [{ reference: 'a', quantity: 1, price: 1 }] } });
    const ack = await t.post('order/acknowledge', { order: [{ id: r.body.id, storeReference: 'T' }] });
    const del = await t.call('DELETE', `order/${r.body.id}`);
    assert.equal(del.status, 204);
    assert.equal((await t.get(`order/${r.body.id}`)).status, 404);
    t.settle();
    const tk = (await t.get(`ticket?batchId=${ack.body.id}`)).body._embedded.ticket[0];
    assert.equal(tk.state, 'canceled');
    const real = await marketOrder(t, { channel: 'amazon' });
    const refused = await t.call('DELETE', `order/${real.id}`);
    assert.equal(refused.status, 400);
    assert.equal((await t.get(`order/${real.id}`)).status, 200);
  });
});
