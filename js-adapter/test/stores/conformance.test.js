// @ts-check
// The store contract, one suite run against every store the package ships: what the engine (through
// host.rs's Store trait) and the adapter (listOrders, recordEvent) rely on; every test runs on every
// store, none is skipped. PostgreSQL: the server named by
// SFO_TEST_POSTGRES_URL, else one started for this file (scripts/services.sh) and stopped after it;
// each fresh store is a schema of its own.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { draft, importRecord, operationRecords } from './fixtures.js';
import { startServices } from './services.js';

const require = createRequire(import.meta.url);
const { MemoryStore } = /** @type {any} */ (require('../../lib/stores/memory.cjs'));
const { SqliteStore } = /** @type {any} */ (require('../../lib/stores/sqlite.cjs'));
const { PostgresStore } = /** @type {any} */ (require('../../lib/stores/postgres.cjs'));
/** @type {any} */
const pg = require('pg');

/**
 * @typedef {object} Impl
 * @property {string} name
 * @property {(o?: {rejectSku?: string}) => any} open  a fresh, empty store; `rejectSku`: one the shop refuses
 * @property {(store: any, sfId: number) => Promise<string | undefined>} shopStatus  the shop order's status
 * @property {(store: any) => Promise<{kind: string, at: string, data: any}[]>} readEvents  newest first
 */

let dir = '';
let files = 0;
/** @type {any[]} */
const opened = [];
/** @type {any} */
let pgPool = null;
/** @type {string[]} */
const schemas = [];
/** @type {(() => Promise<void>) | null} */
let stopServices = null;

/** @type {Impl[]} */
const impls = [
  {
    name: 'MemoryStore',
    open: (o = {}) => new MemoryStore(o.rejectSku ? { catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] } : {}),
    shopStatus: async (s, id) => s.orders.get(id)?.status,
    // MemoryStore keeps its log in an `events` array, oldest first.
    readEvents: async (s) => [...s.events].reverse(),
  },
  {
    name: 'SqliteStore',
    open: (o = {}) => {
      const s = new SqliteStore(join(dir, `store-${++files}.db`), o.rejectSku ? { catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] } : {});
      opened.push(s);
      return s;
    },
    shopStatus: async (s, id) => (await s.shopOrder(id))?.status,
    readEvents: (s) => s.events(),
  },
  {
    name: 'PostgresStore',
    // The fixtures' drafts are of store 80607: a fresh store is store 80607 in a schema of its own.
    open: (o = {}) => {
      const schema = `sfo_conformance_${process.pid}_${schemas.length + 1}`;
      schemas.push(schema);
      const s = new PostgresStore({ pool: pgPool, storeId: 80607, schema, ...(o.rejectSku ? { catalog: ['SCIE-SAUT-750', 'LAME-BOIS-T101'] } : {}) });
      opened.push(s);
      return s;
    },
    shopStatus: async (s, id) => (await s.shopOrder(id))?.status,
    readEvents: (s) => s.events(),
  },
];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sfo-conformance-'));
  const services = await startServices(['postgres']);
  stopServices = services.stop;
  pgPool = new pg.Pool({ connectionString: services.postgresUrl, max: 8 });
});
after(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
  if (pgPool) {
    for (const schema of schemas) await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pgPool.end();
  }
  await stopServices?.();
});

for (const impl of impls) {
  describe(`${impl.name} conformance`, () => {
    test('createOrder creates once per Shoppingfeed id and answers `existed` afterwards', async () => {
      const store = impl.open();
      const first = await store.createOrder(draft(19701454692));
      assert.equal(first.outcome, 'created');
      assert.match(first.shopOrderId, /\S/);
      assert.ok(!first.existed, 'a new order is not `existed`');

      const again = await store.createOrder(draft(19701454692));
      assert.deepEqual(again, { outcome: 'created', shopOrderId: first.shopOrderId, existed: true });
      // Even when the second draft differs (the engine re-maps the order each cycle), the id decides.
      const changed = await store.createOrder({ ...draft(19701454692), reference: 'OTHER', totalAmount: 1 });
      assert.deepEqual(changed, { outcome: 'created', shopOrderId: first.shopOrderId, existed: true });

      const other = await store.createOrder(draft(19701454693));
      assert.equal(other.outcome, 'created');
      assert.notEqual(other.shopOrderId, first.shopOrderId);
      assert.ok(!other.existed);
    });

    test('createOrder called twice at once for one order: one order, one `existed`', async () => {
      const store = impl.open();
      const results = await Promise.all([store.createOrder(draft(42)), store.createOrder(draft(42)), store.createOrder(draft(42))]);
      assert.equal(new Set(results.map((r) => r.shopOrderId)).size, 1);
      assert.deepEqual(results.map((r) => Boolean(r.existed)).sort(), [false, true, true]);
    });

    test('createOrders (when the store has it): a page answered as createOrder would, in order', async () => {
      const store = impl.open({ rejectSku: 'PERCEUSE-X1' });
      if (typeof store.createOrders !== 'function') return;
      const first = await store.createOrder(draft(501));
      const answers = await store.createOrders([draft(502), draft(501), draft(503, { skus: ['PERCEUSE-X1'] }), draft(504)]);
      assert.equal(answers.length, 4);
      assert.deepEqual(answers.map((/** @type {any} */ a) => a.outcome), ['created', 'created', 'rejected', 'created']);
      assert.deepEqual(answers[1], { outcome: 'created', shopOrderId: first.shopOrderId, existed: true });
      assert.match(answers[2].message, /PERCEUSE-X1/);
      assert.equal(new Set([first.shopOrderId, answers[0].shopOrderId, answers[3].shopOrderId]).size, 3);
      assert.equal(await impl.shopStatus(store, 503), undefined);
      assert.equal(await impl.shopStatus(store, 504), 'open');
    });

    test('createOrder: an order the shop refuses is rejected with a message naming the SKU, and not created', async () => {
      const store = impl.open({ rejectSku: 'PERCEUSE-X1' });
      const r = await store.createOrder(draft(7, { skus: ['SCIE-SAUT-750', 'PERCEUSE-X1'] }));
      assert.equal(r.outcome, 'rejected');
      assert.match(r.message, /PERCEUSE-X1/);
      assert.equal(await impl.shopStatus(store, 7), undefined);
      const ok = await store.createOrder(draft(8, { skus: ['SCIE-SAUT-750'] }));
      assert.equal(ok.outcome, 'created');
      assert.equal(await impl.shopStatus(store, 8), 'open');
    });

    test('createOrder against the catalog: exact message, accepted once the product exists, empty catalog accepts all', async () => {
      const store = impl.open({ rejectSku: 'X-1' });
      assert.deepEqual(await store.createOrder(draft(7, { skus: ['X-1', 'SCIE-SAUT-750'] })), { outcome: 'rejected', message: 'unknown SKU `X-1` (items[0])' });
      assert.deepEqual(await store.createOrder(draft(7, { skus: ['SCIE-SAUT-750', 'LAME-BOIS-T101', 'Y-2'] })), { outcome: 'rejected', message: 'unknown SKU `Y-2` (items[2])' });
      await store.addProducts(['X-1']);
      const r = await store.createOrder(draft(7, { skus: ['X-1', 'SCIE-SAUT-750'] }));
      assert.equal(r.outcome, 'created');
      assert.ok(!r.existed);
      // The rejections consumed no order number: the same one as a store's very first order.
      const fresh = impl.open();
      assert.equal(r.shopOrderId, (await fresh.createOrder(draft(1, { skus: ['ANY'] }))).shopOrderId);
      const open = impl.open();
      assert.equal((await open.createOrder(draft(9, { skus: ['ANYTHING'] }))).outcome, 'created');
    });

    test('tryLock / unlock: one owner at a time, renewal, release by the owner only', async () => {
      const store = impl.open();
      assert.equal(await store.tryLock('host-a:1', 60_000), true);
      assert.equal(await store.tryLock('host-b:2', 60_000), false);
      assert.equal(await store.tryLock('host-a:1', 60_000), true, 'the holder renews');
      await store.unlock('host-b:2');
      assert.equal(await store.tryLock('host-b:2', 60_000), false, 'unlock by another owner releases nothing');
      await store.unlock('host-a:1');
      assert.equal(await store.tryLock('host-b:2', 60_000), true, 'free after the holder unlocks');
      assert.equal(await store.tryLock('host-a:1', 60_000), false);
      await store.unlock('host-a:1'); // not held: no effect, no error
      assert.equal(await store.tryLock('host-a:1', 60_000), false);
    });

    test('tryLock: an expired lock is free; renewal pushes the expiry', async () => {
      const store = impl.open();
      assert.equal(await store.tryLock('a', 40), true);
      await sleep(80);
      assert.equal(await store.tryLock('b', 40), true, 'expired: taken over');
      assert.equal(await store.tryLock('a', 40), false);
      await sleep(25);
      assert.equal(await store.tryLock('b', 150), true, 'renewed for 150 ms');
      await sleep(40); // past the first expiry, within the renewal
      assert.equal(await store.tryLock('a', 40), false);
    });

    test('saveImports / loadImports: every field round-trips, asked order kept, missing ids left out', async () => {
      const store = impl.open();
      const records = [
        importRecord(19701454692),
        importRecord(19701454693, {
          state: 'failed', shopOrderId: null, tries: 3, ackBatchId: null,
          lastError: 'unknown SKU `X-1` (items[0])', errorAcked: 'unknown SKU `X-1` (items[0])',
        }),
        importRecord(19701454694, { state: 'created', ackBatchId: null, status: 'accepted', channel: { id: null, name: 'Rue du Commerce' } }),
        // A malformed order the engine could only half read.
        importRecord(5, { state: 'failed', shopOrderId: null, status: '', createdAt: null, channel: { id: null, name: '' }, tries: 1, lastError: 'items[0].quantity is 0 for reference `A`' }),
      ];
      await store.saveImports(records);
      const back = await store.loadImports([5, 404, 19701454694, 19701454692, 19701454693]);
      assert.deepEqual(back, [records[3], null, records[2], records[0], records[1]].filter(Boolean));
      assert.deepEqual(await store.loadImports([]), []);
      assert.deepEqual(await store.loadImports([1, 2]), []);

      // Copies, not references, both ways.
      records[0].state = 'mutated';
      back[0].tries = 99;
      const again = await store.loadImports([19701454692, 5]);
      assert.equal(again[0].state, 'acknowledged');
      assert.equal(again[1].tries, 1);
    });

    test('saveImports replaces by Shoppingfeed id; loadImports takes a thousand ids and more', async () => {
      const store = impl.open();
      const ids = Array.from({ length: 1300 }, (_, i) => 9_000_000_000 + i);
      await store.saveImports(ids.filter((id) => id % 4 !== 0).map((id) => importRecord(id, { state: 'created', ackBatchId: null })));
      const update = importRecord(ids[1], { state: 'acknowledged', ackBatchId: 'batch-2' });
      await store.saveImports([update]);
      const loaded = await store.loadImports(ids);
      assert.equal(loaded.length, 975);
      assert.deepEqual(loaded.map((/** @type {any} */ r) => r.shoppingfeedId), ids.filter((id) => id % 4 !== 0));
      assert.deepEqual(loaded[0], update);
      assert.equal(loaded.filter((/** @type {any} */ r) => r.state === 'acknowledged').length, 1);
      assert.equal((await store.listOrders({ limit: 1 })).total, 975);
    });

    test('saveOperations / operations: round-trip of every payload, filters by states and order', async () => {
      const store = impl.open();
      const ops = operationRecords();
      await store.saveOperations(ops);
      const ids = (/** @type {any[]} */ list) => list.map((o) => o.id).sort();

      const all = await store.operations({ states: [], shoppingfeedId: null });
      assert.deepEqual([...all].sort((a, b) => a.id.localeCompare(b.id)), [...ops].sort((a, b) => a.id.localeCompare(b.id)));
      assert.deepEqual(ids(await store.operations({ states: ['pending', 'sending', 'sent'], shoppingfeedId: null })),
        ['1001:ship:1', '1001:upload-documents:2', '1002:cancel:4']);
      assert.deepEqual(ids(await store.operations({ states: [], shoppingfeedId: 1002 })), ['1002:cancel:4', '1002:deliver:5', '1002:refund:3']);
      assert.deepEqual(ids(await store.operations({ states: ['failed', 'sent'], shoppingfeedId: 1002 })), ['1002:refund:3']);
      assert.deepEqual(await store.operations({ states: ['succeeded'], shoppingfeedId: null }), []);
      assert.deepEqual(await store.operations({ states: [], shoppingfeedId: 7 }), []);

      // Replace: the ship is confirmed, the pending upload is sent.
      const ship = { ...ops[0], state: 'succeeded', updatedAt: '2026-11-29T15:00:00+00:00' };
      const upload = { ...ops[1], state: 'sent', batchId: 'b-77', attempts: 1 };
      await store.saveOperations([ship, upload]);
      assert.deepEqual(await store.operations({ states: ['succeeded'], shoppingfeedId: null }), [ship]);
      assert.deepEqual(await store.operations({ states: ['sent'], shoppingfeedId: 1001 }), [upload]);
      assert.equal((await store.operations({ states: [], shoppingfeedId: null })).length, 5);
      // Copies.
      (await store.operations({ states: ['sent'], shoppingfeedId: null }))[0].state = 'mutated';
      assert.equal((await store.operations({ states: [], shoppingfeedId: 1001 })).filter((/** @type {any} */ o) => o.state === 'mutated').length, 0);
    });

    test('insertOperation: writes a new record, refuses (false) an id already there and keeps the first as written', async () => {
      const store = impl.open();
      const [ship] = operationRecords();
      assert.equal(await store.insertOperation(ship), true);
      const rival = { ...ship, payload: { ...ship.payload, shipment: { ...ship.payload.shipment, trackingNumber: 'JD014600006540' } } };
      assert.equal(await store.insertOperation(rival), false);
      assert.deepEqual(await store.operations({ states: [], shoppingfeedId: ship.shoppingfeedId }), [ship]);
      // Two callers in the same instant: exactly one wins.
      const next = { ...ship, id: `${ship.shoppingfeedId}:ship:2` };
      const wins = await Promise.all([store.insertOperation(next), store.insertOperation({ ...next, attempts: 9 })]);
      assert.deepEqual(wins.filter(Boolean), [true]);
      assert.equal((await store.operations({ states: [], shoppingfeedId: ship.shoppingfeedId })).length, 2);
    });

    test('listOrders: newest first, paging, total, status and channel filters, operations attached', async () => {
      const store = impl.open();
      const amazon = { id: 66, name: 'Amazon' };
      const cdiscount = { id: 111, name: 'CDiscount' };
      const recs = [
        importRecord(101, { createdAt: '2026-11-20T10:00:00+01:00', channel: amazon }),
        importRecord(102, { createdAt: '2026-11-25T10:00:00+01:00', channel: cdiscount, status: 'cancelled' }),
        importRecord(103, { createdAt: '2026-11-22T10:00:00+01:00', channel: amazon, status: 'shipped' }),
        importRecord(104, { createdAt: '2026-11-28T10:00:00+01:00', channel: cdiscount }),
        importRecord(105, { createdAt: '2026-11-22T10:00:00+01:00', channel: amazon }), // same date as 103: higher id first
        importRecord(106, { createdAt: null, channel: amazon, state: 'failed', shopOrderId: null }), // no date: last
        importRecord(107, { createdAt: '2026-11-27T10:00:00+01:00', channel: amazon }),
      ];
      await store.saveImports(recs);
      const ops = operationRecords().map((o) => ({ ...o, shoppingfeedId: o.shoppingfeedId === 1001 ? 104 : 103 }));
      await store.saveOperations(ops);

      const full = await store.listOrders();
      assert.equal(full.total, 7);
      const order = [104, 107, 102, 105, 103, 101, 106];
      assert.deepEqual(full.items.map((/** @type {any} */ i) => i.record.shoppingfeedId), order);
      assert.deepEqual(full.items[0].record, recs[3]);
      assert.deepEqual(full.items[0].operations, ops.slice(0, 2));
      assert.deepEqual(full.items[4].operations, ops.slice(2));
      assert.deepEqual(full.items[1].operations, []);

      const pages = [];
      for (let offset = 0; offset < 7; offset += 3) {
        const page = await store.listOrders({ limit: 3, offset });
        assert.equal(page.total, 7);
        assert.ok(page.items.length <= 3);
        pages.push(...page.items.map((/** @type {any} */ i) => i.record.shoppingfeedId));
      }
      assert.deepEqual(pages, order);
      assert.deepEqual((await store.listOrders({ offset: 7 })).items, []);

      const waiting = await store.listOrders({ status: 'waiting_shipment' });
      assert.equal(waiting.total, 5);
      assert.deepEqual(waiting.items.map((/** @type {any} */ i) => i.record.shoppingfeedId), [104, 107, 105, 101, 106]);
      const cd = await store.listOrders({ channel: 'cdiscount' });
      assert.equal(cd.total, 2);
      assert.deepEqual(cd.items.map((/** @type {any} */ i) => i.record.shoppingfeedId), [104, 102]);
      const both = await store.listOrders({ channel: 'AMAZON', status: 'waiting_shipment', limit: 2, offset: 1 });
      assert.equal(both.total, 4);
      assert.deepEqual(both.items.map((/** @type {any} */ i) => i.record.shoppingfeedId), [105, 101]);
      assert.equal((await store.listOrders({ channel: 'Zalando' })).total, 0);
    });

    test('marketplaceStatusChanged: cancelled, refused and refunded cancel the shop order; other statuses do not', async () => {
      const store = impl.open();
      for (const id of [1, 2, 3, 4]) assert.equal((await store.createOrder(draft(id))).outcome, 'created');
      const changes = [[1, 'cancelled'], [2, 'refused'], [3, 'refunded'], [4, 'shipped']];
      for (const [id, status] of changes) {
        await store.marketplaceStatusChanged(importRecord(Number(id), { status: String(status) }), 'waiting_shipment');
      }
      assert.deepEqual(await Promise.all([1, 2, 3, 4].map((id) => impl.shopStatus(store, id))), ['cancelled', 'cancelled', 'cancelled', 'open']);
      // An order the shop never created: nothing to cancel, no error.
      await store.marketplaceStatusChanged(importRecord(99, { status: 'cancelled', shopOrderId: null }), 'waiting_shipment');
      assert.equal(await impl.shopStatus(store, 99), undefined);
      // The journal is the engine's to save, not this method's.
      assert.deepEqual(await store.loadImports([1, 99]), []);

      const events = (await impl.readEvents(store)).filter((e) => e.kind === 'marketplace-status');
      assert.equal(events.length, 5);
      assert.deepEqual(events.map((e) => [e.data.shoppingfeedId, e.data.status, e.data.previous, e.data.shopOrderCancelled]),
        [[99, 'cancelled', 'waiting_shipment', false], [4, 'shipped', 'waiting_shipment', false], [3, 'refunded', 'waiting_shipment', true],
          [2, 'refused', 'waiting_shipment', true], [1, 'cancelled', 'waiting_shipment', true]]);
    });

    test('recordEvent: the log keeps kind, time and data, newest first', async () => {
      const store = impl.open();
      const cycle = { imported: 27, acknowledged: 27, issues: [{ orderId: 5, code: 'NoItems', message: 'order has no items' }] };
      await store.recordEvent({ kind: 'cycle', at: '2026-11-29T14:00:00.000Z', data: cycle });
      await store.recordEvent({ kind: 'operation', at: '2026-11-29T14:01:00.000Z', data: { name: 'ship', id: '1:ship:1', state: 'sent', orderId: 1 } });
      await store.recordEvent({ kind: 'cycle-failed', at: '2026-11-29T14:02:00.000Z', data: { code: 'Transport', message: 'unreachable' } });
      const events = await impl.readEvents(store);
      assert.deepEqual(events.map(({ kind, at, data }) => ({ kind, at, data })), [
        { kind: 'cycle-failed', at: '2026-11-29T14:02:00.000Z', data: { code: 'Transport', message: 'unreachable' } },
        { kind: 'operation', at: '2026-11-29T14:01:00.000Z', data: { name: 'ship', id: '1:ship:1', state: 'sent', orderId: 1 } },
        { kind: 'cycle', at: '2026-11-29T14:00:00.000Z', data: cycle },
      ]);
    });
  });
}
