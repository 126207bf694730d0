// @ts-check
// The built Wasm packages as Node loads them: pkg/nodejs through require(), pkg/web through ESM and
// initSync; then one whole circuit (list → create → acknowledge → ship → ticket) against a sandbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../sandbox/index.js';
import { memoryStore } from './plain-store.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
/** @type {any} */
const engine = require(`${root}pkg/nodejs/shoppingfeed_orders.js`);


/** @type {Awaited<ReturnType<typeof startSandbox>>} */
let sandbox;
before(async () => { sandbox = await startSandbox({ orders: 40, seed: 3, clock: 'manual' }); });
after(async () => { await sandbox?.close(); });

test('pkg/nodejs loads with require() and pkg/web with ESM + initSync, same answers', async () => {
  const web = await import(`${root}pkg/web/shoppingfeed_orders.js`);
  web.initSync({ module: await readFile(`${root}pkg/web/shoppingfeed_orders_bg.wasm`) });
  for (const m of [engine, web]) {
    assert.equal(typeof m.SyncEngine, 'function');
    const row = m.allowedOperations('shipped');
    assert.deepEqual(row.filter((/** @type {any} */ r) => r.allowed).map((/** @type {any} */ r) => r.operation).sort(),
      ['acknowledge', 'deliver', 'refund', 'unacknowledge', 'upload-documents']);
  }
  assert.equal(engine.version(), web.version());
});

test('the ship guard reaches JS: the channel table and the carrier shapes, as the engine applies them', () => {
  assert.equal(engine.channelSupport('CDiscount').trackingUrl, true);
  assert.equal(engine.channelSupport('Amazon').trackingUrl, false);
  assert.throws(() => engine.validateShipment({ carrier: 'Colissimo', trackingNumber: '6A12345678901' }, { channel: 'CDiscount' }),
    (/** @type {any} */ x) => x instanceof Error && x.code === 'TrackingUrlRequired' && x.field === 'trackingUrl' && /CDiscount/.test(x.message));
  assert.throws(() => engine.validateShipment({ carrier: 'UPS Standard', trackingNumber: '123456789012' }),
    (/** @type {any} */ x) => x.code === 'TrackingNumberFormat' && x.field === 'trackingNumber' && /1Z followed by 16/.test(x.message));
  assert.throws(() => engine.validateShipment({ carrier: 'DPD', trackingNumber: '01234567890123', trackingUrl: 'http://169.254.169.254/latest' }),
    (/** @type {any} */ x) => x.code === 'TrackingUrlInvalid' && x.field === 'trackingUrl');
  assert.throws(() => engine.validateShipment({ carrier: '\u200b', trackingNumber: '01234567890123' }), { code: 'CarrierMissing' });
  assert.throws(() => engine.validateShipment({ carrier: 'DPD', trackingNumber: '01234567890123', items: [{ id: 1, quantity: 1 }] },
    { channel: 'Bol', lines: [{ id: null, quantity: 2 }] }), { code: 'ItemIdsMissing' });
  assert.equal(engine.validateShipment({ carrier: '\ufeffColissimo', trackingNumber: '6A12345678901' }).carrier, 'Colissimo');
});

test('errors are real Error objects with name and code', () => {
  assert.throws(() => engine.validateShipment({ carrier: 'DPD', trackingNumber: 'N/A' }),
    (/** @type {any} */ e) => e instanceof Error && e.name === 'ShipmentError' && e.code === 'TrackingNumberPlaceholder' && e.field === 'trackingNumber');
  assert.throws(() => new engine.SyncEngine({ token: 'x', storeId: 1, sinceDays: 0 }, { store: memoryStore() }),
    (/** @type {any} */ e) => e instanceof Error && e.name === 'ConfigError' && e.code === 'Config' && e.field === 'sinceDays');
  assert.throws(() => engine.parseOrder('{"id": 1, "reference": "R", "items": [{"quantity": -1}]}'),
    (/** @type {any} */ e) => e.name === 'OrderError' && e.code === 'Malformed' && e.field === 'items[0].quantity');
});

test('validateShipment without the order\'s lines checks the fields, not the items; with them, the items too', () => {
  const parcel = { carrier: 'DPD', trackingNumber: '250012345678', items: [{ id: 3086070090, quantity: 1 }] };
  assert.deepEqual(engine.validateShipment(parcel).items, parcel.items);
  assert.throws(() => engine.validateShipment(parcel, { lines: [{ id: 7, quantity: 1 }], channel: 'Bol' }),
    (/** @type {any} */ e) => e.name === 'ShipmentError' && e.code === 'ItemUnknown');
  assert.equal(engine.validateShipment(parcel, { lines: [{ id: 3086070090, quantity: 2 }], channel: 'Bol' }).complete, false);
  // The channel's own rules apply without the lines: ManoMano wants a tracking URL.
  assert.throws(() => engine.validateShipment(parcel, { channel: 'Monechelle' }),
    (/** @type {any} */ e) => e.name === 'ShipmentError' && e.code === 'TrackingUrlRequired');
});

test('tracking-URL templates: one fill, one lookup, checked when configured', () => {
  assert.equal(engine.fillTrackingUrl('https://trace.dpd.fr/fr/trace/{trackingNumber}', '2500 1234'), 'https://trace.dpd.fr/fr/trace/2500%201234');
  assert.equal(engine.fillTrackingUrl('https://trace.dpd.fr/fr/trace/{number}', '250012345678'), 'https://trace.dpd.fr/fr/trace/250012345678');
  const table = [{ name: 'GLS', template: 'https://gls-group.com/FR/fr/suivi-colis?match={trackingNumber}' }];
  assert.equal(engine.trackingUrlFor(table, 'gls', '12345678901'), 'https://gls-group.com/FR/fr/suivi-colis?match=12345678901');
  assert.equal(engine.trackingUrlFor({ '*': 'https://t.example/{carrier}/{trackingNumber}' }, 'DHL', '1'), 'https://t.example/DHL/1');
  assert.equal(engine.trackingUrlFor(table, 'UPS', '1Z999AA10123456784'), null);
  assert.throws(() => engine.checkTrackingUrlTemplate('https://www.ups.com/track?tracknum={tracking_number}'),
    (/** @type {any} */ e) => e instanceof Error && e.name === 'ConfigError' && e.code === 'Config' && /\{tracking_number\}/.test(e.message));
});

test('a whole circuit through the Node build: import, acknowledge, ship, ticket', async () => {
  const store = memoryStore();
  /** @type {any[]} */
  const logs = [];
  const sync = new engine.SyncEngine(
    { apiUrl: sandbox.url, token: sandbox.token, storeId: sandbox.storeId, retry: { baseDelayMs: 5 } },
    { store, log: (/** @type {any} */ r) => logs.push(r) },
  );
  const first = await sync.runCycle();
  assert.ok(first.imported > 0, JSON.stringify(first));
  assert.equal(first.acknowledged, first.imported);
  assert.equal(store.orders.size, first.imported);
  // ≤ 100 orders per acknowledge call, pages of 200: a handful of calls for the whole import.
  assert.ok(first.requests <= 2 + Math.ceil(first.imported / 100) + 2, `requests ${first.requests}`);

  const [sfId] = store.orders.keys();
  const op = await sync.ship(sfId, { carrier: 'Colissimo', trackingNumber: '6A98765432109', trackingUrl: 'https://www.laposte.fr/suivi?code=6A98765432109' });
  assert.equal(op.state, 'sent');
  await assert.rejects(sync.ship(sfId, { carrier: 'Colissimo', trackingNumber: '6A98765432109' }), { name: 'ShipmentError', code: 'AlreadyShipped' });

  // The sandbox relays to the marketplace on its own clock; move it on, then follow the ticket.
  await fetch(`${sandbox.url}/_sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ minutes: 30 }) });
  const second = await sync.runCycle();
  assert.equal(second.imported, 0);
  const shipOp = [...store.ops.values()].find((o) => o.shoppingfeedId === sfId);
  assert.equal(shipOp.state, 'succeeded', shipOp.message);
  assert.equal(second.succeeded, 1);
  const journal = await store.loadImports([sfId]);
  assert.equal(journal[0].order.status, 'shipped');
  const log = await (await fetch(`${sandbox.url}/_sandbox/requests`)).json();
  const ships = (log.requests ?? log).filter((/** @type {any} */ r) => r.method === 'POST' && /\/order\/ship$/.test(r.path));
  assert.equal(ships.length, 1, 'exactly one ship call');
  assert.ok(!JSON.stringify(logs).includes(sandbox.token), 'token in logs');
});
