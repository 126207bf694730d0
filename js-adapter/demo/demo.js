// @ts-check
// `make demo`: the whole circuit on this machine. Marketplaces create orders, the sandbox (Shoppingfeed
// API on 127.0.0.1) imports them, the engine (Rust → Wasm) fetches, creates, acknowledges, accepts,
// ships a share as an admin hook would, follows tickets, and picks up a marketplace-side cancellation.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../sandbox/index.js';
import { MemoryStore } from '../stores/memory.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** @type {any} */
const { SyncEngine } = createRequire(import.meta.url)(`${root}pkg/nodejs/shoppingfeed_orders.js`);

/** Tracking URL templates an admin would configure per carrier. */
const TRACKING = {
  Colissimo: 'https://www.laposte.fr/outils/suivre-vos-envois?code=',
  DPD: 'https://trace.dpd.fr/fr/trace/',
  UPS: 'https://www.ups.com/track?tracknum=',
  PostNL: 'https://postnl.nl/tracktrace/?B=',
};
const CARRIERS = /** @type {(keyof typeof TRACKING)[]} */ (Object.keys(TRACKING));

const t0 = performance.now();
const sandbox = await startSandbox({ orders: Number(process.env.DEMO_ORDERS ?? 400), seed: 2026, clock: 'manual' });
const store = new MemoryStore();
const engine = new SyncEngine(
  { apiUrl: sandbox.url, token: sandbox.token, storeId: sandbox.storeId, autoAccept: true },
  { store, now: () => sandbox.control.clock().now },
);
const say = (/** @type {string} */ s) => process.stdout.write(`${s}\n`);
const line = (/** @type {string} */ what, /** @type {any} */ r) =>
  say(`${what.padEnd(34)} imported ${r.imported}, acknowledged ${r.acknowledged}, accepted ${r.accepted}, skipped ${r.skipped}, failed ${r.failed}, sent ${r.sent}, confirmed ${r.succeeded}, status changes ${r.statusChanges}, ${r.requests} HTTP calls`);

say(`sandbox ${sandbox.url} (store ${sandbox.storeId}), Wasm engine, in-memory shop store`);
line('cycle 1: import', await engine.runCycle());
sandbox.control.advance({ minutes: 30 });
line('cycle 2: accepted orders arrive', await engine.runCycle());

// The merchant ships 60 % of the orders from the shop admin: carrier, tracking number, tracking URL.
let shipped = 0;
let refused = 0;
const ids = [...store.orders.keys()];
for (const [i, id] of ids.entries()) {
  if (i % 5 >= 3) continue;
  const carrier = CARRIERS[i % CARRIERS.length];
  const tracking = `${carrier.slice(0, 2).toUpperCase()}${String(100000000 + i * 7919)}`;
  try {
    await engine.ship(id, { carrier, trackingNumber: tracking, trackingUrl: TRACKING[carrier] + tracking });
    shipped += 1;
  } catch (e) {
    refused += 1;
    say(`  ship ${id} refused: ${/** @type {Error} */ (e).message}`);
  }
}
say(`${'admin hook: shipments recorded'.padEnd(34)} ${shipped} sent once each${refused ? `, ${refused} refused locally` : ''}`);

// A buyer cancels on the marketplace an order the shop has not shipped.
const unshipped = ids.find((_, i) => i % 5 === 4);
if (unshipped) sandbox.control.cancelOnMarketplace({ orderId: unshipped, reason: 'buyer changed their mind' });
sandbox.control.advance({ minutes: 30 });
line('cycle 3: tickets, cancellation', await engine.runCycle());
sandbox.control.advance({ hours: 2 });
line('cycle 4: settle', await engine.runCycle());

// Summary per channel, from the store's journal and the marketplace view.
/** @type {Map<string, {imported: number, acknowledged: number, shipped: number, failed: number, late: number}>} */
const rows = new Map();
const row = (/** @type {string} */ name) => rows.get(name) ?? rows.set(name, { imported: 0, acknowledged: 0, shipped: 0, failed: 0, late: 0 }).get(name);
for (const rec of store.imports.values()) {
  const r = /** @type {any} */ (row(rec.channel.name || `channel ${rec.channel.id}`));
  if (rec.shopOrderId) r.imported += 1;
  if (rec.state === 'acknowledged') r.acknowledged += 1;
  if (rec.state === 'failed') r.failed += 1;
}
for (const op of store.ops.values()) {
  const rec = store.imports.get(op.shoppingfeedId);
  if (!rec) continue;
  const r = /** @type {any} */ (row(rec.channel.name || `channel ${rec.channel.id}`));
  if (op.payload.operation === 'ship' && op.state === 'succeeded') r.shipped += 1;
  if (op.state === 'failed') r.failed += 1;
}
const penalized = sandbox.control.marketplace({ penalized: true, limit: 1000 });
for (const o of penalized.orders) {
  const rec = store.imports.get(o.orderId ?? o.id);
  if (rec) /** @type {any} */ (row(rec.channel.name)).late += 1;
}
say('\nchannel          imported  acknowledged  shipped  failed  late');
const total = { imported: 0, acknowledged: 0, shipped: 0, failed: 0, late: 0 };
for (const [name, r] of [...rows.entries()].sort()) {
  say(`${name.padEnd(16)} ${String(r.imported).padStart(8)} ${String(r.acknowledged).padStart(13)} ${String(r.shipped).padStart(8)} ${String(r.failed).padStart(7)} ${String(r.late).padStart(5)}`);
  for (const k of /** @type {(keyof typeof total)[]} */ (Object.keys(total))) total[k] += r[k];
}
say(`${'total'.padEnd(16)} ${String(total.imported).padStart(8)} ${String(total.acknowledged).padStart(13)} ${String(total.shipped).padStart(8)} ${String(total.failed).padStart(7)} ${String(total.late).padStart(5)}`);
const cancelled = [...store.orders.values()].filter((o) => o.status === 'cancelled').length;
say(`\nshop orders cancelled from the marketplace side: ${cancelled}; engine HTTP calls: ${engine.requests}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await sandbox.close();
