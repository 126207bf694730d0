// @ts-check
// `shoppingfeed-orders demo`: the whole circuit on this machine. Marketplaces create orders, the sandbox
// (Shoppingfeed API on 127.0.0.1) imports them, the engine fetches, creates them in a SQLite store,
// acknowledges, accepts, ships a share as a shop admin hook would, follows tickets, and picks up a
// cancellation made on the marketplace side; then a summary per channel.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startSandbox } from '../../sandbox/index.js';
import { UsageError, describe, openStore, parse, pkg } from '../common.js';

const USAGE = `usage: shoppingfeed-orders demo [--db FILE] [--orders N] [--seed S] [--serve] [--port P]

  --db FILE     SQLite store to create (default ./shoppingfeed-demo.db; replaced)
  --orders N    new marketplace orders per channel (default 40)
  --seed S      sandbox seed (default 2026)
  --serve       keep the sandbox and the dashboard running until Ctrl-C (also SERVE=1)
  --port P      dashboard port with --serve (default 8470)
`;

/** @type {{ startDashboard: (o: any) => Promise<{ url: string, close: () => Promise<void> }> }} */
const { startDashboard } = createRequire(import.meta.url)('../../lib/dashboard/index.cjs');

/** Tracking URL templates a shop admin configures per carrier. */
const TRACKING = {
  Colissimo: 'https://www.laposte.fr/outils/suivre-vos-envois?code=',
  DPD: 'https://trace.dpd.fr/fr/trace/',
  UPS: 'https://www.ups.com/track?tracknum=',
  PostNL: 'https://postnl.nl/tracktrace/?B=',
};
const CARRIERS = /** @type {(keyof typeof TRACKING)[]} */ (Object.keys(TRACKING));
/** A number of each carrier's own shape (the ship guard refuses one that cannot be that carrier's). */
const NUMBER = {
  Colissimo: (/** @type {number} */ n) => `6A${String(n).padStart(11, '0')}`,
  DPD: (/** @type {number} */ n) => `2500${String(n).padStart(10, '0')}`,
  UPS: (/** @type {number} */ n) => `1Z999AA1${String(n).padStart(10, '0')}`,
  PostNL: (/** @type {number} */ n) => `3SDEMO${String(n).padStart(7, '0')}`,
};

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'the whole circuit on this machine: sandbox + engine + SQLite store',
  usage: USAGE,
  async run(args) {
    /** @type {Awaited<ReturnType<typeof startSandbox>> | undefined} */
    let sandbox;
    try {
      const { values } = parse(args, { orders: { type: 'string' }, seed: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' } });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      const perChannel = Number(values.orders ?? 40);
      if (!Number.isInteger(perChannel) || perChannel < 1 || perChannel > 1000) throw new UsageError('--orders must be a whole number from 1 to 1000');
      const db = values.db ?? './shoppingfeed-demo.db';
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const t0 = performance.now();
      const say = (/** @type {string} */ s) => process.stdout.write(`${s}\n`);

      sandbox = await startSandbox({ orders: 150, seed: values.seed ?? 2026, clock: 'manual' });
      const control = sandbox.control;
      const channels = control.channels().channels ?? control.channels();
      const keys = (Array.isArray(channels) ? channels : []).map((/** @type {any} */ c) => c.key ?? c.id);
      control.createOrders(keys.map((/** @type {string} */ channel) => ({ channel, count: perChannel })));
      control.advance({ minutes: 30 });

      const store = openStore(db);
      const sync = pkg.createOrderSync({
        apiUrl: sandbox.url,
        token: sandbox.token,
        storeId: sandbox.storeId,
        store,
        autoAccept: true,
        logger: false,
        now: () => control.clock().now,
      });
      say(`sandbox ${sandbox.url} (store ${sandbox.storeId}); store ${db}; ${keys.length} channels × ${perChannel} new orders`);
      const line = (/** @type {string} */ what, /** @type {any} */ r) =>
        say(`${what.padEnd(32)} imported ${r.imported}, acknowledged ${r.acknowledged}, accepted ${r.accepted}, skipped ${r.skipped}, `
          + `failed ${r.failed}, sent ${r.sent}, confirmed ${r.succeeded}, marketplace changes ${r.statusChanges}, ${r.requests} HTTP calls`);

      line('cycle 1: import', await sync.runOnce());
      control.advance({ minutes: 30 });
      line('cycle 2: accepted orders arrive', await sync.runOnce());

      // The merchant ships 60 % from the shop admin: carrier, tracking number, tracking URL.
      const { orders } = await sync.orders({ limit: 100_000 });
      let shipped = 0;
      for (const [i, o] of orders.entries()) {
        if (i % 5 >= 3 || !o.allowed.includes('ship')) continue;
        const carrier = CARRIERS[i % CARRIERS.length];
        const tracking = NUMBER[carrier](100000 + i * 7919);
        await sync.ship(o.id, { carrier, trackingNumber: tracking, trackingUrl: TRACKING[carrier] + tracking });
        shipped += 1;
      }
      say(`${'admin hook: shipments'.padEnd(32)} ${shipped} recorded and sent once each`);

      // A buyer cancels on the marketplace an order the shop has not shipped yet.
      const target = orders.find((/** @type {any} */ o, /** @type {number} */ i) => i % 5 === 4 && o.allowed.includes('cancel'));
      if (target) control.cancelOnMarketplace({ orderId: target.id, reason: 'buyer changed their mind' });
      control.advance({ minutes: 30 });
      line('cycle 3: tickets, cancellation', await sync.runOnce());
      control.advance({ hours: 2 });
      line('cycle 4: settled', await sync.runOnce());

      const after = (await sync.orders({ limit: 100_000 })).orders;
      const late = new Set(control.marketplace({ penalized: true, limit: 1000 }).orders.map((/** @type {any} */ o) => o.orderId ?? o.id));
      /** @type {Map<string, {imported: number, acknowledged: number, shipped: number, failed: number, late: number}>} */
      const rows = new Map();
      for (const o of after) {
        const name = o.channel.name || `channel ${o.channel.id}`;
        const r = rows.get(name) ?? { imported: 0, acknowledged: 0, shipped: 0, failed: 0, late: 0 };
        rows.set(name, r);
        if (o.storeReference) r.imported += 1;
        if (o.acknowledged) r.acknowledged += 1;
        if (o.shipment?.state === 'succeeded') r.shipped += 1;
        if (o.state === 'failed' || o.operations.some((/** @type {any} */ op) => op.state === 'failed')) r.failed += 1;
        if (late.has(o.id)) r.late += 1;
      }
      const cols = /** @type {const} */ (['imported', 'acknowledged', 'shipped', 'failed', 'late']);
      const total = { imported: 0, acknowledged: 0, shipped: 0, failed: 0, late: 0 };
      say(`\n${'channel'.padEnd(14)}${cols.map((c) => c.padStart(13)).join('')}`);
      for (const [name, r] of [...rows.entries()].sort()) {
        say(`${name.padEnd(14)}${cols.map((c) => String(r[c]).padStart(13)).join('')}`);
        for (const c of cols) total[c] += r[c];
      }
      say(`${'total'.padEnd(14)}${cols.map((c) => String(total[c]).padStart(13)).join('')}`);
      const cancelled = after.filter((/** @type {any} */ o) => o.status === 'cancelled').length;
      say(`\ncancelled on the marketplace after import, passed to the shop: ${cancelled}; HTTP calls: ${sync.requests}; `
        + `${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const serve = Boolean(values.serve) || ['1', 'true', 'yes'].includes(String(process.env.SERVE ?? '').toLowerCase());
      if (!serve) {
        // The dashboard's default address; it serves once started (the sandbox stops with the demo).
        say(`\ndashboard: http://127.0.0.1:8470/ — serve it with \`shoppingfeed-orders dashboard --db ${db}\`, or run \`make demo SERVE=1\` to keep sandbox and dashboard up`);
        store.close?.();
        return 0;
      }
      const dashboard = await startDashboard({
        store, sync, port: Number(values.port ?? 8470), now: () => control.clock().now, secrets: [sandbox.token],
      });
      say(`\ndashboard: ${dashboard.url}   (sandbox ${sandbox.url}; Ctrl-C to stop)`);
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
      store.close?.();
      return 0;
    } catch (err) {
      const d = describe(err);
      process.stderr.write(`shoppingfeed-orders demo: ${d.line}\n`);
      return d.code;
    } finally {
      await sandbox?.close();
    }
  },
};
