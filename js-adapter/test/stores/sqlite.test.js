// @ts-check
// SqliteStore beyond the shared contract (conformance.test.js): the file itself (pragmas, migrations,
// reopening), several processes on one file, and a whole engine cycle against the sandbox.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../sandbox/index.js';
import { draft, importRecord, operationRecords } from './fixtures.js';

const require = createRequire(import.meta.url);
const { SqliteStore, MIGRATIONS } = /** @type {any} */ (require('../../lib/stores/sqlite.cjs'));
const journal = /** @type {any} */ (require('../../lib/stores/journal.cjs'));
/** @type {any} */
const Database = require('better-sqlite3');
const WORKER = fileURLToPath(new URL('./store-worker.cjs', import.meta.url));

let dir = '';
let n = 0;
const file = () => join(dir, `sqlite-${++n}.db`);
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sfo-sqlite-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** @param {string} f @param {string} sql @param {any[]} [args] @returns {any[]} */
function query(f, sql, args = []) {
  const db = new Database(f, { readonly: true });
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

describe('the file', () => {
  test('WAL, busy_timeout 5000, foreign keys; both migrations recorded on a new file', () => {
    const f = file();
    const store = new SqliteStore(f);
    try {
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.db.pragma('cache_size', { simple: true }), -6000, '6 MB page cache, not better-sqlite3\'s 16 MB');
      assert.deepEqual(store.migrated, [1, 2]);
      const rows = store.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(rows.map((/** @type {any} */ r) => [r.version, r.name]), MIGRATIONS.map((/** @type {any} */ m) => [m.version, m.name]));
      for (const r of rows) assert.ok(!Number.isNaN(Date.parse(r.applied_at)), r.applied_at);
      assert.equal(store.db.pragma('user_version', { simple: true }), 2);
      const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['counters', 'events', 'imports', 'locks', 'operations', 'order_lines', 'orders', 'products', 'schema_migrations']);
      const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all();
      assert.deepEqual(indexes, ['events_kind', 'imports_channel_key', 'imports_listing', 'imports_state', 'imports_status',
        'operations_shoppingfeed_id', 'operations_state']);
      // The id is UNIQUE in the table itself, not only in the code.
      const unique = store.db.prepare("SELECT count(*) FROM pragma_index_list('orders') WHERE \"unique\" = 1 AND origin = 'u'").pluck().get();
      assert.equal(unique, 1);
    } finally {
      store.close();
    }
    const again = new SqliteStore(f);
    assert.deepEqual(again.migrated, [], 'reopening applies nothing');
    assert.deepEqual(again.schemaVersions(), [1, 2]);
    again.close();
    assert.equal(query(f, 'SELECT count(*) AS c FROM schema_migrations')[0].c, 2);
  });

  test('the journal description (journal.cjs) names the columns the migrations create, in their order', () => {
    const store = new SqliteStore(':memory:');
    try {
      const columns = (/** @type {string} */ t) => store.db.prepare(`SELECT name FROM pragma_table_info('${t}') ORDER BY cid`).pluck().all();
      for (const t of [journal.IMPORTS, journal.OPERATIONS]) assert.deepEqual(columns(t.name), t.columns.map((/** @type {any} */ c) => c.name), t.name);
      assert.deepEqual(columns('events'), ['id', ...journal.EVENTS.columns.map((/** @type {any} */ c) => c.name)]);
      // The shop order's columns a draft fills, the others aside.
      const fromDraft = (/** @type {string} */ t, /** @type {string[]} */ aside) => columns(t).filter((/** @type {string} */ c) => !aside.includes(c));
      assert.deepEqual(fromDraft('orders', ['id', 'shoppingfeed_id', 'status', 'created_at', 'updated_at']), journal.ORDERS.columns.map((/** @type {any} */ c) => c.name));
      assert.deepEqual(fromDraft('order_lines', ['order_id', 'line_no']), journal.ORDER_LINES.columns.map((/** @type {any} */ c) => c.name));
    } finally {
      store.close();
    }
  });

  test('cacheKb sets the page cache; a bad value is refused naming it', () => {
    const store = new SqliteStore(':memory:', { cacheKb: 2000 });
    assert.equal(store.db.pragma('cache_size', { simple: true }), -2000);
    store.close();
    assert.throws(() => new SqliteStore(':memory:', { cacheKb: 12.5 }), /cacheKb must be a whole number of KiB, at least 100, got 12.5/);
  });

  test('a version-1 file gets only migration 2, its data intact; a file from a newer version is refused', async () => {
    const f = file();
    const old = new Database(f);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    old.exec(MIGRATIONS[0].sql);
    old.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?)').run(MIGRATIONS[0].name, '2026-01-01T00:00:00.000Z');
    const rec = importRecord(777, { channel: { id: 111, name: 'CDiscount' } });
    old.prepare(`INSERT INTO imports (shoppingfeed_id, reference, channel_id, channel_name, channel_key, state, shop_order_id, status,
      tries, last_error, created_at, updated_at, record) VALUES (777, ?, 111, 'CDiscount', 'cdiscount', 'acknowledged', 'SO-777',
      'waiting_shipment', 0, NULL, '2026-11-28T08:46:20.000Z', ?, ?)`).run(rec.reference, rec.updatedAt, JSON.stringify(rec));
    old.close();

    const store = new SqliteStore(f);
    try {
      assert.deepEqual(store.migrated, [2]);
      assert.deepEqual(store.schemaVersions(), [1, 2]);
      const applied = store.db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
      assert.equal(applied[0].applied_at, '2026-01-01T00:00:00.000Z', 'migration 1 untouched');
      assert.equal(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'imports_listing'").pluck().get(), 1);
      assert.deepEqual(await store.loadImports([777]), [rec]);
      assert.deepEqual((await store.listOrders({ channel: 'cdiscount' })).items.map((/** @type {any} */ i) => i.record), [rec]);
    } finally {
      store.close();
    }

    const newer = new Database(f);
    newer.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('from the future', '2027-01-01T00:00:00.000Z');
    newer.close();
    assert.throws(() => new SqliteStore(f), /schema version 99, newer than this version of shoppingfeed-orders knows \(2\)/);
  });

  test('everything survives close and reopen; order numbers go on where they stopped', async () => {
    const f = file();
    const a = new SqliteStore(f, { catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] });
    const created = await a.createOrder(draft(19701454692));
    assert.equal(created.shopOrderId, 'SO-000001');
    const rec = importRecord(19701454692, { shopOrderId: 'SO-000001' });
    await a.saveImports([rec]);
    await a.saveOperations(operationRecords());
    await a.recordEvent({ kind: 'cycle', at: '2026-11-29T14:00:00.000Z', data: { imported: 1 } });
    assert.equal(await a.tryLock('proc-a', 60_000), true);
    a.close();
    a.close(); // idempotent

    const b = new SqliteStore(f);
    try {
      assert.deepEqual(await b.createOrder(draft(19701454692)), { outcome: 'created', shopOrderId: 'SO-000001', existed: true });
      assert.deepEqual(await b.loadImports([19701454692]), [rec]);
      assert.equal((await b.operations({ states: [], shoppingfeedId: null })).length, 5);
      assert.deepEqual((await b.events()).map((/** @type {any} */ e) => [e.kind, e.data]), [['cycle', { imported: 1 }]]);
      assert.equal(await b.tryLock('proc-b', 60_000), false, 'the lock is in the file');
      // The catalog is in the file too.
      assert.deepEqual(await b.createOrder(draft(2, { skus: ['NOPE'] })), { outcome: 'rejected', message: 'unknown SKU `NOPE` (items[0])' });
      assert.equal((await b.createOrder(draft(3, { skus: ['SCIE-SAUT-750'] }))).shopOrderId, 'SO-000002');
    } finally {
      b.close();
    }
  });

  test('shopOrder: the order and its lines as created from the draft', async () => {
    const store = new SqliteStore(':memory:');
    try {
      const d = draft(19701454692);
      const { shopOrderId } = await store.createOrder(d);
      const o = await store.shopOrder(19701454692);
      assert.equal(o.id, shopOrderId);
      assert.deepEqual(
        { sf: o.shoppingfeedId, ref: o.reference, ch: o.channel, st: o.status, cur: o.currency, total: o.totalAmount, ship: o.shippingAmount, tax: o.taxAmount, email: o.buyerEmail },
        { sf: d.shoppingfeedId, ref: d.reference, ch: d.channel, st: 'open', cur: 'EUR', total: d.totalAmount, ship: 4.9, tax: d.taxAmount, email: d.buyerEmail },
      );
      assert.deepEqual(o.shippingAddress, d.shippingAddress);
      assert.deepEqual(o.billingAddress, d.billingAddress);
      assert.deepEqual(o.relayPoint, { id: 'RC-04512', source: 'additionalFields.shipping_pudo_id' });
      assert.deepEqual(o.draft, d);
      assert.deepEqual(o.lines, d.lines.map((/** @type {any} */ l, /** @type {number} */ i) => ({
        lineNo: i + 1, itemId: l.itemId, sku: l.sku, originalReference: l.originalReference, channelReference: l.channelReference,
        name: l.name, quantity: l.quantity, unitPrice: l.unitPrice, taxAmount: l.taxAmount, ecotaxAmount: l.ecotaxAmount,
      })));
      assert.equal(await store.shopOrder(1), null);
    } finally {
      store.close();
    }
  });

  test('listOrders sorts by instant across UTC offsets; events() filters by kind and limits', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await store.saveImports([
        importRecord(1, { createdAt: '2026-10-25T02:30:00+02:00' }), // 00:30Z
        importRecord(2, { createdAt: '2026-10-25T01:45:00+00:00' }), // 01:45Z: newest
        importRecord(3, { createdAt: '2026-10-25T02:15:00+01:00' }), // 01:15Z
      ]);
      assert.deepEqual((await store.listOrders()).items.map((/** @type {any} */ i) => i.record.shoppingfeedId), [2, 3, 1]);
      for (let i = 0; i < 5; i++) await store.recordEvent({ kind: i % 2 ? 'operation' : 'cycle', at: `2026-11-29T14:0${i}:00.000Z`, data: { i } });
      assert.deepEqual((await store.events({ limit: 2 })).map((/** @type {any} */ e) => e.data.i), [4, 3]);
      assert.deepEqual((await store.events({ kind: 'operation' })).map((/** @type {any} */ e) => e.data.i), [3, 1]);
      assert.deepEqual((await store.events({ kind: 'cycle', limit: 1 })).map((/** @type {any} */ e) => [e.id, e.kind, e.at]), [[5, 'cycle', '2026-11-29T14:04:00.000Z']]);
      await assert.rejects(store.listOrders({ limit: -1 }), /limit must be a non-negative integer/);
    } finally {
      store.close();
    }
  });
});

/**
 * @typedef {object} Worker
 * @property {import('node:child_process').ChildProcess} child
 * @property {number[]} migrated  migrations this process applied when it opened the file
 * @property {(method: string, ...args: any[]) => Promise<any>} call  a store method, run in that process
 * @property {(at: number, method: string, ...args: any[]) => Promise<any>} callAt  the same, started at epoch ms `at`
 * @property {() => Promise<void>} exit
 */

/** Every forked worker, so none outlives a failed test. @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * Processes on one file, each with its own SqliteStore (store-worker.cjs), all opening it at once.
 * @param {string} f @param {number} count @returns {Promise<Worker[]>}
 */
async function workers(f, count) {
  const starting = Array.from({ length: count }, () => {
    const child = fork(WORKER, [f], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += d; });
    let seq = 0;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
    const waiting = new Map();
    /** @type {Worker} */
    const worker = {
      child,
      migrated: [],
      call(method, ...args) {
        return worker.callAt(0, method, ...args);
      },
      callAt(at, method, ...args) {
        const id = ++seq;
        return new Promise((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          child.send({ id, method, args, at });
        });
      },
      exit() {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.send('exit');
        });
      },
    };
    return /** @type {Promise<Worker>} */ (new Promise((resolve, reject) => {
      child.on('message', (/** @type {any} */ m) => {
        if ('ready' in m) {
          if (m.ready) resolve(Object.assign(worker, { migrated: m.migrated }));
          else reject(new Error(`worker ${child.pid} could not open ${f}: ${m.error}`));
          return;
        }
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`worker ${child.pid}: ${m.error}`));
        else w?.resolve(m.result);
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        children.delete(child);
        const e = new Error(`worker ${child.pid} exited (${code ?? signal}) with ${waiting.size} call(s) unanswered${stderr ? `: ${stderr.trim()}` : ''}`);
        for (const w of waiting.values()) w.reject(e);
        waiting.clear();
        reject(e);
      });
    }));
  });
  const settled = await Promise.allSettled(starting);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.exit() : null)));
    throw /** @type {PromiseRejectedResult} */ (failed).reason;
  }
  return settled.map((r) => /** @type {PromiseFulfilledResult<Worker>} */ (r).value);
}

describe('several processes on one file', { timeout: 20_000 }, () => {
  test('racing tryLock: exactly one process wins each round; opening a new file at once migrates it once', async () => {
    const f = file();
    const procs = await workers(f, 4);
    try {
      // All four opened the brand-new file at the same time: each migration ran in exactly one of them.
      assert.deepEqual(procs.flatMap((p) => p.migrated).sort(), [1, 2]);
      assert.equal(query(f, 'SELECT count(*) AS c FROM schema_migrations')[0].c, 2);
      for (let round = 0; round < 20; round++) {
        const owners = procs.map((p, i) => `worker-${i}:${p.child.pid}:round-${round}`);
        const at = Date.now() + 30;
        const got = await Promise.all(procs.map((p, i) => p.callAt(at, 'tryLock', owners[i], 60_000)));
        assert.equal(got.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(got)}`);
        const winner = got.indexOf(true);
        assert.deepEqual(query(f, 'SELECT owner FROM locks').map((r) => r.owner), [owners[winner]]);
        // Losers cannot release it; the winner does.
        await Promise.all(procs.map((p, i) => (i === winner ? null : p.call('unlock', owners[i]))));
        assert.deepEqual(query(f, 'SELECT owner FROM locks').map((r) => r.owner), [owners[winner]]);
        await procs[winner].call('unlock', owners[winner]);
        assert.deepEqual(query(f, 'SELECT owner FROM locks'), []);
      }
    } finally {
      await Promise.all(procs.map((p) => p.exit()));
    }
  });

  test('racing createOrder for the same drafts: one order row each, every process gets its id', async () => {
    const f = file();
    const procs = await workers(f, 2);
    try {
      // The same draft in both processes at once.
      const at = Date.now() + 30;
      const same = await Promise.all(procs.map((p) => p.callAt(at, 'createOrder', draft(19701454692))));
      assert.equal(same[0].shopOrderId, same[1].shopOrderId);
      assert.deepEqual(same.map((r) => Boolean(r.existed)).sort(), [false, true]);
      assert.deepEqual(query(f, 'SELECT id, shoppingfeed_id AS sf FROM orders'), [{ id: same[0].shopOrderId, sf: 19701454692 }]);
      assert.equal(query(f, 'SELECT count(*) AS c FROM order_lines')[0].c, 2);

      // Sixty drafts, sent in opposite orders by the two processes, all in flight together.
      const ids = Array.from({ length: 60 }, (_, i) => 5_000 + i);
      const orders = [ids, [...ids].reverse()];
      const answers = await Promise.all(procs.map((p, k) => Promise.all(orders[k].map((id) => p.call('createOrder', draft(id, { skus: ['A', 'B', 'C'] }))))));
      /** @type {Map<number, any[]>} */
      const byId = new Map();
      answers.forEach((list, k) => list.forEach((r, j) => byId.set(orders[k][j], [...(byId.get(orders[k][j]) ?? []), r])));
      for (const [id, rs] of byId) {
        assert.equal(rs.length, 2);
        assert.equal(rs[0].shopOrderId, rs[1].shopOrderId, `order ${id}`);
        assert.equal(rs.filter((r) => !r.existed).length, 1, `order ${id}: exactly one process created it`);
      }
      const rows = query(f, 'SELECT o.id, o.shoppingfeed_id AS sf, count(l.line_no) AS lines FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id ORDER BY o.id');
      assert.equal(rows.length, 61);
      assert.equal(new Set(rows.map((r) => r.sf)).size, 61);
      assert.deepEqual(rows.map((r) => r.id), Array.from({ length: 61 }, (_, i) => `SO-${String(i + 1).padStart(6, '0')}`));
      assert.ok(rows.every((r) => r.lines === (r.sf === 19701454692 ? 2 : 3)));
    } finally {
      await Promise.all(procs.map((p) => p.exit()));
    }
  });
});

describe('a whole engine cycle on SqliteStore', () => {
  /** @type {Awaited<ReturnType<typeof startSandbox>>} */
  let sb;
  before(async () => {
    sb = await startSandbox({ orders: 60, seed: 5, seedDays: 3, clock: 'manual' });
  });
  after(async () => {
    await sb?.close();
  });

  /** @param {string} path */
  async function api(path) {
    const res = await fetch(`${sb.url}/v1/store/${sb.storeId}/${path}`, { headers: { authorization: `Bearer ${sb.token}` } });
    assert.equal(res.status, 200, path);
    return /** @type {any} */ (await res.json());
  }

  test('createOrderSync imports into orders/order_lines, acknowledges, ships, follows a marketplace cancel; a rerun imports nothing', async () => {
    const { createOrderSync } = require('../../lib/sync.cjs');
    const waiting = '?limit=200&acknowledgment=unacknowledged&status=waiting_shipment';
    const listed = /** @type {any[]} */ ((await api(`order${waiting}`))._embedded.order);
    const byId = new Map(listed.map((o) => [o.id, o]));
    assert.ok(listed.length >= 20, `${listed.length} orders to import`);
    // Real data has orders without a shipping address: refused by the mapping, the field named.
    const noAddress = listed.filter((o) => o.shippingAddress == null);
    // The catalog lacks the products of one order: that one is refused, with the SKU in the error ack.
    const refs = (/** @type {any} */ o) => o.items.map((/** @type {any} */ i) => i.reference);
    const refused = listed.find((o) => !noAddress.includes(o) && refs(o).every((/** @type {string} */ r) => listed.filter((x) => refs(x).includes(r)).length === 1));
    assert.ok(refused, 'an order with products of its own');
    const catalog = listed.filter((o) => o !== refused).flatMap(refs);
    const importable = listed.filter((o) => o !== refused && !noAddress.includes(o));

    const f = file();
    const store = new SqliteStore(f, { catalog });
    const sync = createOrderSync({
      apiUrl: sb.url, token: sb.token, storeId: sb.storeId, store, logger: false,
      retry: { baseDelayMs: 5 }, now: () => Date.parse(sb.control.clock().now),
    });
    try {
      const first = await sync.runOnce();
      assert.equal(first.imported, importable.length, JSON.stringify(first));
      assert.equal(first.acknowledged, first.imported);
      assert.equal(first.failed, 1 + noAddress.length);
      assert.equal(first.errorAcknowledged, 1 + noAddress.length);

      // The shop tables hold exactly the imported orders, lines as the marketplace sent them.
      const orders = query(f, 'SELECT id, shoppingfeed_id AS sf, reference, channel_name AS channel, total_amount AS total, currency, status FROM orders ORDER BY id');
      assert.equal(orders.length, first.imported);
      assert.deepEqual(orders.map((o) => o.sf).sort(), importable.map((o) => o.id).sort());
      for (const o of orders) {
        const sf = byId.get(o.sf);
        assert.deepEqual([o.reference, o.channel, o.total, o.currency, o.status],
          [sf.reference, sf._embedded.channel.name, sf.payment.totalAmount, sf.payment.currency, 'open']);
        const lines = query(f, 'SELECT item_id, sku, quantity, unit_price, tax_amount FROM order_lines WHERE order_id = ? ORDER BY line_no', [o.id]);
        assert.deepEqual(lines, sf.items.map((/** @type {any} */ i) => ({ item_id: i.id ?? null, sku: i.reference, quantity: i.quantity, unit_price: i.price, tax_amount: i.taxAmount })));
      }
      assert.equal(query(f, 'SELECT count(*) AS c FROM order_lines')[0].c, importable.reduce((s, o) => s + o.items.length, 0));

      // The journal: every created order acknowledged with its shop id; the refused one failed, SKU named.
      const journal = await store.loadImports(listed.map((o) => o.id));
      assert.equal(journal.length, listed.length);
      const shopIds = new Map(orders.map((o) => [o.sf, o.id]));
      for (const r of journal) {
        if (r.shoppingfeedId === refused.id) {
          assert.equal(r.state, 'failed');
          assert.equal(r.shopOrderId, null);
          assert.match(r.lastError, new RegExp(`^unknown SKU \`${refused.items[0].reference}\` \\(items\\[0\\]\\)`));
        } else if (noAddress.some((o) => o.id === r.shoppingfeedId)) {
          assert.equal(r.state, 'failed');
          assert.equal(r.shopOrderId, null);
          assert.match(r.lastError, /^shippingAddress is missing/);
        } else {
          assert.equal(r.state, 'acknowledged', `order ${r.shoppingfeedId}`);
          assert.equal(r.shopOrderId, shopIds.get(r.shoppingfeedId));
          assert.match(r.ackBatchId, /\S/);
        }
      }

      // Shoppingfeed's side once its tickets have run: acknowledged with our ids, nothing left to import.
      sb.control.advance({ minutes: 1 });
      const left = /** @type {any[]} */ ((await api(`order${waiting}`))._embedded.order);
      assert.deepEqual(left.map((o) => o.id).sort(), [refused, ...noAddress].map((o) => o.id).sort());
      assert.match(left.find((o) => o.id === refused.id).errors.at(-1).message, /unknown SKU/);
      const [one] = orders;
      assert.equal((await api(`order/${one.sf}`)).storeReference, one.id);

      // Ship one order (recorded, sent), cancel another on the marketplace.
      const op = await sync.ship(orders[1].sf, { carrier: 'Colissimo', trackingNumber: '6A98765432109', trackingUrl: 'https://www.laposte.fr/suivi?code=6A98765432109' });
      assert.equal(op.state, 'sent');
      assert.deepEqual(query(f, 'SELECT id, shoppingfeed_id AS sf, operation, state FROM operations'), [{ id: op.id, sf: orders[1].sf, operation: 'ship', state: 'sent' }]);
      sb.control.cancelOnMarketplace({ orderId: orders[2].sf, reason: 'buyer changed their mind' });
      sb.control.advance({ minutes: 30 });

      const second = await sync.runOnce();
      assert.equal(second.imported, 0, JSON.stringify(second));
      assert.equal(second.reacknowledged, 0);
      assert.equal(second.succeeded, 1);
      assert.equal(second.statusChanges, 1);
      assert.equal(query(f, 'SELECT count(*) AS c FROM orders')[0].c, first.imported);
      assert.deepEqual(query(f, 'SELECT state FROM operations'), [{ state: 'succeeded' }]);
      assert.deepEqual(query(f, "SELECT id FROM orders WHERE status = 'cancelled'"), [{ id: orders[2].id }]);
      const events = await store.events();
      assert.deepEqual(events.map((/** @type {any} */ e) => e.kind), ['cycle', 'marketplace-status', 'operation', 'cycle']);
      assert.equal(events[1].data.shoppingfeedId, orders[2].sf);
      assert.equal(events[1].data.shopOrderCancelled, true);
      assert.equal(events[3].data.imported, first.imported);

      // And the adapter's listing reads the same store.
      const view = await sync.orders({ limit: 500 });
      assert.equal(view.total, listed.length);

      // The refused order is still offered (an error ack leaves it unacknowledged): retried, still refused,
      // and its error ack is not sent a second time.
      const third = await sync.runOnce();
      assert.deepEqual([third.imported, third.acknowledged, third.reacknowledged, third.failed, third.errorAcknowledged], [0, 0, 0, 1 + noAddress.length, 0], JSON.stringify(third));
      const [retried] = await store.loadImports([refused.id]);
      assert.deepEqual([retried.state, retried.tries, retried.errorAcked], ['failed', 3, retried.lastError]);
      assert.equal(query(f, 'SELECT count(*) AS c FROM orders')[0].c, first.imported);
    } finally {
      store.close();
    }
  });
});

test('createOrders: one page in one transaction, each draft answered as createOrder would', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sfo-batch-'));
  try {
    const store = new SqliteStore(join(dir, 'batch.db'), { catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] });
    const first = await store.createOrder(draft(9001));
    assert.equal(first.outcome, 'created');
    const answers = await store.createOrders([draft(9002), draft(9001), draft(9003, { skus: ['NOT-SOLD'] }), draft(9004)]);
    assert.equal(answers.length, 4);
    assert.deepEqual(answers.map((a) => a.outcome), ['created', 'created', 'rejected', 'created']);
    assert.equal(answers[1].shopOrderId, first.shopOrderId);
    assert.equal(answers[1].existed, true);
    assert.match(answers[2].message, /unknown SKU `NOT-SOLD` \(items\[0\]\)/);
    assert.notEqual(answers[0].shopOrderId, answers[3].shopOrderId);
    const rows = store.db.prepare('SELECT shoppingfeed_id FROM orders ORDER BY shoppingfeed_id').pluck().all();
    assert.deepEqual(rows, [9001, 9002, 9004]);
    const lines = store.db.prepare('SELECT COUNT(*) FROM order_lines').pluck().get();
    assert.equal(lines, 3 * draft(9001).lines.length);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
