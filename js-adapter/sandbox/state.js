// @ts-check
// The whole emulated world: stores and their orders as Shoppingfeed holds them, marketplace orders
// waiting for the next import, tickets, and the clock-driven work (imports every 30 minutes, ticket
// processing, deliveries). Nothing here speaks HTTP.

import { randomBytes } from 'node:crypto';
import { CHANNELS, findChannel } from './channels.js';
import { detailsOf } from './details.js';
import { ProblemError, invalid } from './errors.js';
import { generateCore, genKeyFor, makeTest, seedLifecycle } from './generate.js';
import {
  FLAG_B2B, FLAG_FULFILLED, FLAG_RELAY, FLAG_SEED_PARTIAL, FLAG_SEED_SHIPPED, OrderRecord, STATUSES,
} from './model.js';
import { Rng, hash32, seedFrom } from './prng.js';
import { Clock, DAY, MINUTE, formatIso, parseLenientDate, parseShipByDate } from './time.js';

/** @typedef {import('./channels.js').Channel} Channel */
/** @typedef {import('./model.js').MarketplaceState} MarketplaceState */

export const IMPORT_EVERY = 30 * MINUTE;
const ORDER_ID_BASE = 19_700_000_000;
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'GB', 'NL', 'BE', 'PL', 'SE'];

/**
 * @typedef {object} StoreOptions
 * @property {number} [id]
 * @property {string} [name]
 * @property {number} [orders]       orders to seed in this store
 * @property {boolean} [autoAccept]  Shoppingfeed accepts orders of acceptance channels by itself
 * @property {(number|string)[]} [misconfiguredChannels] channels whose connection credentials are invalid
 * @property {number} [newOrdersPerHour] marketplaces keep creating orders at this rate
 */

/**
 * @typedef {object} SandboxOptions
 * @property {number} [port]            TCP port on 127.0.0.1 (0 = any free port)
 * @property {number} [orders]          orders seeded in the first store (default 100)
 * @property {number|string} [seed]     everything generated follows from it (default 1)
 * @property {'real'|'manual'} [clock]  `manual` stands still until advanced (default `real`)
 * @property {string|number} [startTime] sandbox time at start (ISO or ms; default: now)
 * @property {number} [rateLimit]       requests per second per client before 429 (default: unlimited)
 * @property {number|StoreOptions[]} [stores] how many stores the token sees, or their settings (default 1)
 * @property {boolean} [autoAccept]     store option of the first store
 * @property {(number|string)[]} [misconfiguredChannels] for the first store
 * @property {number} [newOrdersPerHour] for the first store (default 0)
 * @property {string} [token]           API token (default: random 40 hex chars)
 * @property {string} [username]        account login for POST /v1/auth (default `sandbox`)
 * @property {string} [password]        account password for POST /v1/auth (default `sandbox`)
 * @property {{start?: number, finish?: number}} [ticketDelays] ms of sandbox time from scheduled to running / to finished (default 1000 / 2000)
 * @property {boolean} [autoDeliver]    buyers receive shipped parcels after the channel's delivery days (default true)
 * @property {number} [seedDays]        seeded orders spread over this many past days (default 60)
 * @property {number} [requestLogSize]  entries kept in the request log (default 10000)
 */

/**
 * @typedef {object} Store
 * @property {number} id
 * @property {string} name
 * @property {string} country
 * @property {string} currency
 * @property {number} createdAt
 * @property {boolean} autoAccept
 * @property {number} newOrdersPerHour
 * @property {OrderRecord[]} orders   sorted by (createdAt, id)
 * @property {Map<string, OrderRecord[]>} byRef
 * @property {PendingOrder[]} pending  marketplace orders not imported yet
 * @property {Ticket[]} tickets
 * @property {Map<string, Ticket>} ticketsById
 * @property {Map<string, Ticket[]>} batches
 * @property {Map<number, {credentialsValid: boolean, reason: string|null}>} channelConfig
 * @property {{at: number, imported: number, blocked: {channelId: number, count: number, reason: string}[], synced: number}[]} importLog
 * @property {Set<OrderRecord>} toSync  orders changed on the marketplace, applied at the next import
 * @property {number} storeRefSeq
 * @property {import('./raw.js').RawOrder[]} rawOrders  orders served as given text (ids a JS number cannot hold)
 */

/**
 * @typedef {object} PendingOrder
 * @property {OrderRecord} rec
 * @property {number|null} paidAt
 * @property {'awaiting_payment'|'awaiting_import'|'imported'|'cancelled'} state
 * @property {string|null} blockedReason
 * @property {string|null} forcedStatus
 * @property {boolean} acknowledged
 */

/**
 * @typedef {object} Ticket
 * @property {string} id
 * @property {string} batchId
 * @property {number} storeId
 * @property {string} type
 * @property {string} operation
 * @property {'scheduled'|'running'|'succeed'|'failed'|'canceled'} state
 * @property {number} scheduledAt
 * @property {number|null} startedAt
 * @property {number|null} finishedAt
 * @property {number} orderId
 * @property {Record<string, any>} payload
 * @property {Record<string, any>} entry
 * @property {{code: string, message: string}[]} errors
 */

/**
 * @typedef {object} Fault
 * @property {'rate-limit'|'server-error'|'slow'|'truncate'|'reset'} kind
 * @property {number} remaining
 * @property {number} status
 * @property {number} waitSeconds
 * @property {number} delayMs
 * @property {boolean} afterProcessing
 * @property {string|null} method
 * @property {string|null} path
 */

export class Sandbox {
  /** @param {SandboxOptions} options */
  constructor(options = {}) {
    this.options = normaliseOptions(options);
    this.seed = seedFrom(this.options.seed);
    const start = this.options.startTime === undefined ? Date.now() : parseStart(this.options.startTime);
    this.clock = new Clock(this.options.clock, Math.floor(start / 1000) * 1000);
    this.token = this.options.token ?? randomBytes(20).toString('hex');
    this.account = { id: 1000 + (this.seed % 9000), login: this.options.username, email: 'merchant@sandbox.example' };
    /** @type {{seq: number, timestamp: string, sandboxTime: string, method: string, path: string, query: Record<string, string>, status: number, durationMs: number, body?: unknown, fault?: string}[]} */
    this.requestLog = [];
    this.requestSeq = 0;
    /** @type {Fault[]} */
    this.faults = [];
    /** @type {Map<number, Store>} */
    this.stores = new Map();
    /** @type {Map<number, OrderRecord>} */
    this.ordersById = new Map();
    /** @type {Map<string, PendingOrder>} keyed `storeId:channelId:reference` */
    this.pendingByRef = new Map();
    this.nextOrderId = 0;
    this.idRng = new Rng(0);
    this.specSeq = 0;
    this.shipmentSeq = 1;
    this.documentSeq = 1;
    /** @type {{at: number, seq: number, fn: (at: number) => void}[]} */
    this.heap = [];
    this.eventSeq = 0;
    this.nextTick = 0;
    /** @type {Map<string, {tokens: number, at: number}>} rate-limit buckets */
    this.buckets = new Map();
    this.init();
  }

  /** (Re)builds the world from the options: same seed, same orders. */
  init() {
    this.stores = new Map();
    this.ordersById = new Map();
    this.pendingByRef = new Map();
    this.nextOrderId = ORDER_ID_BASE + (this.seed % 10_000_000);
    this.idRng = new Rng(hash32(this.seed, 'runtime-ids'));
    this.specSeq = 0;
    this.shipmentSeq = 1;
    this.documentSeq = 1;
    this.heap = [];
    this.eventSeq = 0;
    this.nextTick = Math.floor(this.clock.now() / IMPORT_EVERY) * IMPORT_EVERY + IMPORT_EVERY;
    this.requestLog.length = 0;
    this.faults.length = 0;
    this.buckets = new Map();

    const storeOpts = this.options.stores;
    const usedIds = new Set();
    storeOpts.forEach((so, i) => {
      let id = so.id ?? 10000 + (hash32(this.seed, 'store', i) % 89000);
      while (usedIds.has(id)) id++;
      usedIds.add(id);
      /** @type {Store} */
      const store = {
        id,
        name: so.name ?? STORE_NAMES[i % STORE_NAMES.length],
        country: 'FR',
        currency: 'EUR',
        createdAt: this.clock.now() - 400 * DAY,
        autoAccept: so.autoAccept ?? false,
        newOrdersPerHour: so.newOrdersPerHour ?? 0,
        orders: [],
        byRef: new Map(),
        pending: [],
        tickets: [],
        ticketsById: new Map(),
        batches: new Map(),
        channelConfig: new Map(CHANNELS.map((c) => [c.id, { credentialsValid: true, reason: null }])),
        importLog: [],
        toSync: new Set(),
        storeRefSeq: 100_000,
        rawOrders: [],
      };
      for (const ref of so.misconfiguredChannels ?? []) {
        const c = findChannel(ref);
        if (!c) throw new TypeError(`unknown channel ${ref} in misconfiguredChannels`);
        store.channelConfig.set(c.id, { credentialsValid: false, reason: misconfiguredReason(c) });
      }
      this.stores.set(id, store);
      this.seedStore(store, so.orders ?? (i === 0 ? this.options.orders : 10), i);
    });
  }

  /** Ids of the stores the token sees, first = main store. */
  get storeIds() {
    return [...this.stores.keys()];
  }

  /** @returns {Store} */
  store(/** @type {number} */ id) {
    const s = this.stores.get(id);
    if (!s) throw new ProblemError(404, `Store ${id} not found`);
    return s;
  }

  // ---------------------------------------------------------------- seeding

  /**
   * Seeds past orders directly as imported (the history before the sandbox started) and, for
   * misconfigured channels, a few paid marketplace orders that can never be imported.
   * @param {Store} store
   * @param {number} count
   * @param {number} storeIndex
   */
  seedStore(store, count, storeIndex) {
    const now = this.clock.now();
    const r = new Rng(hash32(this.seed, 'seed', storeIndex));
    const span = this.options.seedDays * DAY;
    const weights = CHANNELS.map((c) => /** @type {const} */ ([c, c.weight]));
    const seedStore = { autoAccept: store.autoAccept, nextStoreReference: () => String(++store.storeRefSeq) };
    let testSeq = 0;
    for (let i = 0; i < count; i++) {
      const createdAt = Math.floor((now - span + (span * (i + r.next())) / count) / 1000) * 1000;
      const channel = r.weighted(weights);
      const id = this.allocateOrderId(r);
      const rec = generateCore(r, channel, { id, storeId: store.id, createdAt, genKey: genKeyFor(this.seed, `order-${storeIndex}`, i) });
      this.ensureUniqueReference(store, rec, r);
      if (r.chance(0.005)) makeTest(rec, store.id, testSeq++);
      seedLifecycle(r, rec, channel, now, seedStore);
      if (rec.anonymized) rec.searchText = `${rec.reference} #gdpr #gdpr`;
      store.orders.push(rec);
      this.indexOrder(store, rec);
    }
    for (const [channelId, cfg] of store.channelConfig) {
      if (cfg.credentialsValid) continue;
      const channel = /** @type {Channel} */ (findChannel(channelId));
      for (let i = 0; i < 3; i++) {
        this.addMarketplaceOrder(store, { channel: channel.id, createdAt: now - (i + 1) * 47 * MINUTE }, now, 'orders');
      }
    }
  }

  allocateOrderId(/** @type {Rng} */ r) {
    this.nextOrderId += r.int(1, 37);
    return this.nextOrderId;
  }

  /** A channel reference is unique per channel (§3.1); redraw on the rare collision. */
  ensureUniqueReference(/** @type {Store} */ store, /** @type {OrderRecord} */ rec, /** @type {Rng} */ r) {
    while (this.referenceTaken(store, rec.channelId, rec.reference)) {
      rec.reference = `${rec.reference}${r.chars(1)}`;
      rec.searchText = `${rec.reference} ${rec.firstName} ${rec.lastName}`.toLowerCase();
    }
  }

  referenceTaken(/** @type {Store} */ store, /** @type {number} */ channelId, /** @type {string} */ reference) {
    const list = store.byRef.get(reference);
    if (list && list.some((o) => o.channelId === channelId && !o.deleted)) return true;
    return this.pendingByRef.has(`${store.id}:${channelId}:${reference}`);
  }

  indexOrder(/** @type {Store} */ store, /** @type {OrderRecord} */ rec) {
    this.ordersById.set(rec.id, rec);
    const list = store.byRef.get(rec.reference);
    if (list) list.push(rec);
    else store.byRef.set(rec.reference, [rec]);
  }

  /** Inserts an imported order keeping `store.orders` sorted by (createdAt, id). */
  insertOrder(/** @type {Store} */ store, /** @type {OrderRecord} */ rec) {
    const arr = store.orders;
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = arr[mid];
      if (m.createdAt < rec.createdAt || (m.createdAt === rec.createdAt && m.id < rec.id)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === arr.length) arr.push(rec);
    else arr.splice(lo, 0, rec);
    this.indexOrder(store, rec);
  }

  // ---------------------------------------------------------------- clock and events

  /** Runs everything that became due; called before each request so `real` time needs no timers. */
  runDue() {
    this.processUntil(this.clock.now());
  }

  /** Moves the clock forward and runs what falls due, in time order. */
  advance(/** @type {number} */ ms) {
    this.clock.advance(ms);
    return this.processUntil(this.clock.now());
  }

  /** @returns {{events: number, imports: number}} */
  processUntil(/** @type {number} */ t) {
    let events = 0, imports = 0;
    for (;;) {
      const ev = this.heap[0];
      const evAt = ev ? ev.at : Infinity;
      if (Math.min(evAt, this.nextTick) > t) break;
      if (evAt <= this.nextTick) {
        this.heapPop();
        /** @type {typeof ev} */ (ev).fn(evAt);
        events++;
      } else {
        const at = this.nextTick;
        this.nextTick += IMPORT_EVERY;
        for (const store of this.stores.values()) this.importStore(store, at);
        imports++;
      }
    }
    return { events, imports };
  }

  /** Schedules work at a sandbox instant. */
  schedule(/** @type {number} */ at, /** @type {(at: number) => void} */ fn) {
    const h = this.heap;
    h.push({ at, seq: this.eventSeq++, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  heapPop() {
    const h = this.heap;
    const top = h[0];
    const last = /** @type {typeof top} */ (h.pop());
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  // ---------------------------------------------------------------- marketplaces and imports

  /**
   * Shoppingfeed's import job for one store at one tick: new marketplace orders (if the store has a
   * rate), paid orders of well-connected channels come in, buyer-side changes are synced.
   * @param {Store} store
   * @param {number} at
   */
  importStore(store, at) {
    if (store.newOrdersPerHour > 0) {
      const r = new Rng(hash32(this.seed, 'live', store.id, at));
      const expected = (store.newOrdersPerHour * IMPORT_EVERY) / (60 * MINUTE);
      const n = Math.floor(expected) + (r.chance(expected % 1) ? 1 : 0);
      for (let i = 0; i < n; i++) {
        this.addMarketplaceOrder(store, { createdAt: at - r.int(1, IMPORT_EVERY / 1000 - 1) * 1000 }, at, 'live');
      }
    }
    let imported = 0;
    /** @type {Map<number, {channelId: number, count: number, reason: string}>} */
    const blocked = new Map();
    const still = [];
    for (const p of store.pending) {
      if (p.state === 'cancelled' || p.state === 'imported') continue;
      if (p.paidAt === null || p.paidAt > at || p.rec.createdAt > at) {
        still.push(p);
        continue;
      }
      const cfg = /** @type {{credentialsValid: boolean, reason: string|null}} */ (store.channelConfig.get(p.rec.channelId));
      if (!cfg.credentialsValid) {
        p.state = 'awaiting_import';
        p.blockedReason = cfg.reason;
        const b = blocked.get(p.rec.channelId) ?? { channelId: p.rec.channelId, count: 0, reason: cfg.reason ?? '' };
        b.count++;
        blocked.set(p.rec.channelId, b);
        still.push(p);
        continue;
      }
      this.importOne(store, p, at);
      imported++;
    }
    store.pending = still;
    let synced = 0;
    for (const rec of store.toSync) {
      const mp = rec.mp;
      if (mp && mp.pendingBuyerCancel !== null) {
        mp.pendingBuyerCancel = null;
        if (rec.status !== 'shipped' && rec.status !== 'partially_shipped' && rec.status !== 'cancelled') {
          rec.status = 'cancelled';
          rec.touch(at);
          synced++;
        }
      }
    }
    store.toSync.clear();
    if (imported > 0 || blocked.size > 0 || synced > 0) {
      store.importLog.push({ at, imported, blocked: [...blocked.values()], synced });
      if (store.importLog.length > 200) store.importLog.shift();
    }
  }

  /** @param {Store} store @param {PendingOrder} p @param {number} at */
  importOne(store, p, at) {
    const rec = p.rec;
    const channel = /** @type {Channel} */ (findChannel(rec.channelId));
    rec.id = this.allocateOrderId(this.idRng);
    this.pendingByRef.delete(`${store.id}:${rec.channelId}:${rec.reference}`);
    if (p.forcedStatus) rec.status = p.forcedStatus;
    else if (rec.has(FLAG_FULFILLED)) rec.status = 'shipped';
    else if (channel.needsAcceptance) rec.status = store.autoAccept ? 'waiting_shipment' : 'waiting_store_acceptance';
    else rec.status = 'waiting_shipment';
    rec.updatedAt = at;
    if (p.acknowledged) {
      rec.acknowledgedAt = at;
      if (rec.storeReference === '') rec.storeReference = String(++store.storeRefSeq);
    }
    p.state = 'imported';
    this.insertOrder(store, rec);
    const mp = this.mpState(rec);
    mp.events.push({ at, type: 'imported', detail: `imported by Shoppingfeed as ${rec.status}` });
    if (channel.needsAcceptance && store.autoAccept && !p.forcedStatus) {
      mp.status = 'awaiting_shipment';
      mp.events.push({ at, type: 'accepted', detail: 'accepted automatically (store option auto-accept)' });
    }
  }

  /**
   * Creates one order on a marketplace from a control spec. It reaches Shoppingfeed at the next import
   * tick once paid, unless `importNow` asks for an import right away.
   * @param {Store} store
   * @param {Record<string, any>} spec validated by {@link validateSpec}
   * @param {number} now
   * @param {string} stream seed stream (`orders` for control specs, `live` for continuous generation)
   * @returns {PendingOrder}
   */
  addMarketplaceOrder(store, spec, now, stream) {
    const n = this.specSeq++;
    const genKey = genKeyFor(this.seed, `${stream}-${store.id}`, n);
    const r = new Rng(hash32(genKey, 'core'));
    const channel = spec.channel !== undefined
      ? /** @type {Channel} */ (findChannel(spec.channel))
      : r.weighted(CHANNELS.map((c) => /** @type {const} */ ([c, c.weight])));
    const createdAt = spec.createdAt !== undefined ? toMs(spec.createdAt) : now;
    const rec = generateCore(r, channel, { id: 0, storeId: store.id, createdAt, genKey });
    applySpecToCore(rec, spec);
    if (spec.reference === undefined) this.ensureUniqueReference(store, rec, r);
    else if (this.referenceTaken(store, channel.id, rec.reference)) {
      throw new ProblemError(409, `reference ${rec.reference} already exists on channel ${channel.name}`);
    }
    if (spec.isTest && spec.reference === undefined) makeTest(rec, store.id, n);
    else if (spec.isTest) rec.isTest = true;
    if (rec.anonymized) rec.searchText = `${rec.reference} #gdpr #gdpr`;
    let paidAt = /** @type {number|null} */ (createdAt);
    if (spec.paid === false) paidAt = null;
    else if (typeof spec.payAfterMinutes === 'number') paidAt = createdAt + spec.payAfterMinutes * MINUTE;
    /** @type {PendingOrder} */
    const p = {
      rec,
      paidAt,
      state: paidAt === null || paidAt > now ? 'awaiting_payment' : 'awaiting_import',
      blockedReason: null,
      forcedStatus: spec.status ?? null,
      acknowledged: spec.acknowledged === true,
    };
    store.pending.push(p);
    this.pendingByRef.set(`${store.id}:${channel.id}:${rec.reference}`, p);
    return p;
  }

  /** Marks a pending marketplace order paid now. */
  payOnMarketplace(/** @type {PendingOrder} */ p, /** @type {number} */ now) {
    if (p.state !== 'awaiting_payment') throw new ProblemError(409, `order ${p.rec.reference} is ${p.state}, not awaiting payment`);
    p.paidAt = now;
    p.state = 'awaiting_import';
  }

  /** Imports right away (the control's `importNow`), still honouring payment and credentials. */
  importPendingNow(/** @type {Store} */ store, /** @type {PendingOrder[]} */ list, /** @type {number} */ now) {
    for (const p of list) {
      const cfg = store.channelConfig.get(p.rec.channelId);
      if (p.state !== 'awaiting_import' || !cfg?.credentialsValid) {
        if (cfg && !cfg.credentialsValid) p.blockedReason = cfg.reason;
        continue;
      }
      this.importOne(store, p, now);
    }
    store.pending = store.pending.filter((p) => p.state !== 'imported' && p.state !== 'cancelled');
  }

  // ---------------------------------------------------------------- lifecycle state of one order

  /**
   * Turns seed-derived lifecycle facts (the seeded shipment, refunded quantities) into explicit state
   * the first time a rule needs them; untouched orders never pay for it.
   * @param {OrderRecord} rec
   */
  materialize(rec) {
    if (rec.materialized) return;
    const d = detailsOf(rec);
    rec.shippedQty = new Map();
    rec.refundedQty = new Map();
    rec.shipments = [];
    rec.documents = [];
    if (rec.has(FLAG_SEED_SHIPPED)) {
      const items = rec.has(FLAG_SEED_PARTIAL) ? [d.items[0]] : d.items;
      rec.shipments.push({
        id: this.shipmentSeq++,
        carrier: d.seedShipment.carrier,
        trackingNumber: d.seedShipment.trackingNumber,
        trackingLink: d.seedShipment.trackingLink,
        returnInfo: { carrier: null, trackingNumber: null },
        createdAt: d.seedShipment.at,
        items: items.map((it) => ({ id: it.id, quantity: it.quantity })),
      });
      for (const it of items) rec.shippedQty.set(it.id, it.quantity);
      rec.shipmentOverride = seedShipmentBlock(rec, d);
    } else if (rec.has(FLAG_FULFILLED) && rec.status === 'shipped') {
      for (const it of d.items) rec.shippedQty.set(it.id, it.quantity);
    }
    if (rec.status === 'refunded') for (const it of d.items) rec.refundedQty.set(it.reference, it.quantity);
    else if (rec.status === 'partially_refunded') rec.refundedQty.set(d.items[0].reference, 1);
    rec.materialized = true;
  }

  /**
   * The marketplace's own record of an order (created on first use from the Shoppingfeed status).
   * @param {OrderRecord} rec
   * @returns {MarketplaceState}
   */
  mpState(rec) {
    if (rec.mp) return rec.mp;
    rec.mp = this.derivedMp(rec);
    return rec.mp;
  }

  /** @returns {MarketplaceState} */
  derivedMp(/** @type {OrderRecord} */ rec) {
    const channel = /** @type {Channel} */ (findChannel(rec.channelId));
    /** @type {MarketplaceState} */
    const mp = {
      status: MP_STATUS[rec.status] ?? rec.status,
      carrier: null, trackingNumber: null, trackingLink: null,
      shippedAt: null, deliveredAt: null, cancelledAt: null, cancelledBy: null,
      penalties: [], events: [], documents: 0, pendingBuyerCancel: null,
    };
    if (rec.has(FLAG_SEED_SHIPPED)) {
      const d = detailsOf(rec);
      mp.carrier = d.seedShipment.carrier;
      mp.trackingNumber = d.seedShipment.trackingNumber;
      mp.trackingLink = d.seedShipment.trackingLink;
      mp.shippedAt = d.seedShipment.at;
      const delivered = d.seedShipment.at + channel.deliveryDays * DAY;
      if (rec.status === 'shipped' && this.options.autoDeliver && delivered <= this.clock.now()) {
        mp.deliveredAt = delivered;
        mp.status = 'delivered';
      }
    }
    if (rec.status === 'cancelled') mp.cancelledBy = 'seller';
    return mp;
  }

  /** What the buyer and the marketplace see: status, carrier, tracking, penalties. */
  marketplaceView(/** @type {OrderRecord} */ rec) {
    const channel = /** @type {Channel} */ (findChannel(rec.channelId));
    const mp = rec.mp ?? this.derivedMp(rec);
    return {
      orderId: rec.id || null,
      storeId: rec.storeId,
      channel: { id: channel.id, name: channel.name },
      reference: rec.reference,
      status: mp.status,
      carrier: mp.carrier,
      trackingNumber: mp.trackingNumber,
      trackingLink: mp.trackingLink,
      shippedAt: mp.shippedAt === null ? null : formatIso(mp.shippedAt),
      deliveredAt: mp.deliveredAt === null ? null : formatIso(mp.deliveredAt),
      cancelledAt: mp.cancelledAt === null ? null : formatIso(mp.cancelledAt),
      cancelledBy: mp.cancelledBy,
      latestShipDate: rec.latestShipDate === null ? null : formatIso(rec.latestShipDate),
      penalties: mp.penalties.map((p) => ({ ...p, at: formatIso(p.at), latestShipDate: formatIso(p.latestShipDate), shippedAt: formatIso(p.shippedAt) })),
      documents: mp.documents,
      events: mp.events.map((e) => ({ ...e, at: formatIso(e.at) })),
    };
  }

  /** Buyer cancels on the marketplace. Before import the order simply never arrives. */
  cancelOnMarketplace(/** @type {Store} */ store, /** @type {{rec: OrderRecord, pending: PendingOrder|null}} */ target, /** @type {string} */ reason) {
    const now = this.clock.now();
    const { rec, pending } = target;
    if (pending && pending.state !== 'imported') {
      if (pending.state === 'cancelled') throw new ProblemError(409, `order ${rec.reference} is already cancelled`);
      pending.state = 'cancelled';
      this.pendingByRef.delete(`${store.id}:${rec.channelId}:${rec.reference}`);
      store.pending = store.pending.filter((p) => p !== pending);
      return { reference: rec.reference, state: 'cancelled_before_import' };
    }
    this.materialize(rec);
    const mp = this.mpState(rec);
    if (mp.status === 'cancelled' || rec.status === 'cancelled') throw new ProblemError(409, `order ${rec.reference} is already cancelled`);
    if ((rec.shippedQty?.size ?? 0) > 0 || mp.shippedAt !== null) {
      throw new ProblemError(409, `order ${rec.reference} has shipped; the buyer must return it instead`);
    }
    mp.status = 'cancelled';
    mp.cancelledAt = now;
    mp.cancelledBy = 'buyer';
    mp.pendingBuyerCancel = now;
    mp.events.push({ at: now, type: 'cancelled', detail: `cancelled by the buyer${reason ? ': ' + reason : ''}` });
    store.toSync.add(rec);
    return this.marketplaceView(rec);
  }

  /** The parcel reached the buyer. */
  deliverOnMarketplace(/** @type {OrderRecord} */ rec, /** @type {number} */ at) {
    const mp = this.mpState(rec);
    if (mp.shippedAt === null) throw new ProblemError(409, `order ${rec.reference} has not shipped`);
    if (mp.deliveredAt !== null) return;
    mp.deliveredAt = at;
    mp.status = 'delivered';
    mp.events.push({ at, type: 'delivered', detail: 'parcel delivered to the buyer' });
  }

  /**
   * Finds an order for control endpoints by SF id or by (channel, reference), imported or not.
   * @param {Record<string, any>} q
   * @returns {{store: Store, rec: OrderRecord, pending: PendingOrder|null}}
   */
  locate(q) {
    if (q.orderId !== undefined && q.orderId !== null && q.orderId !== '') {
      const rec = this.ordersById.get(Number(q.orderId));
      if (!rec || rec.deleted) throw new ProblemError(404, `order ${q.orderId} not found`);
      return { store: this.store(rec.storeId), rec, pending: null };
    }
    const channel = findChannel(q.channelId ?? q.channel);
    if (!channel || typeof q.reference !== 'string') throw invalid('orderId', 'give orderId, or channelId and reference');
    for (const store of this.stores.values()) {
      if (q.storeId !== undefined && store.id !== Number(q.storeId)) continue;
      const p = this.pendingByRef.get(`${store.id}:${channel.id}:${q.reference}`);
      if (p) return { store, rec: p.rec, pending: p };
      const rec = (store.byRef.get(q.reference) ?? []).find((o) => o.channelId === channel.id && !o.deleted);
      if (rec) return { store, rec, pending: null };
    }
    throw new ProblemError(404, `order ${q.reference} not found on ${channel.name}`);
  }

  // ---------------------------------------------------------------- ids

  newBatchId() {
    return this.idRng.hex(32);
  }

  newTicketId() {
    return this.idRng.hex(24);
  }
}

/** @param {{at: number, seq: number}} a @param {{at: number, seq: number}} b */
function before(a, b) {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Marketplace-side vocabulary for an SF status. */
const MP_STATUS = /** @type {Record<string, string>} */ ({
  created: 'awaiting_payment',
  waiting_store_acceptance: 'awaiting_acceptance',
  waiting_shipment: 'awaiting_shipment',
  shipped: 'shipped',
  partially_shipped: 'partially_shipped',
  cancelled: 'cancelled',
  refused: 'refused',
  refunded: 'refunded',
  partially_refunded: 'partially_refunded',
});

const STORE_NAMES = ['Boutique Zoé & Fils', 'Atelier Nord', 'Müller Werkstatt', 'La Maison Ñandú'];

/** The `shipment` block of an order the seed says was shipped. */
export function seedShipmentBlock(/** @type {OrderRecord} */ rec, /** @type {import('./generate.js').Details} */ d) {
  return {
    type: rec.has(FLAG_SEED_PARTIAL) ? 'partial' : 'full',
    carrier: d.seedShipment.carrier,
    trackingNumber: d.seedShipment.trackingNumber,
    trackingLink: d.seedShipment.trackingLink,
  };
}

/** Why a misconfigured channel's orders never arrive, in the words a merchant would see. */
function misconfiguredReason(/** @type {Channel} */ c) {
  return `${c.name} refused the connection credentials (401 Unauthorized): orders cannot be imported until the channel's API credentials are updated`;
}

export { misconfiguredReason };

/** @param {string|number} v */
function parseStart(v) {
  const ms = toMs(v);
  if (ms === null) throw new TypeError(`startTime: cannot read ${v}`);
  return ms;
}

/** @param {unknown} v @returns {number} */
function toMs(v) {
  if (typeof v === 'number') return v;
  return /** @type {number} */ (parseLenientDate(String(v)));
}

/**
 * @param {SandboxOptions} o
 */
function normaliseOptions(o) {
  const clock = o.clock ?? 'real';
  if (clock !== 'real' && clock !== 'manual') throw new TypeError(`clock must be 'real' or 'manual', not ${clock}`);
  const orders = o.orders ?? 100;
  if (!Number.isInteger(orders) || orders < 0) throw new TypeError('orders must be a non-negative integer');
  /** @type {StoreOptions[]} */
  let stores;
  if (Array.isArray(o.stores)) stores = o.stores.map((s) => ({ ...s }));
  else stores = Array.from({ length: Math.max(1, o.stores ?? 1) }, () => ({}));
  if (stores.length === 0) stores = [{}];
  const first = stores[0];
  if (first.autoAccept === undefined && o.autoAccept !== undefined) first.autoAccept = o.autoAccept;
  if (first.misconfiguredChannels === undefined && o.misconfiguredChannels) first.misconfiguredChannels = o.misconfiguredChannels;
  if (first.newOrdersPerHour === undefined && o.newOrdersPerHour) first.newOrdersPerHour = o.newOrdersPerHour;
  const rateLimit = o.rateLimit ?? 0;
  if (!(rateLimit >= 0)) throw new TypeError('rateLimit must be >= 0');
  return {
    port: o.port ?? 0,
    orders,
    seed: o.seed ?? 1,
    clock: /** @type {'real'|'manual'} */ (clock),
    startTime: o.startTime,
    rateLimit,
    stores,
    token: o.token,
    username: o.username ?? 'sandbox',
    password: o.password ?? 'sandbox',
    ticketDelays: { start: o.ticketDelays?.start ?? 1000, finish: o.ticketDelays?.finish ?? 2000 },
    autoDeliver: o.autoDeliver ?? true,
    seedDays: o.seedDays ?? 60,
    requestLogSize: o.requestLogSize ?? 10_000,
  };
}

// ---------------------------------------------------------------- marketplace order specs

const SPEC_OBJECTS = ['shippingAddress', 'billingAddress', 'payment', 'shipment'];

/**
 * Validates a control spec for a marketplace order; throws a 400 naming the field.
 * Malformed *output* is asked for explicitly with `omit` / `override`, never by accident.
 * @param {unknown} spec
 * @param {string} at field path prefix, e.g. `orders[2]`
 * @returns {Record<string, any>}
 */
export function validateSpec(spec, at) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalid(at, 'must be an object');
  const s = /** @type {Record<string, any>} */ (spec);
  if (s.channel !== undefined && !findChannel(s.channel)) throw invalid(`${at}.channel`, `unknown channel ${JSON.stringify(s.channel)}; use one of ${CHANNELS.map((c) => `${c.id} (${c.key})`).join(', ')}`);
  if (s.channelId !== undefined) {
    if (!findChannel(s.channelId)) throw invalid(`${at}.channelId`, `unknown channel ${JSON.stringify(s.channelId)}`);
    if (s.channel === undefined) s.channel = s.channelId;
  }
  if (s.reference !== undefined && (typeof s.reference !== 'string' || s.reference.trim() === '')) throw invalid(`${at}.reference`, 'must be a non-empty string');
  if (s.createdAt !== undefined && (typeof s.createdAt === 'number' ? !Number.isFinite(s.createdAt) : parseLenientDate(String(s.createdAt)) === null)) throw invalid(`${at}.createdAt`, 'must be a date-time');
  if (s.latestShipDate !== undefined && s.latestShipDate !== null && parseShipByDate(String(s.latestShipDate)) === null) throw invalid(`${at}.latestShipDate`, 'must be a date-time or null');
  for (const k of ['paid', 'acknowledged', 'isTest', 'anonymized', 'b2b', 'relay', 'fulfilled', 'importNow']) {
    if (s[k] !== undefined && typeof s[k] !== 'boolean') throw invalid(`${at}.${k}`, 'must be a boolean');
  }
  if (s.payAfterMinutes !== undefined && !(typeof s.payAfterMinutes === 'number' && s.payAfterMinutes >= 0)) throw invalid(`${at}.payAfterMinutes`, 'must be a number >= 0');
  if (s.status !== undefined && !STATUSES.includes(s.status)) throw invalid(`${at}.status`, `must be one of ${STATUSES.join(', ')}`);
  if (s.fulfilledBy !== undefined && s.fulfilledBy !== null && !['store', 'channel', 'undefined'].includes(s.fulfilledBy)) throw invalid(`${at}.fulfilledBy`, 'must be store, channel, undefined or null');
  if (s.country !== undefined && !COUNTRIES.includes(s.country)) throw invalid(`${at}.country`, `must be one of ${COUNTRIES.join(', ')}`);
  if (s.currency !== undefined && !(typeof s.currency === 'string' && /^[A-Z]{3}$/.test(s.currency))) throw invalid(`${at}.currency`, 'must be an ISO 4217 code such as EUR');
  if (s.storeReference !== undefined && typeof s.storeReference !== 'string') throw invalid(`${at}.storeReference`, 'must be a string');
  if (s.count !== undefined && !(Number.isInteger(s.count) && s.count >= 1 && s.count <= 10_000)) throw invalid(`${at}.count`, 'must be an integer from 1 to 10000');
  for (const k of SPEC_OBJECTS) {
    if (s[k] !== undefined && (s[k] === null || typeof s[k] !== 'object' || Array.isArray(s[k]))) throw invalid(`${at}.${k}`, 'must be an object');
  }
  for (const k of ['additionalFields', 'itemsReferencesAliases']) {
    if (s[k] !== undefined && s[k] !== null && (typeof s[k] !== 'object' || Array.isArray(s[k]))) throw invalid(`${at}.${k}`, 'must be an object or null');
  }
  if (s.items !== undefined) {
    if (!Array.isArray(s.items) || s.items.length === 0) throw invalid(`${at}.items`, 'must be a non-empty array');
    s.items.forEach((/** @type {any} */ it, /** @type {number} */ i) => {
      const f = `${at}.items[${i}]`;
      if (it === null || typeof it !== 'object') throw invalid(f, 'must be an object');
      if (typeof it.reference !== 'string' || it.reference === '') throw invalid(`${f}.reference`, 'must be a non-empty string');
      if (!Number.isInteger(it.quantity) || it.quantity < 1) throw invalid(`${f}.quantity`, 'must be an integer >= 1');
      if (typeof it.price !== 'number' || !(it.price >= 0)) throw invalid(`${f}.price`, 'must be a number >= 0');
      if (it.id !== undefined && !Number.isInteger(it.id)) throw invalid(`${f}.id`, 'must be an integer');
    });
  }
  if (s.omit !== undefined && !(Array.isArray(s.omit) && s.omit.every((/** @type {unknown} */ p) => typeof p === 'string' && p !== ''))) throw invalid(`${at}.omit`, 'must be an array of field paths');
  if (s.override !== undefined && (s.override === null || typeof s.override !== 'object' || Array.isArray(s.override))) throw invalid(`${at}.override`, 'must be an object of field path -> raw value');
  return s;
}

/**
 * @param {OrderRecord} rec
 * @param {Record<string, any>} spec
 */
function applySpecToCore(rec, spec) {
  if (spec.country) rec.country = spec.country;
  if (spec.reference !== undefined) rec.reference = spec.reference;
  if (spec.b2b !== undefined) rec.flags = spec.b2b ? rec.flags | FLAG_B2B : rec.flags & ~FLAG_B2B;
  if (spec.relay !== undefined) rec.flags = spec.relay ? rec.flags | FLAG_RELAY : rec.flags & ~FLAG_RELAY;
  const fulfilled = spec.fulfilled ?? (spec.fulfilledBy !== undefined ? spec.fulfilledBy === 'channel' : undefined);
  if (fulfilled !== undefined) {
    rec.flags = fulfilled ? (rec.flags | FLAG_FULFILLED) & ~FLAG_RELAY : rec.flags & ~FLAG_FULFILLED;
    rec.fulfilledBy = fulfilled ? 'channel' : 'store';
  }
  if (spec.fulfilledBy !== undefined) rec.fulfilledBy = spec.fulfilledBy;
  if (spec.anonymized) rec.anonymized = true;
  if (spec.storeReference !== undefined) rec.storeReference = spec.storeReference;
  if (spec.latestShipDate !== undefined) rec.latestShipDate = spec.latestShipDate === null ? null : parseShipByDate(String(spec.latestShipDate));
  if (Array.isArray(spec.items)) rec.itemCount = spec.items.length;
  const addr = spec.billingAddress ?? spec.shippingAddress;
  if (addr && typeof addr.firstName === 'string') rec.firstName = addr.firstName;
  if (addr && typeof addr.lastName === 'string') rec.lastName = addr.lastName;
  if (spec.shipment && typeof spec.shipment.carrier === 'string') rec.carrier = spec.shipment.carrier;
  rec.searchText = `${rec.reference} ${rec.firstName} ${rec.lastName}`.toLowerCase();
  /** @type {Record<string, any>} */
  const kept = {};
  for (const k of ['items', 'shippingAddress', 'billingAddress', 'payment', 'shipment', 'additionalFields', 'itemsReferencesAliases', 'commission', 'omit', 'override']) {
    if (spec[k] !== undefined) kept[k] = spec[k];
  }
  if (spec.currency) kept.payment = { ...(kept.payment ?? {}), currency: spec.currency };
  if (Object.keys(kept).length > 0) rec.spec = kept;
}
