// @ts-check
// `make demo` is the product's first run: the real CLI command, the sandbox, SQLite, the whole circuit.
// Its shipments go through the ship guard like any merchant's, so each carrier's number must be of
// that carrier's shape (the demo stopped at exit 2 on `DP100007919` for DPD once the guard knew DPD).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cli, tempDir, withDb } from './helpers.js';

const tmp = tempDir('sfo-demo-');
after(() => tmp.cleanup());

test('demo: four cycles, every shipment recorded and sent once, nothing failed, a summary per channel', async () => {
  const db = tmp.db('demo.db');
  const r = await cli(['demo', '--db', db, '--orders', '12']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout + r.stderr;
  const cycles = out.split('\n').filter((l) => /^cycle \d:/.test(l));
  assert.equal(cycles.length, 4, out);
  for (const c of cycles) assert.match(c, /failed 0,/, c);
  const shipped = Number(/admin hook: shipments\s+(\d+) recorded and sent once each/.exec(out)?.[1]);
  assert.ok(shipped > 0, out);
  const total = /^total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(out);
  assert.ok(total, out);
  assert.deepEqual([Number(total[3]), Number(total[4])], [shipped, 0], 'shipped as recorded, none failed');
  withDb(db, (d) => {
    const ops = d.all("SELECT state, count(*) AS n FROM operations WHERE operation = 'ship' GROUP BY state");
    assert.deepEqual(ops, [{ state: 'succeeded', n: shipped }], 'every shipment followed to its ticket');
  });
});
