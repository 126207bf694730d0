// @ts-check
// Packaging: `npm pack`, install the tarball into a fresh project, then use it the way a shop would:
// require() and import(), one cycle with MemoryStore against a sandbox, the bin through npx.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../sandbox/index.js';

const PKG_DIR = fileURLToPath(new URL('../../', import.meta.url));
const pkgJson = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));

/**
 * A command in a child process (asynchronous: the sandbox answers from this process).
 * @param {string} file @param {string[]} args @param {{cwd: string, env?: Record<string, string>}} o
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
function run(file, args, o) {
  const env = {
    ...process.env,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    SHOPPINGFEED_LOG: '',
    ...o.env,
  };
  return new Promise((resolve) => {
    execFile(file, args, { cwd: o.cwd, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (/** @type {any} */ (err).code) === 'number' ? /** @type {any} */ (err).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('npm pack → npm install <tarball> in a fresh project', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sfo-pack-')));
  const project = join(dir, 'shop');
  /** @type {any} */ let packed;
  /** @type {Awaited<ReturnType<typeof startSandbox>>} */ let sb;
  const installed = join(project, 'node_modules', 'shoppingfeed-orders');

  before(async () => {
    sb = await startSandbox({ seed: 41, orders: 40, ticketDelays: { start: 0, finish: 0 } });
    sb.control.createOrders([{ channel: 'amazon', fulfilled: false, count: 6 }], { importNow: true });
  });
  after(async () => {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('npm pack: the tarball holds wasm/, lib/, index.*, bin/, sandbox/ and nothing of the repo around them', async () => {
    const r = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: PKG_DIR });
    assert.equal(r.code, 0, r.stderr);
    [packed] = JSON.parse(r.stdout);
    assert.equal(packed.name, 'shoppingfeed-orders');
    assert.ok(existsSync(join(dir, packed.filename)));
    const files = packed.files.map((/** @type {any} */ f) => f.path);
    for (const f of [
      'package.json', 'index.cjs', 'index.mjs', 'index.d.ts',
      'wasm/shoppingfeed_orders.js', 'wasm/shoppingfeed_orders_bg.wasm',
      'lib/engine.cjs', 'lib/sync.cjs', 'lib/stores/memory.cjs', 'lib/stores/sqlite.cjs',
      'bin/shoppingfeed-orders.js', 'bin/common.js', 'bin/commands/sync.js', 'bin/commands/ship.js', 'bin/commands/orders.js', 'bin/commands/sandbox.js',
      'sandbox/index.js', 'sandbox/README.md',
    ]) assert.ok(files.includes(f), `the tarball has ${f}`);
    const wasm = packed.files.find((/** @type {any} */ f) => f.path === 'wasm/shoppingfeed_orders_bg.wasm');
    assert.ok(wasm.size > 50_000, `the .wasm is the real engine (${wasm.size} bytes)`);
    for (const f of files) assert.doesNotMatch(f, /^(test|node_modules|bench|src)\/|\.rs$|^tsconfig|\.db$/, `${f} should not be packed`);
    // Every file the exports map and bin point at is in the tarball.
    const targets = [pkgJson.main, pkgJson.types, ...Object.values(pkgJson.bin), ...Object.values(pkgJson.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
    for (const target of targets) assert.ok(files.includes(String(target).replace(/^\.\//, '')), `${target} is packed`);
  });

  test('npm install <tarball> (optional better-sqlite3 omitted): installed with its bin', async () => {
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-shop', version: '1.0.0', private: true }));
    const r = await run('npm', ['install', join(dir, packed.filename), '--no-audit', '--no-fund', '--omit=optional', '--prefer-offline'], { cwd: project });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(installed, 'wasm', 'shoppingfeed_orders_bg.wasm')));
    assert.ok(existsSync(join(project, 'node_modules', '.bin', 'shoppingfeed-orders')));
    assert.equal(existsSync(join(project, 'node_modules', 'better-sqlite3')), false, 'the optional dependency was left out');
    assert.equal(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies['shoppingfeed-orders'].startsWith('file:'), true);
  });

  test("require('shoppingfeed-orders') and await import('shoppingfeed-orders') (CommonJS consumer): one cycle with MemoryStore", async () => {
    writeFileSync(join(project, 'cycle.cjs'), `
      const assert = require('node:assert/strict');
      const cjs = require('shoppingfeed-orders');
      (async () => {
        const esm = await import('shoppingfeed-orders');
        assert.equal(esm.createOrderSync, cjs.createOrderSync, 'one implementation for both');
        assert.equal(typeof esm.default.createOrderSync, 'function');
        const store = new cjs.MemoryStore();
        const sync = cjs.createOrderSync({ apiUrl: process.env.API, token: process.env.TOKEN, storeId: Number(process.env.STORE), store, logger: false });
        const report = await sync.runOnce();
        const views = (await sync.orders()).orders;
        process.stdout.write(JSON.stringify({ resolved: require.resolve('shoppingfeed-orders'), imported: report.imported, acknowledged: report.acknowledged, stored: store.orders.size, views: views.length, version: cjs.engineVersion }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `);
    const r = await run(process.execPath, ['cycle.cjs'], { cwd: project, env: { API: sb.url, TOKEN: sb.token, STORE: String(sb.storeId) } });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.resolved, join(installed, 'index.cjs'), 'resolved from the installed tarball, not the repo');
    assert.ok(out.imported >= 6, `imported ${out.imported}`);
    assert.equal(out.acknowledged, out.imported);
    assert.equal(out.stored, out.imported);
    assert.equal(out.views, out.imported);
    const acked = sb.control.requests({ method: 'POST', path: '/order/acknowledge' }).requests.flatMap((/** @type {any} */ q) => q.body.order).length;
    assert.equal(acked, out.imported, 'the sandbox received the acknowledgements');
  });

  test("import { createOrderSync, MemoryStore } from 'shoppingfeed-orders' (ESM consumer) and the packed sandbox: one cycle", async () => {
    writeFileSync(join(project, 'cycle.mjs'), `
      import { createRequire } from 'node:module';
      import { createOrderSync, MemoryStore, SqliteStore, isShoppingfeedError } from 'shoppingfeed-orders';
      import { startSandbox } from 'shoppingfeed-orders/sandbox';
      const sb = await startSandbox({ seed: 42, orders: 50, ticketDelays: { start: 0, finish: 0 } });
      try {
        sb.control.createOrders([{ channel: 'bol', fulfilled: false, count: 4 }], { importNow: true });
        const sync = createOrderSync({ apiUrl: sb.url, token: sb.token, store: new MemoryStore(), logger: false });
        const report = await sync.runOnce();
        let sqlite = 'constructed';
        try { new SqliteStore(':memory:'); } catch (e) { sqlite = e.code ?? e.message; }
        let config = null;
        try { createOrderSync({ token: '', store: new MemoryStore() }); } catch (e) { config = isShoppingfeedError(e) ? e.code : 'not ours'; }
        process.stdout.write(JSON.stringify({ resolved: import.meta.resolve('shoppingfeed-orders'), imported: report.imported, sqlite, config }));
      } finally {
        await sb.close();
      }
    `);
    const r = await run(process.execPath, ['cycle.mjs'], { cwd: project });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(fileURLToPath(out.resolved), join(installed, 'index.mjs'));
    assert.ok(out.imported >= 4, `imported ${out.imported}`);
    assert.equal(out.sqlite, 'MODULE_NOT_FOUND', 'SqliteStore needs the optional better-sqlite3, absent here');
    assert.equal(out.config, 'Config');
  });

  test('npx shoppingfeed-orders: --help; sync without better-sqlite3 → exit 2 naming it; with it → one cycle', async () => {
    const help = await run('npx', ['--no', '--', 'shoppingfeed-orders', '--help'], { cwd: project });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /usage: shoppingfeed-orders <command>/);
    for (const c of ['sync', 'ship', 'orders', 'sandbox']) assert.match(help.stdout, new RegExp(`\\b${c}\\b`));

    const env = { SHOPPINGFEED_API_URL: sb.url, SHOPPINGFEED_TOKEN: sb.token, SHOPPINGFEED_STORE_ID: String(sb.storeId), SHOPPINGFEED_DB: join(project, 'orders.db') };
    const without = await run('npx', ['--no', '--', 'shoppingfeed-orders', 'sync', '--once', '--json'], { cwd: project, env });
    assert.equal(without.code, 2, without.stderr);
    assert.match(without.stderr, /better-sqlite3/);

    // The shop adds better-sqlite3 (linked to the copy already built for this repository).
    symlinkSync(join(PKG_DIR, 'node_modules', 'better-sqlite3'), join(project, 'node_modules', 'better-sqlite3'), 'dir');
    const fresh = sb.control.createOrders([{ channel: 'zalando', fulfilled: false, count: 3 }], { importNow: true }).orders.map((/** @type {any} */ v) => v.orderId);
    const sync = await run('npx', ['--no', '--', 'shoppingfeed-orders', 'sync', '--once', '--json'], { cwd: project, env });
    assert.equal(sync.code, 0, sync.stderr);
    const rep = JSON.parse(sync.stdout);
    assert.equal(rep.imported, 3, 'the three new orders (cycle.cjs acknowledged the others)');
    const orders = await run('npx', ['--no', '--', 'shoppingfeed-orders', 'orders', '--json'], { cwd: project, env });
    assert.equal(orders.code, 0, orders.stderr);
    assert.deepEqual(JSON.parse(orders.stdout).map((/** @type {any} */ o) => o.id).sort(), [...fresh].sort());
    for (const o of [help, without, sync, orders]) assert.ok(!o.stdout.includes(sb.token) && !o.stderr.includes(sb.token));
  });
});
