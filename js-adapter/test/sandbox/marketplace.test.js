// @ts-check
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { boot, marketOrder } from './helpers.js';

/** @type {Awaited<ReturnType<typeof boot>>} */
let t;
before(async () => {
  t = await boot({ orders: 40, misconfiguredChannels: ['zalando'] });
});
after(() => t.s.close());

/**
 * Calls a control endpoint over HTTP, without any token.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function ctl(method, path, body) {
  const r = await fetch(`${t.s.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const inSf = async (/** @type {string} */ reference) => (await t.get(`order?reference=${encodeURIComponent(reference)}`)).body._embedded.order[0] ?? null;

describe('imports: every 30 minutes of sandbox time, paid orders only', () => {
  test('a new marketplace order waits for the next tick', async () => {
    const clock = (await ctl('GET', '/clock')).body;
    assert.deepEqual([clock.mode, clock.now, clock.nextImportAt, clock.importEveryMinutes], ['manual', '2025-06-02T14:00:00+02:00', '2025-06-02T14:30:00+02:00', 30]);
    const created = await ctl('POST', '/orders', { orders: [{ channel: 'amazon', fulfilled: false }] });
    assert.equal(created.status, 201);
    const mo = created.body.orders[0];
    assert.equal(mo.status, 'awaiting_import');
    assert.equal(mo.orderId, null);
    assert.equal(await inSf(mo.reference), null);
    const adv = await ctl('POST', '/clock/advance', { minutes: 29 });
    assert.equal(adv.body.imports, 0);
    assert.equal(await inSf(mo.reference), null);
    await ctl('POST', '/clock/advance', { minutes: 1 });
    const o = await inSf(mo.reference);
    assert.ok(o, 'imported at 14:30');
    assert.equal(o.status, 'waiting_shipment');
    assert.equal(o.acknowledgedAt, null);
    assert.equal(o.updatedAt, '2025-06-02T14:30:00+02:00');
    const log = (await ctl('GET', '/imports')).body.imports;
    assert.ok(log.some((/** @type {any} */ e) => e.at === '2025-06-02T14:30:00+02:00' && e.imported >= 1));
  });

  test('unpaid orders stay on the marketplace until paid', async () => {
    const created = t.s.control.createOrders([{ channel: 'bol', paid: false }, { channel: 'bol', payAfterMinutes: 45 }]);
    const [unpaid, later] = created.orders;
    assert.equal(unpaid.status, 'awaiting_payment');
    t.s.control.advance({ minutes: 30 });
    assert.equal(await inSf(unpaid.reference), null);
    assert.equal(await inSf(later.reference), null, 'paid 45 min after creation: not yet');
    t.s.control.advance({ minutes: 30 });
    assert.ok(await inSf(later.reference));
    assert.equal(await inSf(unpaid.reference), null);
    const paid = await ctl('POST', '/marketplace/pay', { channelId: 2261, reference: unpaid.reference });
    assert.equal(paid.body.status, 'awaiting_import');
    assert.equal((await ctl('POST', '/import', {})).status, 200);
    assert.ok(await inSf(unpaid.reference));
  });

  test('acceptance channels deliver waiting_store_acceptance; with auto-accept, waiting_shipment', async () => {
    const a = await marketOrder(t, { channel: 'cdiscount' });
    assert.equal(a.status, 'waiting_store_acceptance');
    const set = await ctl('PATCH', `/stores/${t.s.storeId}`, { autoAccept: true });
    assert.deepEqual(set.body, { id: t.s.storeId, autoAccept: true, newOrdersPerHour: 0 });
    const b = await marketOrder(t, { channel: 'leroymerlin' });
    assert.equal(b.status, 'waiting_shipment');
    const mp = t.s.control.marketplace({ orderId: b.id });
    assert.equal(mp.status, 'awaiting_shipment');
    assert.ok(mp.events.some((/** @type {any} */ e) => e.type === 'accepted'));
    await ctl('PATCH', `/stores/${t.s.storeId}`, { autoAccept: false });
    assert.equal((await ctl('PATCH', `/stores/${t.s.storeId}`, { autoAccept: 'yes' })).status, 400);
  });

  test('a misconfigured channel: its orders never arrive, and the sandbox says why', async () => {
    t.s.control.advance({ hours: 2 });
    const zalandoInSf = (await t.get('order?channelId=2304&since=2025-06-02T00:00:00Z')).body.total;
    const channels = (await ctl('GET', '/channels')).body.channels;
    const z = channels.find((/** @type {any} */ c) => c.id === 2304);
    assert.equal(z.connection.credentialsValid, false);
    assert.match(z.connection.reason, /Zalando refused the connection credentials/);
    assert.ok(z.blocked >= 3, 'the seeded orders are stuck');
    const log = (await ctl('GET', '/imports')).body.imports;
    assert.ok(log.some((/** @type {any} */ e) => e.blocked.some((/** @type {any} */ b) => b.channelId === 2304 && /credentials/.test(b.reason))));
    const waiting = (await ctl('GET', '/marketplace?channelId=2304')).body.orders;
    assert.ok(waiting.length >= 3);
    assert.ok(waiting.every((/** @type {any} */ w) => w.orderId === null && /credentials/.test(w.blockedReason)));
    // Repairing the credentials lets them in at the next tick.
    const fixed = await ctl('PATCH', '/channels/2304', { credentialsValid: true });
    assert.equal(fixed.body.connection.credentialsValid, true);
    t.s.control.advance({ minutes: 30 });
    assert.ok((await t.get('order?channelId=2304&since=2025-06-02T00:00:00Z')).body.total >= zalandoInSf + 3);
    const broken = await ctl('PATCH', '/channels/amazon', { credentialsValid: false, reason: 'token expired' });
    assert.equal(broken.body.connection.reason, 'token expired');
    const stuck = t.s.control.createOrders([{ channel: 'amazon' }], { importNow: true }).orders[0];
    assert.equal(stuck.orderId, null);
    assert.equal(stuck.blockedReason, 'token expired');
    await ctl('PATCH', '/channels/amazon', { credentialsValid: true });
  });

  test('marketplaces keep creating orders at the store rate', async () => {
    const before = (await t.get('order?limit=1')).body.total;
    t.s.control.configureStore(t.s.storeId, { newOrdersPerHour: 12 });
    t.s.control.advance({ hours: 2 });
    const added = (await t.get('order?limit=1')).body.total - before;
    assert.ok(added >= 18 && added <= 30, `about 24 new orders, got ${added}`);
    t.s.control.configureStore(t.s.storeId, { newOrdersPerHour: 0 });
  });
});

describe('buyer-side events', () => {
  test('a buyer cancellation reaches Shoppingfeed at the next import', async () => {
    const o = await marketOrder(t, { channel: 'amazon' });
    const mp = await ctl('POST', '/marketplace/cancel', { orderId: o.id, reason: 'changed my mind' });
    assert.equal(mp.status, 200);
    assert.equal(mp.body.status, 'cancelled');
    assert.equal(mp.body.cancelledBy, 'buyer');
    assert.equal((await t.get(`order/${o.id}`)).body.status, 'waiting_shipment');
    t.s.control.advance({ minutes: 30 });
    const after = (await t.get(`order/${o.id}`)).body;
    assert.equal(after.status, 'cancelled');
    assert.equal((await ctl('POST', '/marketplace/cancel', { orderId: o.id })).status, 409);
  });

  test('cancel before import: the order never arrives; after shipment: 409', async () => {
    const pending = t.s.control.createOrders([{ channel: 'bol' }]).orders[0];
    const r = await ctl('POST', '/marketplace/cancel', { channelId: 2261, reference: pending.reference });
    assert.equal(r.body.state, 'cancelled_before_import');
    t.s.control.advance({ minutes: 30 });
    assert.equal(await inSf(pending.reference), null);
    const o = await marketOrder(t, { channel: 'bol' });
    await t.post('order/ship', { order: [{ id: o.id, carrier: 'PostNL', trackingNumber: '3S' }] });
    t.settle();
    const late = await ctl('POST', '/marketplace/cancel', { orderId: o.id });
    assert.equal(late.status, 409);
    assert.equal(late.body.status, 409);
    assert.equal((await ctl('POST', '/marketplace/cancel', { orderId: 1 })).status, 404);
  });

  test('delivery: automatic after the channel delay, or on demand', async () => {
    const a = await marketOrder(t, { channel: 'zalando' });
    await t.post('order/ship', { order: [{ id: a.id, carrier: 'DHL', trackingNumber: 'Z9' }] });
    t.settle();
    assert.equal(t.s.control.marketplace({ orderId: a.id }).status, 'shipped');
    t.s.control.advance({ days: 2 });
    const delivered = t.s.control.marketplace({ orderId: a.id });
    assert.equal(delivered.status, 'delivered');
    assert.ok(delivered.events.some((/** @type {any} */ e) => e.type === 'delivered'));
    const b = await marketOrder(t, { channel: 'amazon' });
    assert.equal((await ctl('POST', '/marketplace/deliver', { orderId: b.id })).status, 409, 'not shipped');
    await t.post('order/ship', { order: [{ id: b.id, carrier: 'DHL', trackingNumber: 'A9' }] });
    t.settle();
    const d = await ctl('POST', '/marketplace/deliver', { orderId: b.id });
    assert.equal(d.body.status, 'delivered');
    assert.equal((await t.get(`order/${b.id}`)).body.status, 'shipped');
  });
});

describe('the marketplace view', () => {
  test('what the buyer sees after a ship: carrier, tracking, status; a late shipment is a penalty', async () => {
    const o = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment', createdAt: '2025-05-20T10:00:00+02:00' });
    assert.match(o.latestShipDate, /^2025-05-23T21:59:59\+02:00$/);
    const onTime = await marketOrder(t, { channel: 'cdiscount', status: 'waiting_shipment' });
    await t.post('order/ship', {
      order: [
        { id: o.id, carrier: 'Colissimo', trackingNumber: 'L1', trackingLink: 'https://t.example/L1' },
        { id: onTime.id, carrier: 'Colissimo', trackingNumber: 'L2', trackingLink: 'https://t.example/L2' },
      ],
    });
    t.settle();
    const v = (await ctl('GET', `/marketplace?orderId=${o.id}`)).body;
    assert.equal(v.status, 'shipped');
    assert.equal(v.carrier, 'Colissimo');
    assert.equal(v.trackingNumber, 'L1');
    assert.equal(v.trackingLink, 'https://t.example/L1');
    assert.equal(v.channel.name, 'CDiscount');
    assert.equal(v.penalties.length, 1);
    assert.equal(v.penalties[0].type, 'late_shipment');
    assert.equal(v.penalties[0].latestShipDate, '2025-05-23T21:59:59+02:00');
    assert.equal(t.s.control.marketplace({ orderId: onTime.id }).penalties.length, 0);
    const penalized = (await ctl('GET', '/marketplace?penalized=true')).body.orders;
    assert.ok(penalized.some((/** @type {any} */ p) => p.orderId === o.id));
    assert.ok(!penalized.some((/** @type {any} */ p) => p.orderId === onTime.id));
    const byRef = (await ctl('GET', `/marketplace?channelId=111&reference=${o.reference}`)).body;
    assert.equal(byRef.orderId, o.id);
  });
});

describe('ship-by dates: one reading', () => {
  test('Amazon writes latestShipDate without a zone, in UTC: the end of the Paris day', async () => {
    // Generated: created in summer, due three days later at 23:59:59 Paris, written `… 21:59:59` as in
    // the PrestaShop fixture (`2024-08-29 21:59:59` for an order created 2024-08-26T14:19:19+02:00).
    const gen = await marketOrder(t, { channel: 'amazon', status: 'waiting_shipment', createdAt: '2025-05-20T10:00:00+02:00' });
    assert.match(gen.latestShipDate, /^2025-05-2\d 21:59:59$/);
    const view = (await ctl('GET', `/marketplace?orderId=${gen.id}`)).body;
    assert.equal(view.latestShipDate, `${gen.latestShipDate.slice(0, 10)}T23:59:59+02:00`);
    // Given by a spec in Amazon's own form: read as UTC (as the engine reads the served order), so it is
    // served back unchanged; before, the sandbox read it as Paris time and served `19:59:59`.
    const given = await marketOrder(t, { channel: 'amazon', status: 'waiting_shipment', latestShipDate: '2025-05-29 21:59:59' });
    assert.equal(given.latestShipDate, '2025-05-29 21:59:59');
    assert.equal((await ctl('GET', `/marketplace?orderId=${given.id}`)).body.latestShipDate, '2025-05-29T23:59:59+02:00');
    // Winter: the same end of day is 22:59:59 UTC; an offset given is an instant, whatever the form.
    const winter = await marketOrder(t, { channel: 'amazon', status: 'waiting_shipment', latestShipDate: '2025-12-01T23:59:59+01:00' });
    assert.equal(winter.latestShipDate, '2025-12-01 22:59:59');
  });
});

describe('control specs', () => {
  test('channel traits: fulfilled share, relay points, B2B, currencies come with the channel', () => {
    const made = t.s.control.createOrders([{ channel: 'amazon', count: 150 }, { channel: 'cdiscount', count: 100 }, { channel: 'zalando', count: 60 }], { importNow: true });
    const orders = made.orders.map((/** @type {any} */ m) => t.s.control.marketplace({ orderId: m.orderId }));
    assert.equal(orders.length, 310);
    return Promise.all(made.orders.map(async (/** @type {any} */ m) => (await t.get(`order/${m.orderId}`)).body)).then((full) => {
      const amz = full.filter((o) => o.channelId === 66);
      const cd = full.filter((o) => o.channelId === 111);
      const za = full.filter((o) => o.channelId === 2304);
      assert.ok(amz.some((o) => o.payment.method === 'AFN' && o.fulfilledBy === 'channel' && o.status === 'shipped'), 'Amazon FBA share');
      assert.ok(amz.some((o) => o.additionalFields.is_business_order === '1'), 'Amazon business');
      assert.ok(new Set(amz.map((o) => o.payment.currency)).has('GBP'));
      assert.ok(cd.some((o) => o.payment.method === 'clogistique'), 'Cdiscount fulfilment');
      assert.ok(cd.some((o) => /^Relais Pickup /.test(o.shippingAddress.lastName) && /^PICKUP-/.test(o.shippingAddress.other)), 'Cdiscount relay');
      assert.ok(new Set(za.map((o) => o.payment.currency)).size >= 2, 'Zalando currencies');
      assert.ok(cd.every((o) => o.status === 'waiting_store_acceptance' || (o.status === 'shipped' && o.payment.method === 'clogistique')));
    });
  });

  test('bad specs are 400 naming the field; a duplicate reference is 409', async () => {
    const bad = await ctl('POST', '/orders', { orders: [{ channel: 'amazon' }, { channel: 'ebay' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.invalidParams[0].name, 'orders[1].channel');
    const item = await ctl('POST', '/orders', { orders: [{ items: [{ reference: 'a', quantity: 'two', price: 1 }] }] });
    assert.equal(item.body.invalidParams[0].name, 'orders[0].items[0].quantity');
    const o = await marketOrder(t, { channel: 'bol', reference: 'DUP-1' });
    assert.equal(o.reference, 'DUP-1');
    const dup = await ctl('POST', '/orders', { orders: [{ channel: 'bol', reference: 'DUP-1' }] });
    assert.equal(dup.status, 409);
    const sameRefOtherChannel = await ctl('POST', '/orders', { orders: [{ channel: 'amazon', reference: 'DUP-1' }] });
    assert.equal(sameRefOtherChannel.status, 201, 'references are unique per channel only');
  });

  test('a spec sets explicit fields: items, addresses, currency, B2B, anonymized, test', async () => {
    const o = await marketOrder(t, {
      channel: 'manomano', b2b: true, currency: 'GBP', country: 'GB', anonymized: false,
      items: [{ reference: 'colored-hoodie', quantity: 3, price: 10, name: '<script>alert(1)</script>' }],
      itemsReferencesAliases: { 'colored-hoodie': 'woo-hoodie-with-logo' },
      billingAddress: { firstName: 'Ünïcødé', lastName: "O'Brien" },
    });
    assert.equal(o.payment.currency, 'GBP');
    assert.equal(o.payment.productAmount, 30);
    assert.equal(o.items[0].name, '<script>alert(1)</script>');
    assert.deepEqual(o.itemsReferencesAliases, { 'colored-hoodie': 'woo-hoodie-with-logo' });
    assert.equal(o.billingAddress.firstName, 'Ünïcødé');
    assert.match(o.additionalFields.intraco_vat_number, /^GB\d{9}$/);
    assert.equal((await t.get(`order?search=${encodeURIComponent('ünïcødé')}`)).body.total, 1);
    const g = await marketOrder(t, { channel: 'amazon', anonymized: true });
    assert.equal(g.anonymized, true);
    assert.equal(g.shippingAddress.email, '#GDPR');
    const tst = await marketOrder(t, { channel: 'amazon', isTest: true });
    assert.equal(tst.isTest, true);
    assert.match(tst.reference, /^TEST-/);
  });
});

describe('clock and reset', () => {
  test('advance by units or to an instant; never backwards', async () => {
    const now = (await ctl('GET', '/clock')).body.now;
    const r = await ctl('POST', '/clock/advance', { hours: 1, minutes: 30 });
    assert.equal(Date.parse(r.body.now) - Date.parse(now), 90 * 60_000);
    const to = new Date(Date.parse(r.body.now) + 3_600_000).toISOString();
    const r2 = await ctl('POST', '/clock/advance', { to });
    assert.equal(Date.parse(r2.body.now), Date.parse(to));
    assert.equal((await ctl('POST', '/clock/advance', { minutes: -5 })).status, 400);
    assert.equal((await ctl('POST', '/clock/advance', { to: '2020-01-01T00:00:00Z' })).status, 400);
    assert.equal((await ctl('GET', '/nothing')).status, 404);
  });

  test('GET /_sandbox summarises; reset brings back the seeded state', async () => {
    const info = (await ctl('GET', '')).body;
    assert.equal(info.stores[0].id, t.s.storeId);
    assert.ok(info.stores[0].orders > 40);
    const r = await ctl('POST', '/reset');
    assert.equal(r.body.now, '2025-06-02T14:00:00+02:00');
    assert.equal((await t.get('order?limit=1')).body.total, 40);
    const fresh = await boot({ orders: 40, misconfiguredChannels: ['zalando'] });
    try {
      assert.deepEqual((await t.get('order?limit=40')).body._embedded.order, (await fresh.get('order?limit=40')).body._embedded.order);
    } finally {
      await fresh.s.close();
    }
  });
});

describe('real clock', () => {
  test('tickets complete in real time', async () => {
    const real = await boot({ clock: 'real', startTime: undefined, orders: 5, ticketDelays: { start: 20, finish: 60 } });
    try {
      const o = await marketOrder(real, { channel: 'amazon' });
      const r = await real.post('order/acknowledge', { order: [{ id: o.id, storeReference: 'R1' }] });
      const first = (await real.get(r.body._links.ticket.href)).body;
      assert.equal(first.meta.processing, true);
      await new Promise((res) => setTimeout(res, 120));
      const done = (await real.get(r.body._links.ticket.href)).body;
      assert.equal(done.meta.processing, false);
      assert.equal(done._embedded.ticket[0].state, 'succeed');
      assert.ok(Math.abs(Date.parse((await real.get('/v1/ping')).body.timestamp) - Date.now()) < 5_000);
    } finally {
      await real.s.close();
    }
  });
});
