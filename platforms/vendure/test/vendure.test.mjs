// A real Vendure 3 server (sql.js) with ShoppingfeedPlugin, against the Shoppingfeed sandbox.
// Everything is observed from outside: Vendure through its Admin API, Shoppingfeed through its API and the
// sandbox's control API and request log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DefaultSchedulerPlugin, mergeConfig, TransactionalConnection } from '@vendure/core';
import { createTestEnvironment, registerInitializer, SqljsInitializer, testConfig } from '@vendure/testing';
import gql from 'graphql-tag';
import { toOrderDraft } from 'shoppingfeed-orders';
import { startSandbox } from 'shoppingfeed-orders/sandbox';
import { ShoppingfeedImport, ShoppingfeedPlugin, ShoppingfeedService, VendureOrderStore } from 'shoppingfeed-orders/vendure';

import { initialData } from './fixtures/initial-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const COLISSIMO = 'https://www.laposte.fr/outils/suivre-vos-envois?code={trackingNumber}';
const minor = (x) => Math.round(Number(x) * 100);

let sandbox;
let server;
let admin;
let dataDir;
const timings = {};

// ---------------------------------------------------------------------------------------------- helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(probe, what, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sandbox's control API (no token) and its emulated Shoppingfeed API (bearer token). */
async function control(method, route, body) {
  const res = await fetch(sandbox.url + route, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
async function shoppingfeedOrder(id) {
  const res = await fetch(`${sandbox.url}/v1/store/${sandbox.storeId}/order/${id}`, { headers: { authorization: `Bearer ${sandbox.token}` } });
  assert.equal(res.status, 200);
  return res.json();
}
async function operationRequests(operation) {
  const { requests } = await control('GET', `/_sandbox/requests?method=POST&path=/order/${operation}&limit=1000`);
  return requests.filter((r) => r.path.endsWith(`/order/${operation}`));
}
const bodyOf = (request) => (typeof request.body === 'string' ? JSON.parse(request.body) : request.body);

const SCHEDULED_TASKS = gql`
  query {
    scheduledTasks {
      id
      lastExecutedAt
      isRunning
      lastResult
    }
  }
`;
const RUN_TASK = gql`
  mutation Run($id: String!) {
    runScheduledTask(id: $id) {
      success
    }
  }
`;

async function syncTask() {
  const { scheduledTasks } = await admin.query(SCHEDULED_TASKS);
  return scheduledTasks.find((t) => t.id === 'shoppingfeed-sync');
}

/** Runs the plugin's scheduled task through the Admin API, as an admin's "run now" would, and waits for it. */
async function runScheduledSync() {
  const previous = (await syncTask()).lastExecutedAt;
  const { runScheduledTask } = await admin.query(RUN_TASK, { id: 'shoppingfeed-sync' });
  assert.equal(runScheduledTask.success, true);
  const done = await waitFor(async () => {
    const t = await syncTask();
    return t.lastExecutedAt && t.lastExecutedAt !== previous && !t.isRunning ? t : null;
  }, 'the scheduled sync');
  assert.equal(done.lastResult?.error, undefined, `the sync failed: ${done.lastResult?.error}`);
  return done.lastResult;
}

/** The plugin's admin hooks (ship, cancel) run after the admin's transaction commits: wait for `count` more. */
function hooksMark() {
  return server.app.get(ShoppingfeedService).hooksRun;
}
async function hooksRan(mark, count) {
  const service = server.app.get(ShoppingfeedService);
  await waitFor(() => service.hooksRun >= mark + count, `${count} admin hook(s)`);
  await service.idle();
}

const ORDER_FIELDS = `
  id code state active totalWithTax total subTotalWithTax shippingWithTax currencyCode
  customFields {
    shoppingfeedOrderId shoppingfeedReference shoppingfeedChannel shoppingfeedStatus
    shoppingfeedCarrier shoppingfeedRelayPoint shoppingfeedShippingAmount
  }
  lines {
    id quantity unitPriceWithTax linePriceWithTax linePrice
    productVariant { sku }
    customFields { shoppingfeedItemId shoppingfeedUnitPrice shoppingfeedTaxAmount }
  }
  surcharges { description priceWithTax }
  shippingLines { priceWithTax shippingMethod { code } }
  shippingAddress { fullName company streetLine1 streetLine2 city postalCode countryCode phoneNumber }
  billingAddress { fullName streetLine1 city postalCode countryCode }
  customer { emailAddress firstName lastName }
  payments { method amount state transactionId }
  fulfillments { id state method trackingCode customFields { trackingUrl shoppingfeedOperationId } }
`;
const ORDERS = gql`
  query {
    orders(options: { take: 100 }) {
      items { ${ORDER_FIELDS} }
    }
  }
`;
async function vendureOrders() {
  const { orders } = await admin.query(ORDERS);
  return new Map(orders.items.map((o) => [o.customFields.shoppingfeedReference, o]));
}

const ADD_FULFILLMENT = gql`
  mutation Fulfill($input: FulfillOrderInput!) {
    addFulfillmentToOrder(input: $input) {
      ... on Fulfillment { id state method trackingCode }
      ... on ErrorResult { errorCode message }
    }
  }
`;
const TRANSITION_FULFILLMENT = gql`
  mutation Ship($id: ID!, $state: String!) {
    transitionFulfillmentToState(id: $id, state: $state) {
      ... on Fulfillment { id state }
      ... on ErrorResult { errorCode message }
    }
  }
`;
const CANCEL_ORDER = gql`
  mutation Cancel($input: CancelOrderInput!) {
    cancelOrder(input: $input) {
      ... on Order { id state }
      ... on ErrorResult { errorCode message }
    }
  }
`;

// ---------------------------------------------------------------------------------------------- the shop

/** Marketplace orders, with references matching the shop's SKUs (and one that matches nothing). */
const SPECS = [
  { channel: 'amazon', reference: 'AMZ-1001', country: 'FR', items: [{ reference: 'SF-MUG', quantity: 2, price: 12.5 }, { reference: 'SF-TEE', quantity: 1, price: 19.99 }] },
  // A seller voucher of 10: the marketplace's total is below lines + shipping.
  {
    channel: 'manomano', reference: 'MM-2002', country: 'FR', items: [{ reference: 'SF-LAMP', quantity: 2, price: 36 }],
    payment: { shippingAmount: 6.9, productAmount: 62, totalAmount: 68.9 }, additionalFields: { seller_voucher: '10' },
  },
  { channel: 'cdiscount', reference: 'CD-3003', country: 'FR', relay: true, items: [{ reference: 'SF-MUG', quantity: 1, price: 12.5 }] },
  { channel: 'bol', reference: 'BOL-4004', country: 'NL', items: [{ reference: 'SF-TEE', quantity: 1, price: 22 }, { reference: 'NOPE-404', quantity: 1, price: 5 }] },
  { channel: 'bol', reference: 'BOL-5005', country: 'NL', items: [{ reference: 'SF-TEE', quantity: 1, price: 21.5 }] },
  { channel: 'amazon', reference: 'AMZ-6006', country: 'DE', items: [{ reference: 'SF-LAMP', quantity: 500, price: 39 }] },
].map((s) => ({ fulfilled: false, b2b: false, relay: false, isTest: false, itemsReferencesAliases: null, ...s }));
const sfIds = new Map(); // reference → Shoppingfeed order id

before(async () => {
  process.env.VENDURE_DISABLE_TELEMETRY = 'true'; // nothing leaves this machine
  sandbox = await startSandbox({ orders: 0, seed: 11, clock: 'manual' });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfo-vendure-'));
  registerInitializer('sqljs', new SqljsInitializer(dataDir));
  const config = mergeConfig(testConfig, {
    apiOptions: { port: await freePort() },
    schedulerOptions: { runTasksInWorkerOnly: false }, // the test server is its own worker
    plugins: [
      DefaultSchedulerPlugin.init({ manualTriggerCheckInterval: 200 }),
      ShoppingfeedPlugin.init({
        token: sandbox.token,
        storeId: sandbox.storeId,
        apiUrl: sandbox.url,
        everyMinutes: 10,
        autoAccept: true,
        trackingUrlTemplates: { Colissimo: COLISSIMO },
      }),
    ],
  });
  const env = createTestEnvironment(config);
  server = env.server;
  admin = env.adminClient;
  const t0 = performance.now();
  await server.init({ initialData, productsCsvPath: path.join(here, 'fixtures/products.csv'), customerCount: 0 });
  timings.boot = performance.now() - t0;
  await admin.asSuperAdmin();
  // The marketplaces sell in euros.
  const { activeChannel } = await admin.query(gql`query { activeChannel { id } }`);
  await admin.query(
    gql`mutation Ch($input: UpdateChannelInput!) { updateChannel(input: $input) { ... on Channel { id defaultCurrencyCode } } }`,
    { input: { id: activeChannel.id, defaultCurrencyCode: 'EUR' } },
  );
});

after(async () => {
  if (timings.boot) console.log(`vendure first boot (schema + populate + listen): ${(timings.boot / 1000).toFixed(1)} s`);
  await server?.destroy();
  await sandbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------- tests

test('the plugin registers its scheduled task (every 10 minutes)', async () => {
  const { scheduledTasks } = await admin.query(gql`query { scheduledTasks { id schedule enabled } }`);
  const task = scheduledTasks.find((t) => t.id === 'shoppingfeed-sync');
  assert.ok(task, 'shoppingfeed-sync is registered');
  assert.equal(task.schedule, '*/10 * * * *');
  assert.equal(task.enabled, true);
});

test('a scheduled sync creates the marketplace orders in Vendure with their prices, taxes and shipping as sent', async () => {
  const { orders } = await control('POST', '/_sandbox/orders', { importNow: true, orders: SPECS });
  for (const o of orders) sfIds.set(o.reference, o.orderId);
  assert.equal(sfIds.size, SPECS.length);

  const first = await runScheduledSync();
  assert.equal(first.imported, 3, JSON.stringify(first)); // Amazon, ManoMano, Bol; CDiscount waits for acceptance
  assert.equal(first.accepted, 1);
  // The accept and acknowledge tickets finish; the accepted CDiscount order is imported next cycle.
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 });
  const second = await runScheduledSync();
  assert.equal(second.imported, 1, JSON.stringify(second));

  const byRef = await vendureOrders();
  assert.deepEqual([...byRef.keys()].sort(), ['AMZ-1001', 'BOL-5005', 'CD-3003', 'MM-2002']);

  for (const [reference, order] of byRef) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(order.state, 'PaymentSettled', reference);
    assert.equal(order.active, false);
    assert.equal(order.currencyCode, sf.payment.currency);
    assert.equal(order.customFields.shoppingfeedOrderId, String(sf.id));
    assert.equal(order.customFields.shoppingfeedChannel, sf._embedded.channel.name);
    // Lines at the marketplace's prices (the shop's own prices are higher), tax included.
    for (const item of sf.items) {
      const line = order.lines.find((l) => l.productVariant.sku === item.reference);
      assert.ok(line, `${reference}: line ${item.reference}`);
      assert.equal(line.quantity, item.quantity);
      assert.equal(line.unitPriceWithTax, minor(item.price));
      assert.equal(line.linePriceWithTax, minor(item.price) * item.quantity);
      assert.equal(line.customFields.shoppingfeedItemId, String(item.id));
      assert.equal(line.customFields.shoppingfeedTaxAmount, minor(item.taxAmount));
      // The tax split follows the marketplace's tax amount (to the cent per unit).
      assert.ok(Math.abs(line.linePriceWithTax - line.linePrice - minor(item.taxAmount)) <= item.quantity, `${reference}: tax of ${item.reference}`);
    }
    assert.equal(order.shippingWithTax, minor(sf.payment.shippingAmount));
    assert.equal(order.shippingLines[0].shippingMethod.code, 'shoppingfeed');
    assert.equal(order.totalWithTax, minor(sf.payment.totalAmount), `${reference}: total as sent`);
    assert.equal(order.payments.length, 1);
    assert.equal(order.payments[0].state, 'Settled');
    assert.equal(order.payments[0].amount, minor(sf.payment.totalAmount));
    assert.equal(order.payments[0].transactionId, reference);
    // Customer and addresses.
    const sa = sf.shippingAddress;
    assert.equal(order.customer.emailAddress, sf.billingAddress.email.toLowerCase());
    assert.equal(order.shippingAddress.fullName, `${sa.firstName} ${sa.lastName}`.trim());
    assert.equal(order.shippingAddress.streetLine1, sa.street);
    assert.equal(order.shippingAddress.city, sa.city);
    assert.equal(order.shippingAddress.postalCode, sa.postalCode);
    assert.equal(order.shippingAddress.countryCode, sa.country);
    assert.equal(order.shippingAddress.phoneNumber, sa.mobilePhone || sa.phone);
    assert.equal(order.billingAddress.city, sf.billingAddress.city);
  }

  const amazon = byRef.get('AMZ-1001');
  assert.deepEqual(
    amazon.lines.map((l) => [l.productVariant.sku, l.quantity, l.unitPriceWithTax]),
    [['SF-MUG', 2, 1250], ['SF-TEE', 1, 1999]],
  );
  assert.equal(amazon.totalWithTax, 2500 + 1999 + amazon.shippingWithTax);
  // Amazon sends the shipping tax: 1.65 of 9.90 (tax = total - net, within a cent per unit).
  const amazonSf = await shoppingfeedOrder(sfIds.get('AMZ-1001'));
  const sentTax = amazonSf.items.reduce((s, i) => s + minor(i.taxAmount), 0) + minor(amazonSf.additionalFields.shipping_tax);
  assert.ok(Math.abs(amazon.totalWithTax - amazon.total - sentTax) <= 3, `taxes ${amazon.totalWithTax - amazon.total} vs ${sentTax}`);

  const voucher = byRef.get('MM-2002');
  assert.deepEqual(voucher.surcharges, [{ description: 'Marketplace adjustment (seller_voucher)', priceWithTax: -1000 }]);
  assert.equal(voucher.totalWithTax, 7200 + 690 - 1000);

  const relay = byRef.get('CD-3003');
  assert.ok(relay.customFields.shoppingfeedRelayPoint, 'relay point kept');
  assert.match(relay.shippingAddress.fullName, /Relais/);
});

test('each created order is acknowledged with its Vendure order code; the journal is in Vendure\'s database', async () => {
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 }); // the last acknowledgements land
  await runScheduledSync(); // and their tickets are followed
  const byRef = await vendureOrders();
  for (const [reference, order] of byRef) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(sf.storeReference, order.code, reference);
    assert.ok(sf.acknowledgedAt, `${reference} acknowledged`);
  }
  const rows = await server.app.get(TransactionalConnection).rawConnection.getRepository(ShoppingfeedImport).find();
  const journal = new Map(rows.map((r) => [r.shoppingfeedId, JSON.parse(r.record)]));
  assert.equal(journal.size, SPECS.length);
  for (const [reference, order] of byRef) {
    const rec = journal.get(String(sfIds.get(reference)));
    assert.equal(rec.shopOrderId, order.code);
    assert.equal(rec.state, 'acknowledged');
  }
});

test('creating an order is idempotent on the Shoppingfeed id (a crash between creation and journal)', async () => {
  const order = (await vendureOrders()).get('AMZ-1001');
  const draft = toOrderDraft(await shoppingfeedOrder(sfIds.get('AMZ-1001')));
  const outcome = await server.app.get(ShoppingfeedService).createOrder(draft);
  assert.deepEqual(outcome, { outcome: 'created', shopOrderId: order.code, existed: true });
  assert.equal((await admin.query(ORDERS)).orders.items.length, 4);
});

test('an unknown SKU (or missing stock) is error-acknowledged with the SKU named, and no order is made', async () => {
  const expected = { 'BOL-4004': /^unknown SKU NOPE-404$/, 'AMZ-6006': /^insufficient stock for SKU SF-LAMP \(500 ordered\)$/ };
  for (const [reference, message] of Object.entries(expected)) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(sf.acknowledgedAt, null);
    const ack = sf.errors.filter((e) => e.type === 'acknowledge');
    assert.equal(ack.length, 1, JSON.stringify(sf.errors));
    assert.match(ack[0].message, message);
    assert.equal((await vendureOrders()).has(reference), false);
  }
  // Not sent again by later cycles.
  await runScheduledSync();
  for (const reference of Object.keys(expected)) {
    const again = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(again.errors.filter((e) => e.type === 'acknowledge').length, 1, reference);
  }
});

test('a fulfillment created in the admin reaches Shoppingfeed as one ship operation with tracking', async () => {
  const order = (await vendureOrders()).get('AMZ-1001');
  const sfId = sfIds.get('AMZ-1001');
  let mark = hooksMark();
  const { addFulfillmentToOrder: f } = await admin.query(ADD_FULFILLMENT, {
    input: {
      lines: order.lines.map((l) => ({ orderLineId: l.id, quantity: l.quantity })),
      handler: {
        code: 'shoppingfeed-fulfillment',
        arguments: [
          { name: 'carrier', value: 'Colissimo' },
          { name: 'trackingCode', value: '6A12345678901' },
          { name: 'trackingUrl', value: '' },
        ],
      },
    },
  });
  assert.equal(f.method, 'Colissimo', JSON.stringify(f));
  await hooksRan(mark, 1);
  let ships = await operationRequests('ship');
  assert.equal(ships.length, 1);
  const sent = bodyOf(ships[0]).order;
  assert.equal(sent.length, 1);
  assert.equal(sent[0].id, sfId);
  assert.equal(sent[0].carrier, 'Colissimo');
  assert.equal(sent[0].trackingNumber, '6A12345678901');
  assert.equal(sent[0].trackingLink, COLISSIMO.replace('{trackingNumber}', '6A12345678901'));

  // Marking it shipped in the admin does not send it again.
  mark = hooksMark();
  const { transitionFulfillmentToState: shipped } = await admin.query(TRANSITION_FULFILLMENT, { id: f.id, state: 'Shipped' });
  assert.equal(shipped.state, 'Shipped', JSON.stringify(shipped));
  await hooksRan(mark, 1);
  ships = await operationRequests('ship');
  assert.equal(ships.length, 1);

  // Shoppingfeed relays it to the marketplace; the next cycle follows the ticket.
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 });
  await runScheduledSync();
  const marketplace = await control('GET', `/_sandbox/marketplace?orderId=${sfId}`);
  assert.equal(marketplace.status, 'shipped');
  assert.equal(marketplace.trackingNumber, '6A12345678901');
  const after = (await vendureOrders()).get('AMZ-1001');
  assert.equal(after.state, 'Shipped');
  assert.ok(after.fulfillments[0].customFields.shoppingfeedOperationId);
});

test('a partial fulfillment with the built-in handler ships those items, with the carrier template URL', async () => {
  const order = (await vendureOrders()).get('MM-2002');
  const sfId = sfIds.get('MM-2002');
  const before = (await operationRequests('ship')).length;
  const line = order.lines[0];
  const mark = hooksMark();
  const { addFulfillmentToOrder: f } = await admin.query(ADD_FULFILLMENT, {
    input: {
      lines: [{ orderLineId: line.id, quantity: 1 }],
      handler: { code: 'manual-fulfillment', arguments: [{ name: 'method', value: 'Colissimo' }, { name: 'trackingCode', value: '6A00000000001' }] },
    },
  });
  assert.ok(f.id, JSON.stringify(f));
  await hooksRan(mark, 1);
  const ships = (await operationRequests('ship')).slice(before);
  assert.equal(ships.length, 1);
  const sent = bodyOf(ships[0]).order[0];
  assert.equal(sent.id, sfId);
  assert.equal(sent.trackingLink, COLISSIMO.replace('{trackingNumber}', '6A00000000001'));
  assert.deepEqual(sent.items, [{ id: Number(line.customFields.shoppingfeedItemId), quantity: 1 }]);
});

test('cancelling a marketplace order in Vendure sends cancel to Shoppingfeed', async () => {
  const order = (await vendureOrders()).get('CD-3003');
  const sfId = sfIds.get('CD-3003');
  const mark = hooksMark();
  const { cancelOrder } = await admin.query(CANCEL_ORDER, { input: { orderId: order.id, reason: 'Out of stock', cancelShipping: true } });
  assert.equal(cancelOrder.state, 'Cancelled', JSON.stringify(cancelOrder));
  await hooksRan(mark, 1);
  const cancels = (await operationRequests('cancel')).filter((r) => bodyOf(r).order.some((o) => o.id === sfId));
  assert.equal(cancels.length, 1);
});

test('a cancellation on the marketplace cancels the Vendure order (and is not sent back)', async () => {
  const sfId = sfIds.get('BOL-5005');
  await control('POST', '/_sandbox/marketplace/cancel', { orderId: sfId, reason: 'buyer changed their mind' });
  await control('POST', '/_sandbox/clock/advance', { minutes: 31 }); // the cancellation reaches Shoppingfeed at the next tick
  const mark = hooksMark();
  const report = await runScheduledSync();
  await hooksRan(mark, 1); // the hook saw the cancellation, and did not send it back
  assert.equal(report.statusChanges, 1, JSON.stringify(report));
  const order = (await vendureOrders()).get('BOL-5005');
  assert.equal(order.state, 'Cancelled');
  assert.equal(order.customFields.shoppingfeedStatus, 'cancelled');
  const cancels = (await operationRequests('cancel')).filter((r) => bodyOf(r).order.some((o) => o.id === sfId));
  assert.equal(cancels.length, 0);
});

test('the sync lock lives in the database: one holder at a time', async () => {
  const connection = server.app.get(TransactionalConnection);
  const store = new VendureOrderStore({ dataSource: () => connection.rawConnection, shop: null, lockName: 'test-lock' });
  assert.equal(await store.tryLock('worker-a', 60_000), true);
  assert.equal(await store.tryLock('worker-b', 60_000), false);
  assert.equal(await store.tryLock('worker-a', 60_000), true); // renewal
  await store.unlock('worker-a');
  assert.equal(await store.tryLock('worker-b', 1), true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await store.tryLock('worker-a', 60_000), true); // b's lock expired
});

test('an operation is recorded once: of two servers recording the same shipment, the second is told', async () => {
  const connection = server.app.get(TransactionalConnection);
  const store = new VendureOrderStore({ dataSource: () => connection.rawConnection, shop: null, lockName: 'test-lock' });
  const op = (/** @type {string} */ trackingNumber) => ({ id: '999000111:ship:1', shoppingfeedId: 999000111, state: 'pending', recordedAt: new Date().toISOString(),
    payload: { operation: 'ship', shipment: { carrier: 'Colissimo', trackingNumber } } });
  const answers = await Promise.all([store.insertOperation(op('6A12345678901')), store.insertOperation(op('6A99999999999'))]);
  assert.deepEqual(answers.slice().sort(), [false, true]);
  const kept = await store.operations({ states: [], shoppingfeedId: 999000111 });
  assert.equal(kept.length, 1);
  assert.equal(kept[0].payload.shipment.trackingNumber, answers[0] ? '6A12345678901' : '6A99999999999', 'the first one written is the one kept');
});
