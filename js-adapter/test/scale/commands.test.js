// @ts-check
// The everyday commands on a scale-out's journal: `sync`, `orders` and `ship` with --postgres (one
// store of the shared PostgreSQL journal) and --redis (the store's registration gives its token and
// API URL; an operation recorded here queues a cycle). Real Redis, PostgreSQL, sandbox and CLI
// processes; no worker runs here, so everything the sandbox sees came from these commands.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startRig, storeOfPath, TOKEN_VAR } from './harness.js';
import { cliArgs } from './cli.js';

const PER_STORE = 40;

/** @type {Awaited<ReturnType<typeof startRig>>} */
let rig;
let storeA = 0;
let storeB = 0;

/**
 * Runs `shoppingfeed-orders <name> …` with the rig's queue and schema in the environment.
 * @param {string} name @param {string[]} args @param {Record<string, string | undefined>} [env]
 * @returns {Promise<{code: number | null, stdout: string, stderr: string}>}
 */
function run(name, args, env = {}) {
  /** @type {Record<string, string | undefined>} */
  const all = { ...rig.env, SHOPPINGFEED_QUEUE: rig.queue, SHOPPINGFEED_PG_SCHEMA: rig.schema, ...env };
  for (const k of ['SHOPPINGFEED_TOKEN', 'SHOPPINGFEED_API_URL', 'SHOPPINGFEED_STORE_ID', 'SHOPPINGFEED_DB', 'SHOPPINGFEED_POSTGRES_URL', 'SHOPPINGFEED_REDIS_URL']) {
    if (!(k in env)) delete all[k];
  }
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(name, args), { env: /** @type {any} */ (all), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('close', (code) => {
      assert.ok(!stdout.includes(rig.sb.token) && !stderr.includes(rig.sb.token), `the token appears in the output of ${name}`);
      resolve({ code, stdout, stderr });
    });
  });
}

/** API requests the sandbox received for one store. @param {number} storeId */
const requestsOf = (storeId) => rig.requestLog().filter((r) => storeOfPath(r.path) === storeId);

before(async () => {
  rig = await startRig({ stores: 2, ordersPerStore: PER_STORE, tag: 'cmd', seed: 23 });
  [storeA, storeB] = rig.sb.storeIds;
  // Registered with an hour between cycles: no worker runs here anyway.
  await rig.scale.addStore({ id: storeA, tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url, everyMinutes: 60, autoAccept: true });
});

after(async () => {
  await rig?.close();
});

describe('sync, orders and ship on the shared PostgreSQL journal', () => {
  test('sync --once --postgres --redis: the registered store, its token read from its reference', async () => {
    const r = await run('sync', ['--once', '--json', '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl, '--store-id', String(storeA)]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.imported, PER_STORE, r.stdout);
    assert.equal(report.acknowledged, PER_STORE);
    const [{ n }] = await rig.rows('SELECT count(*)::int AS n FROM {s}.orders WHERE store_id = $1', [storeA]);
    assert.equal(n, PER_STORE);
    assert.equal(requestsOf(storeB).length, 0, 'the other store untouched');
    // `stores list` reads that cycle: just run, so not late; the other store never ran.
    const list = await run('stores', ['list', '--json', '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl]);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout);
    assert.deepEqual(rows.map((/** @type {any} */ x) => [x.id, x.late, x.metrics.imported, x.metrics.lastCycle?.ok ?? null]), [[storeA, false, PER_STORE, true]]);
  });

  test('orders --postgres --store-id: that store’s journal, no token needed', async () => {
    const r = await run('orders', ['--json', '--postgres', rig.services.postgresUrl, '--store-id', String(storeA)]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.equal(rows.length, PER_STORE);
    assert.ok(rows.every((/** @type {any} */ o) => o.acknowledged && o.storeReference), 'every order acknowledged with its shop id');
    const none = await run('orders', ['--json', '--postgres', rig.services.postgresUrl, '--store-id', String(storeB)]);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), []);
  });

  test('ship --postgres --redis: validated, recorded in PostgreSQL, sent once with the registered token', async () => {
    const listed = JSON.parse((await run('orders', ['--json', '--postgres', rig.services.postgresUrl, '--store-id', String(storeA)])).stdout);
    const order = listed[0];
    const before = requestsOf(storeA).length;
    const r = await run('ship', [String(order.id), '--carrier', 'Colissimo', '--tracking-number', '6A12345678901', '--tracking-url', 'https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901',
      '--json', '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl, '--store-id', String(storeA)]);
    assert.equal(r.code, 0, r.stderr);
    const op = JSON.parse(r.stdout);
    assert.equal(op.state, 'sent');
    const ships = requestsOf(storeA).slice(before).filter((x) => x.method === 'POST' && x.path.endsWith('/order/ship'));
    assert.equal(ships.length, 1);
    assert.deepEqual(ships[0].body.order.map((/** @type {any} */ o) => [o.id, o.trackingNumber]), [[order.id, '6A12345678901']]);
    const saved = await rig.rows('SELECT state FROM {s}.operations WHERE store_id = $1', [storeA]);
    assert.deepEqual(saved.map((x) => x.state), ['sent']);

    // The same order again: refused by the engine from the journal, nothing sent.
    const again = await run('ship', [String(order.id), '--carrier', 'Colissimo', '--tracking-number', '6A12345678902',
      '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl, '--store-id', String(storeA)]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /already/i);
    assert.equal(requestsOf(storeA).filter((x) => x.method === 'POST' && x.path.endsWith('/order/ship')).length, 1);
  });

  test('ship --postgres --redis with the API down: recorded, and a cycle of that store queued for the workers', async () => {
    const listed = JSON.parse((await run('orders', ['--json', '--postgres', rig.services.postgresUrl, '--store-id', String(storeA)])).stdout);
    const order = listed.find((/** @type {any} */ o) => !o.shipment);
    await rig.scale.queue.drain(true);
    rig.sb.control.injectFault({ kind: 'server-error', status: 503, count: 20, method: 'POST', path: '/order/ship' });
    try {
      // With its URL: the first order listed may be one whose channel requires it (CDiscount, ManoMano).
      const r = await run('ship', [String(order.id), '--carrier', 'DPD', '--tracking-number', '250012345678', '--tracking-url', 'https://trace.dpd.fr/trace/250012345678', '--json',
        '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl, '--store-id', String(storeA)]);
      assert.equal(r.code, 0, r.stderr);
      assert.notEqual(JSON.parse(r.stdout).state, 'sent');
      assert.match(r.stderr, /recorded, not confirmed/);
    } finally {
      rig.sb.control.clearFaults();
    }
    // The command exited only after the cycle it asked for was queued.
    const jobs = await rig.scale.queue.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(jobs.filter((/** @type {any} */ j) => j.data.reason === 'run-now').map((/** @type {any} */ j) => j.data.storeId), [storeA]);
    const [{ n }] = await rig.rows(`SELECT count(*)::int AS n FROM {s}.operations WHERE store_id = $1 AND shoppingfeed_id = $2 AND state IN ('pending', 'sending')`, [storeA, order.id]);
    assert.equal(n, 1);
  });

  test('sync --once --postgres without Redis: any store of the journal, with --token', async () => {
    const r = await run('sync', ['--once', '--json', '--postgres', rig.services.postgresUrl, '--store-id', String(storeB), '--api-url', rig.sb.url],
      { SHOPPINGFEED_TOKEN: rig.sb.token });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).imported, PER_STORE);
    const perStore = await rig.ordersPerStore();
    assert.deepEqual([perStore.get(storeA), perStore.get(storeB)], [PER_STORE, PER_STORE]);
  });

  test('SHOPPINGFEED_POSTGRES_URL is the default store; an explicit --db wins over it', async () => {
    const env = { SHOPPINGFEED_POSTGRES_URL: rig.services.postgresUrl };
    const pgRows = await run('orders', ['--json', '--store-id', String(storeB)], env);
    assert.equal(pgRows.code, 0, pgRows.stderr);
    assert.equal(JSON.parse(pgRows.stdout).length, PER_STORE);
    const sqlite = await run('orders', ['--json', '--db', ':memory:'], env);
    assert.equal(sqlite.code, 0, sqlite.stderr);
    assert.deepEqual(JSON.parse(sqlite.stdout), []);
  });

  test('stores list flags a store no worker has served for two periods (LATE, "late": true)', async () => {
    await rig.scale.addStore({ id: 424242, tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url, everyMinutes: 10, addedAt: new Date(Date.now() - 3600_000).toISOString() });
    try {
      const args = ['list', '--postgres', rig.services.postgresUrl, '--redis', rig.services.redisUrl];
      const json = await run('stores', [...args, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const late = Object.fromEntries(JSON.parse(json.stdout).map((/** @type {any} */ x) => [x.id, x.late]));
      assert.deepEqual(late, { [storeA]: false, 424242: true });
      const text = await run('stores', args);
      assert.match(text.stdout, /^424242 .*never LATE/m);
      assert.doesNotMatch(text.stdout.split('\n').find((l) => l.startsWith(String(storeA))) ?? '', /LATE/);
    } finally {
      await rig.scale.removeStore(424242);
    }
  });

  test('usage errors name what is missing, exit 2, touch nothing', async () => {
    const pgUrl = rig.services.postgresUrl;
    const both = await run('orders', ['--db', 'x.db', '--postgres', pgUrl]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--db and --postgres/);
    const noId = await run('orders', ['--postgres', pgUrl]);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /--store-id/);
    const unknown = await run('ship', ['1', '--carrier', 'DPD', '--tracking-number', '250012345678', '--postgres', pgUrl, '--redis', rig.services.redisUrl, '--store-id', '999']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /store 999 is not registered/);
    // The registered reference names a variable this machine lacks: said, with the way out.
    const noVar = await run('sync', ['--once', '--postgres', pgUrl, '--redis', rig.services.redisUrl, '--store-id', String(storeA)], { [TOKEN_VAR]: undefined });
    assert.equal(noVar.code, 2);
    assert.match(noVar.stderr, new RegExp(`env:${TOKEN_VAR}.*--token`));
    const noToken = await run('sync', ['--once', '--postgres', pgUrl, '--store-id', String(storeB)]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no API token/);
  });
});
