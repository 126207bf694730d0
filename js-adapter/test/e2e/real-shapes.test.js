// @ts-check
// Issue 11, end to end: orders shaped as real data is (the official modules' fixtures), through the CLI
// against the sandbox. Odd values in fields nothing depends on import; an order without a shipping
// address is error-acknowledged naming the field; orders without item ids import; Zalando's
// `service_point_id` `BPR:100562` is relay point 100562, product BPR, in the shop.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cli, oneJson, sandbox, tempDir, withDb } from './helpers.js';

const tmp = tempDir('sfo-shapes-');
after(() => tmp.cleanup());

describe('real-shaped orders through sync', () => {
  /** @type {Awaited<ReturnType<typeof sandbox>>} */ let t;
  const db = tmp.db('shapes.db');
  /** @type {Record<string, number>} */ let id = {};
  /** @type {any} */ let report;
  before(async () => {
    t = await sandbox({ orders: 0, seed: 41 });
    const [odd, noAddress, nullAddress, noIds, zalando, good] = t.create([
      {
        channel: 'amazon',
        override: {
          updatedAt: '0000-00-00 00:00:00',
          acknowledgedAt: '',
          errors: [{ type: 'string', message: 'string', occurredAt: 'string' }],
          fulfilledBy: '',
          'shipment.type': 'premium_express',
          'payment.taxMode': 'string',
          'items[0].commission': 'n/a',
          'items[0].image': '',
          latestShipDate: 'next tuesday',
        },
      },
      { channel: 'manomano', omit: ['shippingAddress'] },
      { channel: 'bol', override: { shippingAddress: null } },
      { channel: 'amazon', omit: ['items[0].id'] },
      { channel: 'zalando', override: { 'additionalFields.service_point_id': 'BPR:100562' } },
      { channel: 'bol' },
    ]);
    id = { odd, noAddress, nullAddress, noIds, zalando, good };
    const r = await cli(['sync', '--once', '--json'], { env: t.env(db) });
    assert.equal(r.code, 0, r.stderr);
    report = oneJson(r.stdout);
  });
  after(() => t.close());

  test('odd non-essential fields, missing item ids and a relay point import; no address is refused', () => {
    assert.equal(report.imported, 4, JSON.stringify(report));
    const stored = withDb(db, (d) => d.orderIds());
    assert.deepEqual(stored, [id.odd, id.noIds, id.zalando, id.good].sort((a, b) => a - b));
  });

  test('an order without a shipping address is error-acknowledged with a message naming the field', () => {
    /** @type {Map<number, string>} */
    const errors = new Map();
    for (const q of t.requests({ method: 'POST' })) {
      if (!q.path.endsWith('/order/acknowledge')) continue;
      for (const o of q.body?.order ?? []) if (o.status === 'error') errors.set(o.id, o.message);
    }
    assert.deepEqual([...errors.keys()].sort((a, b) => a - b), [id.noAddress, id.nullAddress].sort((a, b) => a - b));
    for (const message of errors.values()) assert.match(message, /shippingAddress/);
  });

  test('the shop gets the relay point and its product code; lines without ids; an unreadable ship-by date kept', () => {
    withDb(db, (d) => {
      const draft = (/** @type {number} */ sf) => JSON.parse(/** @type {any} */ (d.all('SELECT draft FROM orders WHERE shoppingfeed_id = ?', sf)[0]).draft);
      const z = draft(id.zalando);
      assert.deepEqual(z.relayPoint, { id: '100562', source: 'additionalFields.service_point_id', productCode: 'BPR' });
      assert.ok(draft(id.noIds).lines.every((/** @type {any} */ l) => l.itemId === null));
      const odd = draft(id.odd);
      assert.equal(odd.latestShipDate, null);
      assert.equal(odd.latestShipDateUnreadable, 'next tuesday');
    });
  });
});
