// A real Medusa v2 server (`medusa start`, PostgreSQL from run-tests.sh) with the shoppingfeed-orders plugin,
// against the Shoppingfeed sandbox. Everything is observed from outside: Medusa through its Admin API (and the
// plugin's tables in its database), Shoppingfeed through its API and the sandbox's control API and request log.
//
// Needs (set by run-tests.sh): DATABASE_URL (migrated), MEDUSA_ADMIN_EMAIL / MEDUSA_ADMIN_PASSWORD (an admin user).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import knexFactory from 'knex';
import { startSandbox } from 'shoppingfeed-orders/sandbox';
import medusaPlugin from 'shoppingfeed-orders/medusa';

const here = path.dirname(fileURLToPath(import.meta.url));
const project = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const money = (x) => Math.round(Number(x) * 100) / 100;

for (const name of ['DATABASE_URL', 'MEDUSA_ADMIN_EMAIL', 'MEDUSA_ADMIN_PASSWORD']) {
  if (!process.env[name]) throw new Error(`${name} is not set: run the tests through platforms/medusa/run-tests.sh`);
}

let sandbox;
let medusa;
let baseUrl;
let token;
let db;
let logDir;
const fixtures = {};
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

/** The Medusa Admin API (bearer token of the admin user). A GET is retried once on a dropped keep-alive socket. */
async function api(method, route, body) {
  const send = () =>
    fetch(baseUrl + route, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const res = await send().catch((err) => (method === 'GET' ? send() : Promise.reject(err)));
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
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

/** The plugin's state in the server (last cycle, admin hooks run). */
const pluginState = () => api('GET', '/admin/shoppingfeed?limit=5');

/**
 * Runs the plugin's scheduled job through Medusa's workflow engine (the workflow the scheduler runs every
 * 10 minutes, `job-shoppingfeed-sync`), and answers the cycle's report.
 */
async function runScheduledSync() {
  const { cycles } = await pluginState();
  await api('POST', '/admin/workflows-executions/job-shoppingfeed-sync/run', { input: {} });
  const state = await waitFor(async () => {
    const s = await pluginState();
    return s.cycles > cycles ? s : null;
  }, 'the scheduled sync');
  if (state.lastError) throw new Error(`the sync failed: ${state.lastError.code}: ${state.lastError.message}`);
  return state.lastCycle;
}

/** Admin hooks (subscribers) run after the admin's workflow: wait for `count` more to have run. */
async function hooksMark() {
  return (await pluginState()).hooks.run;
}
async function hooksRan(mark, count) {
  await waitFor(async () => (await pluginState()).hooks.run >= mark + count, `${count} admin hook(s)`);
}

const ORDER_FIELDS = [
  'id',
  'display_id',
  'status',
  'email',
  'currency_code',
  'metadata',
  'total',
  'subtotal',
  'tax_total',
  'item_total',
  'shipping_total',
  'credit_line_total',
  'payment_status',
  'fulfillment_status',
  '*items',
  '*items.tax_lines',
  '*items.variant',
  '*shipping_address',
  '*billing_address',
  '*shipping_methods',
  '*shipping_methods.tax_lines',
  '*credit_lines',
  '*payment_collections',
  '*payment_collections.payments',
  '*payment_collections.payments.captures',
  '*fulfillments',
  '*fulfillments.labels',
  '*customer',
].join(',');

async function medusaOrders() {
  const { orders } = await api('GET', `/admin/orders?limit=100&fields=${encodeURIComponent(ORDER_FIELDS)}`);
  return new Map(orders.filter((o) => o.metadata?.shoppingfeed_reference).map((o) => [o.metadata.shoppingfeed_reference, o]));
}

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

/** The catalog: shop prices above the marketplaces', mugs and lamps with managed stock, tee-shirts without. */
const PRODUCTS = [
  { title: 'Shoppingfeed mug', sku: 'SF-MUG', price: 15, stock: 50 },
  { title: 'Shoppingfeed tee-shirt', sku: 'SF-TEE', price: 25, stock: null },
  { title: 'Shoppingfeed lamp', sku: 'SF-LAMP', price: 45, stock: 20 },
];

/** A Medusa shop as a merchant sets it up in the admin: region, taxes, warehouse, shipping, products, stock. */
async function setUpShop() {
  const { store } = await api('GET', '/admin/stores/' + (await api('GET', '/admin/stores')).stores[0].id);
  const salesChannelId = store.default_sales_channel_id;
  const { shipping_profiles } = await api('GET', '/admin/shipping-profiles?type=default');
  const profileId = shipping_profiles[0].id;

  const { region } = await api('POST', '/admin/regions', {
    name: 'Europe',
    currency_code: 'eur',
    countries: ['fr', 'de', 'nl', 'be'],
    payment_providers: ['pp_system_default'],
    automatic_taxes: true,
  });
  // Medusa's own French rate is not the marketplace's: the order must keep the marketplace's taxes.
  await api('POST', '/admin/tax-regions', { country_code: 'fr', provider_id: 'tp_system', default_tax_rate: { code: 'FR-REDUCED', name: 'Reduced', rate: 5.5 } });

  const { stock_location: location } = await api('POST', '/admin/stock-locations', {
    name: 'Warehouse',
    address: { address_1: '1 rue du Port', city: 'Nantes', country_code: 'fr', postal_code: '44000' },
  });
  await api('POST', `/admin/stock-locations/${location.id}/sales-channels`, { add: [salesChannelId] });
  await api('POST', `/admin/stock-locations/${location.id}/fulfillment-providers`, { add: ['manual_manual'] });
  const { stock_location: withSet } = await api('POST', `/admin/stock-locations/${location.id}/fulfillment-sets?fields=*fulfillment_sets`, {
    name: 'Warehouse shipping',
    type: 'shipping',
  });
  const fulfillmentSetId = withSet.fulfillment_sets[0].id;
  const { fulfillment_set } = await api('POST', `/admin/fulfillment-sets/${fulfillmentSetId}/service-zones`, {
    name: 'Europe',
    geo_zones: ['fr', 'de', 'nl', 'be'].map((country_code) => ({ type: 'country', country_code })),
  });
  const serviceZoneId = fulfillment_set.service_zones[0].id;
  const option = (name, amount) =>
    api('POST', '/admin/shipping-options', {
      name,
      service_zone_id: serviceZoneId,
      shipping_profile_id: profileId,
      provider_id: 'manual_manual',
      price_type: 'flat',
      type: { label: 'Standard', description: 'Standard shipping', code: 'standard' },
      prices: [{ currency_code: 'eur', amount }],
      rules: [
        { attribute: 'enabled_in_store', operator: 'eq', value: 'true' },
        { attribute: 'is_return', operator: 'eq', value: 'false' },
      ],
    });
  const { shipping_option: colissimo } = await option('Colissimo', 5.9);
  const { shipping_option: dhl } = await option('DHL', 7.9);

  const variants = new Map();
  for (const p of PRODUCTS) {
    const { product } = await api('POST', '/admin/products?fields=*variants,*variants.inventory_items', {
      title: p.title,
      status: 'published',
      shipping_profile_id: profileId,
      sales_channels: [{ id: salesChannelId }],
      options: [{ title: 'Default', values: ['Default'] }],
      variants: [
        {
          title: 'Default',
          sku: p.sku,
          options: { Default: 'Default' },
          prices: [{ currency_code: 'eur', amount: p.price }],
          manage_inventory: p.stock != null,
        },
      ],
    });
    const variant = product.variants[0];
    variants.set(p.sku, variant);
    if (p.stock != null) {
      const inventoryItemId = variant.inventory_items[0].inventory_item_id;
      await api('POST', `/admin/inventory-items/${inventoryItemId}/location-levels`, { location_id: location.id, stocked_quantity: p.stock });
    }
  }
  Object.assign(fixtures, { salesChannelId, profileId, regionId: region.id, locationId: location.id, colissimo, dhl, variants });
}

async function startMedusa() {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // run-tests.sh gives a directory it shows (on failure) and removes; alone, a temporary one.
  logDir = process.env.SFO_LOG_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'sfo-medusa-'));
  const log = fs.openSync(path.join(logDir, 'medusa.log'), 'a');
  const cli = require.resolve('@medusajs/cli/cli.js');
  medusa = spawn(process.execPath, [cli, 'start', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: project,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      SHOPPINGFEED_TOKEN: sandbox.token,
      SHOPPINGFEED_STORE_ID: String(sandbox.storeId),
      SHOPPINGFEED_API_URL: sandbox.url,
      // No scheduled tick during the tests (they run the job themselves): once a day instead of every 10 minutes.
      SHOPPINGFEED_EVERY_MINUTES: '1440',
    },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise((resolve) => medusa.once('exit', (code) => resolve(code)));
  const t0 = performance.now();
  await waitFor(
    async () => {
      if (medusa.exitCode !== null) throw new Error(`medusa start exited (${await exited}): ${medusaLog().slice(-3000)}`);
      const res = await fetch(`${baseUrl}/health`).catch(() => null);
      return res?.ok;
    },
    'Medusa to answer /health',
    60_000,
  );
  timings.boot = performance.now() - t0;
}

function medusaLog() {
  try {
    return fs.readFileSync(path.join(logDir, 'medusa.log'), 'utf8');
  } catch {
    return '';
  }
}

before(async () => {
  sandbox = await startSandbox({ orders: 0, seed: 11, clock: 'manual' });
  await startMedusa();
  ({ token } = await api('POST', '/auth/user/emailpass', { email: process.env.MEDUSA_ADMIN_EMAIL, password: process.env.MEDUSA_ADMIN_PASSWORD }));
  await setUpShop();
  db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 2 } });
});

after(async () => {
  if (timings.boot) console.log(`medusa start to /health: ${(timings.boot / 1000).toFixed(1)} s`);
  if (medusa && medusa.exitCode === null) {
    const exited = new Promise((resolve) => medusa.once('exit', resolve));
    medusa.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (medusa.exitCode === null) medusa.kill('SIGKILL');
  }
  await db?.destroy();
  await sandbox?.close();
  if (logDir && !process.env.SFO_LOG_DIR) console.log(`# medusa log: ${path.join(logDir, 'medusa.log')}`);
});

// ---------------------------------------------------------------------------------------------- tests

test('the plugin loads: its module, its scheduled job (every 10 minutes), its subscribers and admin routes', async () => {
  const pluginRoot = path.dirname(require.resolve('shoppingfeed-orders/medusa/package.json'));
  const job = require(path.join(pluginRoot, '.medusa/server/src/jobs/shoppingfeed-sync.js'));
  assert.deepEqual(job.config, { name: 'shoppingfeed-sync', schedule: '*/10 * * * *' });
  const state = await pluginState();
  assert.equal(state.storeId, sandbox.storeId);
  assert.deepEqual(state.hooks, { run: 0, failed: 0 });
  const tables = await db('pg_tables').select('tablename').where('tablename', 'like', 'shoppingfeed_%').orderBy('tablename');
  assert.deepEqual(tables.map((t) => t.tablename), ['shoppingfeed_event', 'shoppingfeed_import', 'shoppingfeed_lock', 'shoppingfeed_operation']);
  assert.equal(typeof medusaPlugin.getShoppingfeedSync, 'function');
});

test('a scheduled sync creates the marketplace orders with Medusa\'s order workflow, prices and taxes as sent, paid', async () => {
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

  const byRef = await medusaOrders();
  assert.deepEqual([...byRef.keys()].sort(), ['AMZ-1001', 'BOL-5005', 'CD-3003', 'MM-2002']);

  for (const [reference, order] of byRef) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    const at = `${reference}:`;
    assert.equal(order.status, 'pending', at);
    assert.equal(order.currency_code, sf.payment.currency.toLowerCase(), at);
    // Metadata links the order to Shoppingfeed.
    assert.equal(order.metadata.shoppingfeed_order_id, String(sf.id), at);
    assert.equal(order.metadata.shoppingfeed_channel, sf._embedded.channel.name, at);
    assert.equal(order.metadata.shoppingfeed_status, 'waiting_shipment', at);
    // Lines at the marketplace's prices (the shop's own prices are higher), tax included, the marketplace's tax.
    for (const item of sf.items) {
      const line = order.items.find((l) => l.variant_sku === item.reference);
      assert.ok(line, `${at} line ${item.reference}`);
      assert.equal(line.quantity, item.quantity, at);
      assert.equal(money(line.unit_price), money(item.price), at);
      assert.equal(line.is_tax_inclusive, true, at);
      assert.equal(money(line.total), money(item.price * item.quantity), at);
      assert.equal(line.metadata.shoppingfeed_item_id, String(item.id), at);
      assert.ok(Math.abs(money(line.tax_total) - money(item.taxAmount)) <= 0.01, `${at} tax of ${item.reference}: ${line.tax_total} vs ${item.taxAmount}`);
      assert.ok(line.tax_lines.every((t) => t.code === 'SHOPPINGFEED'), `${at} tax lines ${JSON.stringify(line.tax_lines)}`);
    }
    assert.equal(money(order.shipping_total), money(sf.payment.shippingAmount), at);
    assert.equal(order.shipping_methods.length, 1, at);
    assert.equal(order.shipping_methods[0].shipping_option_id, fixtures.colissimo.id, at); // named like no carrier: the first covering the country
    assert.equal(money(order.total), money(sf.payment.totalAmount), `${at} total as sent`);
    // Paid: one payment collection of the marketplace's total, captured.
    assert.equal(order.payment_status, 'captured', at);
    assert.equal(order.payment_collections.length, 1, at);
    const [collection] = order.payment_collections;
    assert.equal(money(collection.amount), money(sf.payment.totalAmount), at);
    assert.equal(collection.payments.length, 1, at);
    assert.equal(collection.payments[0].provider_id, 'pp_system_default', at);
    assert.equal(money(collection.payments[0].captures.reduce((s, c) => s + Number(c.amount), 0)), money(sf.payment.totalAmount), at);
    // Customer and addresses.
    const sa = sf.shippingAddress;
    assert.equal(order.email, sf.billingAddress.email.toLowerCase(), at);
    assert.equal(order.shipping_address.first_name, sa.firstName, at);
    assert.equal(order.shipping_address.last_name, sa.lastName, at);
    assert.equal(order.shipping_address.address_1, sa.street, at);
    assert.equal(order.shipping_address.city, sa.city, at);
    assert.equal(order.shipping_address.postal_code, sa.postalCode, at);
    assert.equal(order.shipping_address.country_code, sa.country.toLowerCase(), at);
    assert.equal(order.shipping_address.phone, sa.mobilePhone || sa.phone, at);
    assert.equal(order.billing_address.city, sf.billingAddress.city, at);
  }

  const amazon = byRef.get('AMZ-1001');
  assert.deepEqual(
    amazon.items.map((l) => [l.variant_sku, l.quantity, money(l.unit_price)]).sort(),
    [['SF-MUG', 2, 12.5], ['SF-TEE', 1, 19.99]],
  );
  // Amazon sends the shipping tax: the shipping line carries that rate, and the order's tax is the marketplace's.
  const amazonSf = await shoppingfeedOrder(sfIds.get('AMZ-1001'));
  const sentTax = amazonSf.items.reduce((s, i) => s + Number(i.taxAmount), 0) + Number(amazonSf.additionalFields.shipping_tax);
  assert.ok(Math.abs(money(amazon.tax_total) - money(sentTax)) <= 0.02, `taxes ${amazon.tax_total} vs ${sentTax}`);

  // The voucher: a credit line, and the total is what the buyer paid.
  const voucher = byRef.get('MM-2002');
  assert.equal(voucher.credit_lines.length, 1);
  assert.equal(money(voucher.credit_lines[0].amount), 10);
  assert.equal(voucher.credit_lines[0].reference, 'shoppingfeed');
  assert.equal(money(voucher.total), 72 + 6.9 - 10);

  const relay = byRef.get('CD-3003');
  assert.ok(relay.metadata.shoppingfeed_relay_point, 'relay point kept');
  assert.match(`${relay.shipping_address.company} ${relay.shipping_address.first_name} ${relay.shipping_address.last_name}`, /Relais/);

  // Stock reserved for managed variants (tee-shirts are not managed).
  const reserved = await db('reservation_item').select('line_item_id', 'quantity', 'location_id').whereNull('deleted_at');
  const lines = [...byRef.values()].flatMap((o) => o.items.filter((l) => l.variant?.manage_inventory));
  assert.equal(reserved.length, lines.length);
  for (const line of lines) {
    const r = reserved.find((x) => x.line_item_id === line.id);
    assert.ok(r, `reservation of ${line.variant_sku}`);
    assert.equal(Number(r.quantity), line.quantity);
    assert.equal(r.location_id, fixtures.locationId);
  }
});

test('each created order is acknowledged with its Medusa display id; the journal is in Medusa\'s database', async () => {
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 }); // the last acknowledgements land
  await runScheduledSync(); // and their tickets are followed
  const byRef = await medusaOrders();
  const rows = await db('shoppingfeed_import').select('id', 'state', 'shop_order_id', 'record');
  const journal = new Map(rows.map((r) => [r.id, r]));
  assert.equal(journal.size, SPECS.length);
  for (const [reference, order] of byRef) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(sf.storeReference, String(order.display_id), reference);
    assert.ok(sf.acknowledgedAt, `${reference} acknowledged`);
    const row = journal.get(String(sfIds.get(reference)));
    assert.equal(row.shop_order_id, String(order.display_id));
    assert.equal(row.state, 'acknowledged');
    assert.equal(row.record.shopOrderId, String(order.display_id));
  }
  const { orders } = await api('GET', '/admin/shoppingfeed/orders?limit=10');
  assert.equal(orders.length, SPECS.length);
  assert.ok(orders.every((o) => typeof o.deadline.state === 'string'));
});

test('creating an order is idempotent on the Shoppingfeed id (a crash between creation and journal)', async () => {
  const order = (await medusaOrders()).get('BOL-5005');
  const sfId = String(sfIds.get('BOL-5005'));
  // The journal forgets the order and Shoppingfeed offers it again, as after a crash before the journal write.
  await db('shoppingfeed_import').where('id', sfId).delete();
  const res = await fetch(`${sandbox.url}/v1/store/${sandbox.storeId}/order/unacknowledge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ order: [{ id: Number(sfId) }] }),
  });
  assert.equal(res.status, 202);
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 });
  assert.equal((await shoppingfeedOrder(sfId)).acknowledgedAt, null);

  const report = await runScheduledSync();
  assert.equal(report.imported + report.reacknowledged, 1, JSON.stringify(report));
  const again = (await api('GET', `/admin/orders?limit=100&fields=id,metadata`)).orders.filter((o) => o.metadata?.shoppingfeed_order_id === sfId);
  assert.deepEqual(again.map((o) => o.id), [order.id]);
  const [row] = await db('shoppingfeed_import').where('id', sfId);
  assert.equal(row.shop_order_id, String(order.display_id));
});

test('an unknown SKU (or missing stock) is error-acknowledged with the SKU named, and no order is made', async () => {
  const expected = { 'BOL-4004': /^unknown SKU NOPE-404$/, 'AMZ-6006': /^insufficient stock for SKU SF-LAMP \(500 ordered\)$/ };
  for (const [reference, message] of Object.entries(expected)) {
    const sf = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(sf.acknowledgedAt, null);
    const ack = sf.errors.filter((e) => e.type === 'acknowledge');
    assert.equal(ack.length, 1, JSON.stringify(sf.errors));
    assert.match(ack[0].message, message);
    assert.equal((await medusaOrders()).has(reference), false);
  }
  // Not sent again by later cycles (this one run through the plugin's admin route).
  const { report } = await api('POST', '/admin/shoppingfeed/sync');
  assert.equal(report.errorAcknowledged, 0, JSON.stringify(report));
  for (const reference of Object.keys(expected)) {
    const again = await shoppingfeedOrder(sfIds.get(reference));
    assert.equal(again.errors.filter((e) => e.type === 'acknowledge').length, 1, reference);
  }
});

test('a shipment created in the admin reaches Shoppingfeed as one ship operation with the label\'s tracking', async () => {
  const order = (await medusaOrders()).get('AMZ-1001');
  const sfId = sfIds.get('AMZ-1001');
  const items = order.items.map((l) => ({ id: l.id, quantity: l.quantity }));
  const { order: fulfilled } = await api('POST', `/admin/orders/${order.id}/fulfillments?fields=id,*fulfillments`, { items });
  const fulfillment = fulfilled.fulfillments.at(-1);
  assert.ok(fulfillment.id);
  let ships = await operationRequests('ship');
  assert.equal(ships.length, 0, 'a fulfillment alone is not a shipment');

  const mark = await hooksMark();
  await api('POST', `/admin/orders/${order.id}/fulfillments/${fulfillment.id}/shipments`, {
    items,
    labels: [{ tracking_number: '6A12345678901', tracking_url: 'https://tracking.example/6A12345678901', label_url: '#' }],
  });
  await hooksRan(mark, 1);
  ships = await operationRequests('ship');
  assert.equal(ships.length, 1);
  const sent = bodyOf(ships[0]).order;
  assert.equal(sent.length, 1);
  assert.equal(sent[0].id, sfId);
  assert.equal(sent[0].carrier, 'Colissimo'); // the shipping option's name
  assert.equal(sent[0].trackingNumber, '6A12345678901');
  assert.equal(sent[0].trackingLink, 'https://tracking.example/6A12345678901');

  // Shoppingfeed relays it to the marketplace; the next cycle follows the ticket, and sends nothing again.
  await control('POST', '/_sandbox/clock/advance', { minutes: 1 });
  await runScheduledSync();
  const marketplace = await control('GET', `/_sandbox/marketplace?orderId=${sfId}`);
  assert.equal(marketplace.status, 'shipped');
  assert.equal(marketplace.trackingNumber, '6A12345678901');
  assert.equal((await operationRequests('ship')).length, 1);
  const after = (await medusaOrders()).get('AMZ-1001');
  assert.equal(after.fulfillment_status, 'shipped');
  const { orders } = await api('GET', `/admin/shoppingfeed/orders?limit=10`);
  const view = orders.find((o) => o.id === sfId);
  assert.equal(view.shipment.trackingNumber, '6A12345678901');
  assert.equal(view.shipment.state, 'succeeded');
});

test('a partial shipment sends those items; without a tracking URL on the label, the carrier\'s template', async () => {
  const order = (await medusaOrders()).get('MM-2002');
  const sfId = sfIds.get('MM-2002');
  const before = (await operationRequests('ship')).length;
  const line = order.items[0];
  const items = [{ id: line.id, quantity: 1 }];
  const { order: fulfilled } = await api('POST', `/admin/orders/${order.id}/fulfillments?fields=id,*fulfillments`, {
    items,
    shipping_option_id: fixtures.dhl.id, // the merchant ships this parcel with another carrier
  });
  const fulfillment = fulfilled.fulfillments.at(-1);
  const mark = await hooksMark();
  await api('POST', `/admin/orders/${order.id}/fulfillments/${fulfillment.id}/shipments`, {
    items,
    labels: [{ tracking_number: 'JD0002250000000001', tracking_url: '#', label_url: '#' }],
  });
  await hooksRan(mark, 1);
  const ships = (await operationRequests('ship')).slice(before);
  assert.equal(ships.length, 1);
  const sent = bodyOf(ships[0]).order[0];
  assert.equal(sent.id, sfId);
  assert.equal(sent.carrier, 'DHL');
  assert.equal(sent.trackingLink, 'https://www.dhl.com/fr-fr/home/suivi.html?tracking-id=JD0002250000000001');
  assert.deepEqual(sent.items, [{ id: Number(line.metadata.shoppingfeed_item_id), quantity: 1 }]);
});

test('cancelling a marketplace order in Medusa sends cancel to Shoppingfeed', async () => {
  const order = (await medusaOrders()).get('CD-3003');
  const sfId = sfIds.get('CD-3003');
  const mark = await hooksMark();
  const { order: cancelled } = await api('POST', `/admin/orders/${order.id}/cancel`, {});
  assert.equal(cancelled.status, 'canceled');
  await hooksRan(mark, 1);
  const cancels = (await operationRequests('cancel')).filter((r) => bodyOf(r).order.some((o) => o.id === sfId));
  assert.equal(cancels.length, 1);
});

test('a shipment Shoppingfeed would refuse (placeholder tracking number) is not sent, and the order says why', async () => {
  const order = (await medusaOrders()).get('MM-2002'); // its second lamp is still to ship
  const before = (await operationRequests('ship')).length;
  const line = order.items[0];
  const items = [{ id: line.id, quantity: 1 }];
  const { order: fulfilled } = await api('POST', `/admin/orders/${order.id}/fulfillments?fields=id,*fulfillments`, { items });
  const fulfillment = fulfilled.fulfillments.at(-1);
  const mark = await hooksMark();
  await api('POST', `/admin/orders/${order.id}/fulfillments/${fulfillment.id}/shipments`, {
    items,
    labels: [{ tracking_number: 'N/A', tracking_url: '#', label_url: '#' }],
  });
  await hooksRan(mark, 1);
  assert.equal((await operationRequests('ship')).length, before);
  const after = (await medusaOrders()).get('MM-2002');
  assert.match(after.metadata.shoppingfeed_error, /^shipment not sent: .*tracking/i);
});

test('a cancellation on the marketplace cancels the Medusa order (and is not sent back)', async () => {
  const sfId = sfIds.get('BOL-5005');
  await control('POST', '/_sandbox/marketplace/cancel', { orderId: sfId, reason: 'buyer changed their mind' });
  await control('POST', '/_sandbox/clock/advance', { minutes: 31 }); // the cancellation reaches Shoppingfeed at the next tick
  const mark = await hooksMark();
  const report = await runScheduledSync();
  assert.equal(report.statusChanges, 1, JSON.stringify(report));
  await hooksRan(mark, 1); // the hook saw the cancellation, and did not send it back
  const order = (await medusaOrders()).get('BOL-5005');
  assert.equal(order.status, 'canceled');
  assert.equal(order.metadata.shoppingfeed_status, 'cancelled');
  assert.equal(order.payment_status, 'refunded'); // Medusa's cancellation refunds the captured payment
  const cancels = (await operationRequests('cancel')).filter((r) => bodyOf(r).order.some((o) => o.id === sfId));
  assert.equal(cancels.length, 0);
});

test('a marketplace-fulfilled order (Amazon FBA) is imported paid, without stock effect and without shipment', async () => {
  const { orders } = await control('POST', '/_sandbox/orders', {
    importNow: true,
    orders: [{ channel: 'amazon', reference: 'AMZ-7007', country: 'FR', fulfilled: true, items: [{ reference: 'SF-LAMP', quantity: 30, price: 39 }] }],
  });
  const sfId = orders[0].orderId;
  const lampLevel = () =>
    db('inventory_level').first('reserved_quantity', 'stocked_quantity').where('inventory_item_id', fixtures.variants.get('SF-LAMP').inventory_items[0].inventory_item_id);
  const reservedBefore = await db('reservation_item').count({ n: '*' }).whereNull('deleted_at');
  const levelBefore = await lampLevel();
  const report = await runScheduledSync();
  assert.equal(report.imported, 1, JSON.stringify(report)); // 30 lamps, 20 in stock: only the marketplace's stock counts
  const order = (await medusaOrders()).get('AMZ-7007');
  const sf = await shoppingfeedOrder(sfId);
  assert.equal(order.metadata.shoppingfeed_fulfilled_by_channel, true);
  assert.equal(order.items.length, 1);
  assert.equal(order.items[0].variant_id, null);
  assert.equal(order.items[0].requires_shipping, false);
  assert.equal(order.items[0].quantity, 30);
  assert.equal(money(order.total), money(sf.payment.totalAmount));
  assert.equal(order.payment_status, 'captured');
  assert.deepEqual(await db('reservation_item').count({ n: '*' }).whereNull('deleted_at'), reservedBefore);
  assert.deepEqual(await lampLevel(), levelBefore);
});

test('the sync lock lives in the database: one holder at a time', async () => {
  const journal = new medusaPlugin.Journal(() => db);
  assert.equal(await journal.tryLock('test-lock', 'worker-a', 60_000), true);
  assert.equal(await journal.tryLock('test-lock', 'worker-b', 60_000), false);
  assert.equal(await journal.tryLock('test-lock', 'worker-a', 60_000), true); // renewal
  await journal.unlock('test-lock', 'worker-a');
  assert.equal(await journal.tryLock('test-lock', 'worker-b', 1), true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await journal.tryLock('test-lock', 'worker-a', 60_000), true); // b's lock expired
  const state = await pluginState();
  assert.equal(state.hooks.failed, 0);
  assert.ok(state.events.some((e) => e.kind === 'cycle'));
});

test('an operation is recorded once: of two servers recording the same shipment, the second is told', async () => {
  const journal = new medusaPlugin.Journal(() => db);
  const op = (/** @type {string} */ trackingNumber) => ({ id: '999000111:ship:1', shoppingfeedId: 999000111, state: 'pending', recordedAt: new Date().toISOString(),
    payload: { operation: 'ship', shipment: { carrier: 'Colissimo', trackingNumber } } });
  const answers = await Promise.all([journal.insertOperation(op('6A12345678901')), journal.insertOperation(op('6A99999999999'))]);
  assert.deepEqual(answers.slice().sort(), [false, true]);
  const kept = await journal.operations({ states: [], shoppingfeedId: 999000111 });
  assert.equal(kept.length, 1);
  assert.equal(kept[0].payload.shipment.trackingNumber, answers[0] ? '6A12345678901' : '6A99999999999', 'the first one written is the one kept');
});
