// @ts-check
// PostgresStore beyond the shared contract (conformance.test.js): the schema and its migrations,
// several stores in one schema (everything keyed by store id), several processes on one database
// (races, a lock holder that dies), and whole engine cycles against the sandbox with metrics.
// PostgreSQL: SFO_TEST_POSTGRES_URL, else one started for this file and stopped after it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../../sandbox/index.js';
import { draft, importRecord, operationRecords } from './fixtures.js';
import { startServices } from './services.js';

const require = createRequire(import.meta.url);
const { PostgresStore, MIGRATIONS } = /** @type {any} */ (require('../../lib/stores/postgres.cjs'));
const journal = /** @type {any} */ (require('../../lib/stores/journal.cjs'));
const engine = /** @type {any} */ (require('../../lib/engine.cjs'));
/** @type {any} */
const pg = require('pg');
const WORKER = fileURLToPath(new URL('./pg-store-worker.cjs', import.meta.url));

let url = '';
/** @type {any} */
let pool;
/** @type {(() => Promise<void>) | null} */
let stopServices = null;
let n = 0;
const schemas = /** @type {string[]} */ ([]);
const schema = () => {
  const s = `sfo_pgtest_${process.pid}_${++n}`;
  schemas.push(s);
  return s;
};
/** @type {any[]} */
const opened = [];
/** @param {any} o */
const open = (o) => {
  const s = new PostgresStore({ pool, ...o });
  opened.push(s);
  return s;
};
/** @param {string} sql @param {any[]} [args] @returns {Promise<any[]>} */
const rows = async (sql, args = []) => (await pool.query(sql, args)).rows;

before(async () => {
  const services = await startServices(['postgres']);
  stopServices = services.stop;
  url = services.postgresUrl;
  pool = new pg.Pool({ connectionString: url, max: 8 });
});
after(async () => {
  for (const s of opened) await s.close();
  for (const c of children) c.kill('SIGKILL');
  if (pool) {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => {});
    await pool.end();
  }
  await stopServices?.();
});

describe('the schema', () => {
  test('tables, indexes, the (store id, order id) UNIQUE keys; both migrations recorded; reopening applies nothing', async () => {
    const sc = schema();
    const store = open({ storeId: 80607, schema: sc });
    assert.deepEqual(await store.migrated, [1, 2]);
    assert.deepEqual(await store.schemaVersions(), [1, 2]);
    const names = await rows(`SELECT version, name, applied_at FROM "${sc}".schema_migrations ORDER BY version`);
    assert.deepEqual(names.map((r) => [r.version, r.name]), MIGRATIONS.map((/** @type {any} */ m) => [m.version, m.name]));
    const tables = (await rows("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [sc])).map((r) => r.table_name);
    assert.deepEqual(tables, ['counters', 'events', 'imports', 'locks', 'operations', 'order_lines', 'orders', 'products', 'schema_migrations']);
    const indexes = (await rows('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname NOT LIKE \'%_pkey\' ORDER BY indexname', [sc])).map((r) => r.indexname);
    assert.deepEqual(indexes, ['events_kind', 'events_store', 'imports_channel_key', 'imports_listing', 'imports_state', 'imports_status',
      'imports_unshipped', 'operations_shoppingfeed_id', 'operations_state', 'orders_store_shoppingfeed_id']);
    // The idempotency key is a constraint of the table, not only of the code: (store id, order id).
    const unique = await rows(`SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = $1 AND c.conrelid = $2::regclass AND c.contype IN ('u', 'p') ORDER BY c.contype`, [sc, `"${sc}".orders`]);
    assert.deepEqual(unique.map((r) => r.def), ['PRIMARY KEY (store_id, id)', 'UNIQUE (store_id, shoppingfeed_id)']);
    const journalKey = await rows(`SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'p'`, [`"${sc}".imports`]);
    assert.deepEqual(journalKey.map((r) => r.def), ['PRIMARY KEY (store_id, shoppingfeed_id)']);

    // Another pool (another process, as far as the database can tell) opening it: nothing to apply.
    const other = new PostgresStore({ connectionString: url, storeId: 80607, schema: sc });
    assert.deepEqual(await other.migrated, []);
    await other.close();
    assert.equal((await rows(`SELECT count(*)::int AS c FROM "${sc}".schema_migrations`))[0].c, 2);
  });

  test('the journal description (journal.cjs) names the columns the migrations create, in their order, beside store_id', async () => {
    const sc = schema();
    await open({ storeId: 80607, schema: sc }).ready();
    const columns = async (/** @type {string} */ t) => (await rows(`SELECT column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [sc, t])).map((r) => r.column_name);
    const names = (/** @type {any} */ t) => t.columns.map((/** @type {any} */ c) => c.name);
    assert.deepEqual(await columns('imports'), ['store_id', ...names(journal.IMPORTS)]);
    // seq: the insertion order, PostgreSQL's rowid.
    assert.deepEqual(await columns('operations'), ['store_id', 'id', 'seq', ...names(journal.OPERATIONS).slice(1)]);
    assert.deepEqual(await columns('events'), ['id', 'store_id', ...names(journal.EVENTS)]);
    // The shop order's columns a draft fills, the others aside.
    const fromDraft = async (/** @type {string} */ t, /** @type {string[]} */ aside) => (await columns(t)).filter((c) => !aside.includes(c));
    assert.deepEqual(await fromDraft('orders', ['store_id', 'id', 'shoppingfeed_id', 'status', 'created_at', 'updated_at']), names(journal.ORDERS));
    assert.deepEqual(await fromDraft('order_lines', ['store_id', 'order_id', 'line_no']), names(journal.ORDER_LINES));
  });

  test('a version-1 schema gets only migration 2, its data intact; a schema from a newer version is refused', async () => {
    const sc = schema();
    await pool.query(`CREATE SCHEMA "${sc}"`);
    await pool.query(`CREATE TABLE "${sc}".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    await pool.query(MIGRATIONS[0].sql.replaceAll('{s}', `"${sc}"`));
    await pool.query(`INSERT INTO "${sc}".schema_migrations VALUES (1, $1, '2026-01-01T00:00:00Z')`, [MIGRATIONS[0].name]);
    const rec = importRecord(777, { channel: { id: 111, name: 'CDiscount' } });
    await pool.query(`INSERT INTO "${sc}".imports (store_id, shoppingfeed_id, reference, channel_id, channel_name, channel_key, state, shop_order_id,
      status, created_at, updated_at, record) VALUES (80607, 777, $1, 111, 'CDiscount', 'cdiscount', 'acknowledged', 'SO-777', 'waiting_shipment',
      '2026-11-28T08:46:20.000Z', $2, $3)`, [rec.reference, rec.updatedAt, JSON.stringify(rec)]);

    const store = new PostgresStore({ connectionString: url, storeId: 80607, schema: sc });
    try {
      assert.deepEqual(await store.migrated, [2]);
      assert.deepEqual(await store.schemaVersions(), [1, 2]);
      const applied = await rows(`SELECT version, applied_at FROM "${sc}".schema_migrations ORDER BY version`);
      assert.equal(applied[0].applied_at.toISOString(), '2026-01-01T00:00:00.000Z', 'migration 1 untouched');
      assert.deepEqual(await store.loadImports([777]), [rec]);
      assert.deepEqual((await store.listOrders({ channel: 'cdiscount' })).items.map((/** @type {any} */ i) => i.record), [rec]);
    } finally {
      await store.close();
    }

    await pool.query(`INSERT INTO "${sc}".schema_migrations VALUES (99, 'from the future', now())`);
    const newer = new PostgresStore({ connectionString: url, storeId: 80607, schema: sc });
    await assert.rejects(newer.ready(), /schema \S+ has version 99, newer than this version of shoppingfeed-orders knows \(2\)/);
    await assert.rejects(newer.loadImports([1]), /version 99/);
    await newer.close();
  });

  test('options are checked: store id, schema name, a connection', () => {
    assert.throws(() => new PostgresStore({ pool, storeId: 0 }), /storeId must be the Shoppingfeed store id/);
    assert.throws(() => new PostgresStore({ pool, storeId: 'abc' }), /storeId must be/);
    assert.throws(() => new PostgresStore({ pool, storeId: 1, schema: 'x; DROP TABLE y' }), /schema must be a plain identifier/);
    assert.throws(() => new PostgresStore({ storeId: 1 }), /connectionString or a pg pool/);
  });
});

describe('several stores in one schema', () => {
  test('the same Shoppingfeed order id in two stores: two shop orders, two journals, two locks, two logs', async () => {
    const sc = schema();
    const fr = open({ storeId: 80607, schema: sc });
    const de = open({ storeId: 80608, schema: sc, catalog: ['SCIE-SAUT-750'] });
    const a = await fr.createOrder(draft(19701454692));
    const b = await de.createOrder({ ...draft(19701454692, { skus: ['SCIE-SAUT-750'] }), storeId: 80608 });
    // Each store numbers its own orders.
    assert.deepEqual([a, b], [{ outcome: 'created', shopOrderId: 'SO-000001' }, { outcome: 'created', shopOrderId: 'SO-000001' }]);
    assert.deepEqual(await fr.createOrder(draft(19701454692)), { outcome: 'created', shopOrderId: 'SO-000001', existed: true });
    assert.equal((await fr.shopOrder(19701454692)).lines.length, 2);
    assert.equal((await de.shopOrder(19701454692)).lines.length, 1);
    // The catalog is per store: 80607 has none (every SKU accepted), 80608 refuses the unknown one.
    assert.equal((await fr.createOrder(draft(5, { skus: ['ANY'] }))).outcome, 'created');
    assert.deepEqual(await de.createOrder({ ...draft(5, { skus: ['ANY'] }), storeId: 80608 }), { outcome: 'rejected', message: 'unknown SKU `ANY` (items[0])' });

    await fr.saveImports([importRecord(19701454692, { state: 'acknowledged' }), importRecord(5)]);
    await de.saveImports([importRecord(19701454692, { state: 'created', ackBatchId: null })]);
    assert.equal((await fr.loadImports([19701454692]))[0].state, 'acknowledged');
    assert.equal((await de.loadImports([19701454692]))[0].state, 'created');
    assert.deepEqual((await fr.loadUnconfirmed(10)).length, 0);
    assert.deepEqual((await de.loadUnconfirmed(10)).map((/** @type {any} */ r) => r.shoppingfeedId), [19701454692]);
    assert.equal((await fr.listOrders()).total, 2);
    assert.equal((await de.listOrders()).total, 1);

    await fr.saveOperations(operationRecords());
    assert.equal((await fr.operations({ states: [], shoppingfeedId: null })).length, 5);
    assert.deepEqual(await de.operations({ states: [], shoppingfeedId: null }), []);

    assert.equal(await fr.tryLock('worker-1', 60_000), true);
    assert.equal(await de.tryLock('worker-2', 60_000), true, 'another store: its own lock');
    assert.equal(await de.tryLock('worker-1', 60_000), false);

    await fr.marketplaceStatusChanged(importRecord(19701454692, { status: 'cancelled' }), 'waiting_shipment');
    assert.equal((await fr.shopOrder(19701454692)).status, 'cancelled');
    assert.equal((await de.shopOrder(19701454692)).status, 'open', 'the other store’s order is untouched');
    assert.equal((await fr.events()).length, 1);
    assert.deepEqual(await de.events(), []);
  });

  test('createOrders: one page in one transaction, each draft answered as createOrder would', async () => {
    const sc = schema();
    const store = open({ storeId: 80607, schema: sc, catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] });
    const first = await store.createOrder(draft(9001));
    const answers = await store.createOrders([draft(9002), draft(9001), draft(9003, { skus: ['NOT-SOLD'] }), draft(9004), draft(9002)]);
    assert.deepEqual(answers.map((/** @type {any} */ a) => a.outcome), ['created', 'created', 'rejected', 'created', 'created']);
    assert.deepEqual(answers[1], { outcome: 'created', shopOrderId: first.shopOrderId, existed: true });
    assert.deepEqual(answers[4], { outcome: 'created', shopOrderId: answers[0].shopOrderId, existed: true }, 'the same order twice in a page');
    assert.equal(answers[2].message, 'unknown SKU `NOT-SOLD` (items[0])');
    // The rejection used no number: SO-000001 (createOrder), then 2 and 3.
    assert.deepEqual([answers[0].shopOrderId, answers[3].shopOrderId], ['SO-000002', 'SO-000003']);
    assert.deepEqual((await rows(`SELECT shoppingfeed_id::float8 AS id FROM "${sc}".orders ORDER BY 1`)).map((r) => r.id), [9001, 9002, 9004]);
    assert.equal((await rows(`SELECT count(*)::int AS n FROM "${sc}".order_lines`))[0].n, 3 * draft(9001).lines.length);
    assert.deepEqual(await store.createOrders([]), []);
    // A draft of another store fails the page, before anything is written.
    await assert.rejects(store.createOrders([draft(9005), { ...draft(9006), storeId: 1 }]), /StoreMismatch|belongs to Shoppingfeed store 1/);
    assert.equal(await store.shopOrder(9005), null);
  });

  test('metrics count orders whose operation the marketplace refused and nobody retried', async () => {
    const store = open({ storeId: 80609, schema: schema() });
    const op = (/** @type {number} */ sfId, /** @type {string} */ kind, /** @type {number} */ n, /** @type {string} */ state) => ({
      id: `${sfId}:${kind}:${n}`, shoppingfeedId: sfId, reference: `R-${sfId}`, batchId: 'b', message: state === 'failed' ? 'refused' : null, attempts: 1,
      recordedAt: `2026-11-29T14:1${n}:00+00:00`, updatedAt: `2026-11-29T14:1${n}:00+00:00`, state,
      payload: kind === 'ship' ? { operation: 'ship', shipment: { carrier: 'DPD', trackingNumber: `25001234567${n}`, trackingUrl: null, items: [], complete: true } } : { operation: kind, reason: '' },
    });
    await store.saveOperations([
      op(1, 'ship', 1, 'failed'), //                                 refused, not retried: counts
      op(2, 'ship', 1, 'failed'), op(2, 'ship', 2, 'sent'), //         retried since: does not
      op(3, 'cancel', 1, 'failed'), op(3, 'ship', 1, 'succeeded'), // a refused cancel stays refused: counts
      op(4, 'ship', 1, 'failed'), op(4, 'ship', 2, 'failed'), //       twice refused: one order
      op(5, 'ship', 1, 'pending'),
    ]);
    const m = await store.metrics();
    assert.equal(m.failedOperations, 3);
    assert.equal(m.pendingOperations, 2);
  });

  test('a draft of another store is refused, not filed under the wrong key', async () => {
    const store = open({ storeId: 80607, schema: schema() });
    await assert.rejects(store.createOrder({ ...draft(1), storeId: 12345 }), (/** @type {any} */ e) =>
      e.name === 'StoreError' && e.code === 'StoreMismatch' && /belongs to Shoppingfeed store 12345, this PostgresStore serves store 80607/.test(e.message));
    assert.equal(await store.shopOrder(1), null);
    // A draft without a store id is this store's.
    assert.equal((await store.createOrder({ ...draft(2), storeId: null })).outcome, 'created');
  });

  test('marketplace text with NUL characters is kept (JSON) or dropped from plain columns, never refused', async () => {
    const store = open({ storeId: 80607, schema: schema() });
    const d = draft(3);
    d.reference = 'REF\u0000-1';
    d.shippingAddress.street = ['Rue\u0000 du Port'];
    d.lines[0].name = 'Scie\u0000';
    assert.equal((await store.createOrder(d)).outcome, 'created');
    const o = await store.shopOrder(3);
    assert.equal(o.reference, 'REF-1');
    assert.deepEqual(o.shippingAddress.street, ['Rue\u0000 du Port']);
    assert.deepEqual(o.draft, d);
    assert.equal(o.lines[0].name, 'Scie');
    const rec = importRecord(3);
    rec.reference = 'A\u0000B';
    await store.saveImports([rec]);
    assert.deepEqual(await store.loadImports([3]), [rec]);
  });

  test('listOrders sorts by instant across UTC offsets, undated last; events() filters by kind and limits', async () => {
    const store = open({ storeId: 80607, schema: schema() });
    await store.saveImports([
      importRecord(1, { createdAt: '2026-10-25T02:30:00+02:00' }), // 00:30Z
      importRecord(2, { createdAt: '2026-10-25T01:45:00+00:00' }), // 01:45Z: newest
      importRecord(3, { createdAt: '2026-10-25T02:15:00+01:00' }), // 01:15Z
      importRecord(4, { createdAt: null }),
    ]);
    assert.deepEqual((await store.listOrders()).items.map((/** @type {any} */ i) => i.record.shoppingfeedId), [2, 3, 1, 4]);
    for (let i = 0; i < 5; i++) await store.recordEvent({ kind: i % 2 ? 'operation' : 'cycle', at: `2026-11-29T14:0${i}:00.000Z`, data: { i } });
    assert.deepEqual((await store.events({ limit: 2 })).map((/** @type {any} */ e) => e.data.i), [4, 3]);
    assert.deepEqual((await store.events({ kind: 'operation' })).map((/** @type {any} */ e) => e.data.i), [3, 1]);
    await assert.rejects(store.listOrders({ limit: -1 }), /limit must be a non-negative integer/);
  });
});

/**
 * @typedef {object} Proc
 * @property {import('node:child_process').ChildProcess} child
 * @property {number[]} migrated
 * @property {(method: string, ...args: any[]) => Promise<any>} call
 * @property {(at: number, method: string, ...args: any[]) => Promise<any>} callAt
 * @property {() => Promise<void>} exit
 */

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/**
 * Processes each with its own PostgresStore (pg-store-worker.cjs) on one schema, opened at once.
 * @param {number} storeId @param {string} sc @param {number} count @returns {Promise<Proc[]>}
 */
async function procs(storeId, sc, count) {
  return Promise.all(Array.from({ length: count }, () => {
    const child = fork(WORKER, [url, String(storeId), sc], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += d; });
    let seq = 0;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
    const waiting = new Map();
    /** @type {Proc} */
    const p = {
      child,
      migrated: [],
      call: (method, ...args) => p.callAt(0, method, ...args),
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
    return /** @type {Promise<Proc>} */ (new Promise((resolve, reject) => {
      child.on('message', (/** @type {any} */ m) => {
        if ('ready' in m) {
          if (m.ready) resolve(Object.assign(p, { migrated: m.migrated }));
          else reject(new Error(`process ${child.pid}: ${m.error}`));
          return;
        }
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`process ${child.pid}: ${m.error}`));
        else w?.resolve(m.result);
      });
      child.on('exit', (code, signal) => {
        children.delete(child);
        const e = new Error(`process ${child.pid} exited (${code ?? signal})${stderr ? `: ${stderr.trim()}` : ''}`);
        for (const w of waiting.values()) w.reject(e);
        waiting.clear();
        reject(e);
      });
    }));
  }));
}

describe('several processes on one database', { timeout: 60_000 }, () => {
  test('a new schema opened by four processes at once is migrated once; racing tryLock: one winner per round', async () => {
    const sc = schema();
    const ps = await procs(80607, sc, 4);
    try {
      assert.deepEqual(ps.flatMap((p) => p.migrated).sort(), [1, 2]);
      for (let round = 0; round < 15; round++) {
        const owners = ps.map((p, i) => `host:${p.child.pid}:round-${round}-${i}`);
        const at = Date.now() + 40;
        const got = await Promise.all(ps.map((p, i) => p.callAt(at, 'tryLock', owners[i], 60_000)));
        assert.equal(got.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(got)}`);
        const winner = got.indexOf(true);
        assert.deepEqual((await rows(`SELECT owner FROM "${sc}".locks`)).map((r) => r.owner), [owners[winner]]);
        await Promise.all(ps.map((p, i) => (i === winner ? null : p.call('unlock', owners[i]))));
        assert.equal((await rows(`SELECT count(*)::int AS c FROM "${sc}".locks`))[0].c, 1, 'losers release nothing');
        await ps[winner].call('unlock', owners[winner]);
        assert.equal((await rows(`SELECT count(*)::int AS c FROM "${sc}".locks`))[0].c, 0);
      }
    } finally {
      await Promise.all(ps.map((p) => p.exit()));
    }
  });

  test('racing createOrder and createOrders from three processes: one order per id, numbers without gaps, every process gets the id', async () => {
    const sc = schema();
    const ps = await procs(80607, sc, 3);
    try {
      // Pages racing pages: the same 40 drafts, in three orders, one transaction each.
      const page = Array.from({ length: 40 }, (_, i) => draft(7_000 + i));
      const pages = [page, [...page].reverse(), [...page.slice(20), ...page.slice(0, 20)]];
      const at0 = Date.now() + 40;
      const got = await Promise.all(ps.map((p, k) => p.callAt(at0, 'createOrders', pages[k])));
      for (let i = 0; i < 40; i++) {
        const id = 7_000 + i;
        const answers = got.map((list, k) => list[pages[k].findIndex((/** @type {any} */ d) => d.shoppingfeedId === id)]);
        assert.equal(new Set(answers.map((a) => a.shopOrderId)).size, 1, `order ${id}`);
        assert.equal(answers.filter((a) => !a.existed).length, 1, `order ${id}: created once`);
      }
      await pool.query(`DELETE FROM "${sc}".orders; UPDATE "${sc}".counters SET value = 0`);
      const at = Date.now() + 40;
      const same = await Promise.all(ps.map((p) => p.callAt(at, 'createOrder', draft(19701454692))));
      assert.equal(new Set(same.map((r) => r.shopOrderId)).size, 1);
      assert.deepEqual(same.map((r) => Boolean(r.existed)).sort(), [false, true, true]);
      const ids = Array.from({ length: 60 }, (_, i) => 5_000 + i);
      const orders = [ids, [...ids].reverse(), [...ids.slice(30), ...ids.slice(0, 30)]];
      const answers = await Promise.all(ps.map((p, k) => Promise.all(orders[k].map((id) => p.call('createOrder', draft(id, { skus: ['A', 'B', 'C'] }))))));
      /** @type {Map<number, any[]>} */
      const byId = new Map();
      answers.forEach((list, k) => list.forEach((r, j) => byId.set(orders[k][j], [...(byId.get(orders[k][j]) ?? []), r])));
      for (const [id, rs] of byId) {
        assert.equal(new Set(rs.map((r) => r.shopOrderId)).size, 1, `order ${id}`);
        assert.equal(rs.filter((r) => !r.existed).length, 1, `order ${id}: exactly one process created it`);
      }
      const made = await rows(`SELECT o.id, o.shoppingfeed_id::float8 AS sf, count(l.line_no)::int AS lines FROM "${sc}".orders o
        JOIN "${sc}".order_lines l ON l.store_id = o.store_id AND l.order_id = o.id GROUP BY o.store_id, o.id ORDER BY o.id`);
      assert.equal(made.length, 61);
      assert.deepEqual(made.map((r) => r.id), Array.from({ length: 61 }, (_, i) => `SO-${String(i + 1).padStart(6, '0')}`));
      assert.ok(made.every((r) => r.lines === (r.sf === 19701454692 ? 2 : 3)));
    } finally {
      await Promise.all(ps.map((p) => p.exit()));
    }
  });

  test('a lock holder killed with SIGKILL frees the store at once, long before its lease expires; a live one keeps it', async () => {
    const sc = schema();
    const [holder, other] = await procs(80607, sc, 2);
    try {
      assert.equal(await holder.call('tryLock', 'holder', 600_000), true);
      assert.equal(await other.call('tryLock', 'other', 600_000), false, 'live holder, lease of 10 minutes');
      const row = (await rows(`SELECT holder FROM "${sc}".locks`))[0];
      assert.ok(Number.isInteger(row.holder) && row.holder > 0, 'the lease names the holder’s session');
      holder.child.kill('SIGKILL');
      await new Promise((r) => holder.child.once('exit', r));
      // The server sees the connection close within moments; the next try takes the lock.
      let got = false;
      for (let i = 0; i < 100 && !got; i++) {
        got = await other.call('tryLock', 'other', 600_000);
        if (!got) await sleep(20);
      }
      assert.equal(got, true, 'taken over without waiting 10 minutes');
      assert.deepEqual((await rows(`SELECT owner FROM "${sc}".locks`)).map((r) => r.owner), ['other']);
    } finally {
      await other.exit();
      holder.child.kill('SIGKILL');
    }
  });
});

describe('whole engine cycles on PostgresStore', () => {
  /** @type {Awaited<ReturnType<typeof startSandbox>>} */
  let sb;
  before(async () => {
    sb = await startSandbox({ seed: 11, seedDays: 3, clock: 'manual', stores: [{ orders: 60 }, { orders: 40 }] });
  });
  after(async () => {
    await sb?.close();
  });

  /** @param {number} store @param {string} path */
  async function api(store, path) {
    const res = await fetch(`${sb.url}/v1/store/${store}/${path}`, { headers: { authorization: `Bearer ${sb.token}` } });
    assert.equal(res.status, 200, path);
    return /** @type {any} */ (await res.json());
  }

  test('two stores into one schema: imported, acknowledged, shipped; metrics; a rerun imports nothing', async () => {
    const { createOrderSync } = require('../../lib/sync.cjs');
    const sc = schema();
    const waiting = '?limit=200&acknowledgment=unacknowledged&status=waiting_shipment';
    const now = () => Date.parse(sb.control.clock().now);
    const results = [];
    for (const storeId of sb.storeIds) {
      const listed = /** @type {any[]} */ ((await api(storeId, `order${waiting}`))._embedded?.order ?? []);
      const store = open({ storeId, schema: sc });
      const sync = createOrderSync({ apiUrl: sb.url, token: sb.token, storeId, store, logger: false, retry: { baseDelayMs: 5 }, now });
      const first = await sync.runOnce();
      const importable = listed.filter((o) => !o.isTest && !/#gdpr/i.test(o.reference));
      assert.ok(first.imported > 0 && first.imported <= importable.length, JSON.stringify(first));
      assert.equal(first.acknowledged, first.imported);
      results.push({ storeId, store, sync, first });
    }
    const made = await rows(`SELECT store_id::float8 AS store, count(*)::int AS c FROM "${sc}".orders GROUP BY store_id ORDER BY store_id`);
    assert.deepEqual(made, results.map((r) => ({ store: r.storeId, c: r.first.imported })).sort((a, b) => a.store - b.store));

    sb.control.advance({ minutes: 1 });
    const [a] = results;
    const journal = (await a.store.listOrders({ limit: 500 })).items.map((/** @type {any} */ i) => i.record).filter((/** @type {any} */ r) => r.state === 'acknowledged');
    const target = journal[0];
    const o = await api(a.storeId, `order/${target.shoppingfeedId}`);
    assert.equal(o.storeReference, target.shopOrderId);
    const op = await a.sync.ship(target.shoppingfeedId, { carrier: 'Colissimo', trackingNumber: '6A12345678901', trackingUrl: 'https://www.laposte.fr/suivi?code=6A12345678901' });
    assert.ok(['sent', 'succeeded'].includes(op.state), op.state);

    const m = await a.store.metrics({ now: now(), deadline: engine.deadlineStatus });
    assert.equal(m.storeId, a.storeId);
    assert.equal(m.imported, a.first.imported);
    assert.equal(m.acknowledged, a.first.imported);
    assert.equal(m.lastCycle.ok, true);
    assert.equal(m.lastCycle.imported, a.first.imported);
    assert.equal(m.pendingOperations, 1, 'the ship waits for its ticket');
    assert.equal(m.unshipped, a.first.imported - 1);
    assert.ok(m.oldestUnshipped && m.oldestUnshipped.id !== target.shoppingfeedId);
    assert.ok(['on_time', 'at_risk', 'overdue', 'none'].includes(m.oldestUnshipped.deadline.state));

    // Several stores in one read, through any store of the schema: each exactly its own metrics(), an
    // unknown store all zeros, in the order asked.
    const b = results[1];
    const opts = { now: now(), deadline: engine.deadlineStatus };
    const many = await b.store.metricsOf([b.storeId, a.storeId, 999], opts);
    assert.deepEqual(many.map((/** @type {any} */ x) => x.storeId), [b.storeId, a.storeId, 999]);
    assert.deepEqual(many[0], await b.store.metrics(opts));
    assert.deepEqual(many[1], await a.store.metrics(opts));
    assert.deepEqual(many[2], { storeId: 999, lastCycle: null, imported: 0, acknowledged: 0, failed: 0, pendingOperations: 0, failedOperations: 0, unshipped: 0, oldestUnshipped: null });
    assert.equal(many[0].imported, b.first.imported);
    assert.equal(many[0].pendingOperations, 0);

    sb.control.advance({ minutes: 1 });
    for (const r of results) {
      const again = await r.sync.runOnce();
      assert.equal(again.imported, 0);
      assert.equal(again.acknowledged, 0);
    }
    assert.equal((await a.store.metrics()).pendingOperations, 0, 'the ticket succeeded');
    assert.equal((await api(a.storeId, `order/${target.shoppingfeedId}`)).status, 'shipped');
  });
});
