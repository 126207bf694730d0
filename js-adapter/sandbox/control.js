// @ts-check
// Test controls: the clock, marketplace events, faults, the request log. Reached in-process through
// `control` or over HTTP under /_sandbox/ without a bearer token — this is a test tool bound to
// 127.0.0.1, never part of the emulated API.

import { CHANNELS, findChannel } from './channels.js';
import { ProblemError, invalid } from './errors.js';
import { makeRawOrder, rawOrderView } from './raw.js';
import { json } from './response.js';
import { clearCache } from './serialize.js';
import { IMPORT_EVERY, misconfiguredReason, validateSpec } from './state.js';
import { DAY, HOUR, MINUTE, formatIso, parseLenientDate } from './time.js';

/** @typedef {import('./state.js').Sandbox} Sandbox */
/** @typedef {import('./state.js').Fault} Fault */
/** @typedef {import('./state.js').PendingOrder} PendingOrder */

const FAULT_KINDS = ['rate-limit', 'server-error', 'slow', 'truncate', 'reset'];
const FAULT_ALIASES = /** @type {Record<string, string>} */ ({ 429: 'rate-limit', '5xx': 'server-error', 500: 'server-error', 502: 'server-error', 503: 'server-error', 504: 'server-error' });

/**
 * @typedef {object} FaultSpec
 * @property {string} kind  rate-limit | server-error | slow | truncate | reset (aliases: 429, 5xx)
 * @property {number} [count]  next N matching API requests (default 1)
 * @property {number} [status] server-error status, 500-599 (default 503)
 * @property {number} [waitSeconds] rate-limit X-RateLimit-Wait (default 1)
 * @property {number} [delayMs] slow: delay before the answer (default 2000)
 * @property {boolean} [afterProcessing] server-error / reset: process the request first, then fail (the client cannot know it went through)
 * @property {string} [method] only requests with this method
 * @property {string} [path]   only requests whose path contains this text
 */

/**
 * @typedef {object} AdvanceBy
 * @property {number} [ms]
 * @property {number} [seconds]
 * @property {number} [minutes]
 * @property {number} [hours]
 * @property {number} [days]
 * @property {string} [to] ISO date-time to advance to
 */

/** The in-process control handle; every method is also an HTTP endpoint (see README). */
export class Control {
  /** @param {Sandbox} sb */
  constructor(sb) {
    /** @private */
    this.sb = sb;
  }

  /** Clock, stores and channels at a glance. */
  info() {
    const sb = this.sb;
    sb.runDue();
    return {
      clock: this.clock(),
      stores: [...sb.stores.values()].map((s) => ({
        id: s.id,
        name: s.name,
        autoAccept: s.autoAccept,
        newOrdersPerHour: s.newOrdersPerHour,
        orders: s.orders.length,
        pendingMarketplaceOrders: s.pending.length,
        tickets: s.tickets.length,
      })),
      channels: CHANNELS.map((c) => ({ id: c.id, key: c.key, name: c.name })),
      faults: this.faults(),
    };
  }

  /** Sandbox time and the next import tick. */
  clock() {
    const sb = this.sb;
    return { mode: sb.clock.mode, now: formatIso(sb.clock.now()), nextImportAt: formatIso(sb.nextTick), importEveryMinutes: IMPORT_EVERY / MINUTE };
  }

  /**
   * Moves sandbox time forward (also in `real` mode) and runs imports, tickets and deliveries that fall due.
   * @param {number|AdvanceBy} by milliseconds, or units
   */
  advance(by) {
    const sb = this.sb;
    sb.runDue();
    let ms;
    if (typeof by === 'number') ms = by;
    else if (by && typeof by === 'object') {
      if (by.to !== undefined) {
        const t = parseLenientDate(String(by.to));
        if (t === null) throw invalid('to', 'must be a date-time');
        ms = t - sb.clock.now();
        if (ms < 0) throw invalid('to', 'is in the past; the sandbox clock only moves forward');
      } else {
        ms = (by.ms ?? 0) + (by.seconds ?? 0) * 1000 + (by.minutes ?? 0) * MINUTE + (by.hours ?? 0) * HOUR + (by.days ?? 0) * DAY;
      }
    }
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalid('ms', 'give a non-negative duration (ms, seconds, minutes, hours, days) or `to`');
    if (ms > 366 * DAY) throw invalid('ms', 'advance at most one year at a time');
    const { events, imports } = sb.advance(ms);
    return { ...this.clock(), events, imports };
  }

  /** Runs Shoppingfeed's import job now, outside the 30-minute schedule. */
  runImport(/** @type {{storeId?: number}} */ q = {}) {
    const sb = this.sb;
    sb.runDue();
    const now = sb.clock.now();
    const results = [];
    for (const store of this.stores(q.storeId)) {
      const before = store.importLog.length;
      sb.importStore(store, now);
      const entry = store.importLog.length > before ? store.importLog[store.importLog.length - 1] : { at: now, imported: 0, blocked: [], synced: 0 };
      results.push({ storeId: store.id, ...entry, at: formatIso(entry.at) });
    }
    return { imports: results };
  }

  /** What each store's import job did, newest last. */
  importLog(/** @type {{storeId?: number}} */ q = {}) {
    this.sb.runDue();
    return {
      imports: this.stores(q.storeId).flatMap((s) => s.importLog.map((e) => ({ storeId: s.id, ...e, at: formatIso(e.at) }))),
    };
  }

  /**
   * Creates orders on the marketplaces. They reach Shoppingfeed at the next import tick (paid orders
   * of well-connected channels only), or at once with `importNow`.
   * @param {Record<string, any>|Record<string, any>[]} specs one spec or a list; each may carry `count`
   * @param {{storeId?: number, importNow?: boolean}} [opts]
   */
  createOrders(specs, opts = {}) {
    const sb = this.sb;
    sb.runDue();
    const list = Array.isArray(specs) ? specs : [specs];
    if (list.length === 0) throw invalid('orders', 'must contain at least one spec');
    const checked = list.map((s, i) => validateSpec(s, `orders[${i}]`));
    const store = this.stores(opts.storeId)[0];
    const now = sb.clock.now();
    const total = checked.reduce((n, s) => n + (s.count ?? 1), 0);
    if (total > 10_000) throw invalid('orders', 'at most 10000 orders per call');
    /** @type {PendingOrder[]} */
    const created = [];
    /** @type {PendingOrder[]} */
    const immediate = [];
    for (const spec of checked) {
      for (let i = 0; i < (spec.count ?? 1); i++) {
        const p = sb.addMarketplaceOrder(store, spec, now, 'orders');
        created.push(p);
        if (opts.importNow || spec.importNow) immediate.push(p);
      }
    }
    if (immediate.length > 0) sb.importPendingNow(store, immediate, now);
    return { orders: created.map((p) => this.pendingView(p)) };
  }

  /**
   * Serves an order whose id the sandbox's numbers cannot hold (above 2^53 - 1), as raw JSON text: at
   * the head of the first page of every list whose status and acknowledgment filters match it, and by
   * GET. Acknowledgements naming its digits are applied at once (error → `errors`, success →
   * `acknowledgedAt`) and recorded. `order` is its other fields, e.g. a served order as template.
   * @param {{id: string, order: Record<string, any>, storeId?: number}} spec
   */
  serveRawOrder(spec) {
    if (!spec || typeof spec !== 'object') throw invalid('id', 'give {id, order}');
    const store = this.stores(spec.storeId)[0];
    if (store.rawOrders.some((r) => r.id === spec.id)) throw new ProblemError(409, `raw order ${spec.id} is already served`);
    const r = makeRawOrder(spec.id, spec.order, store.id);
    store.rawOrders.push(r);
    return rawOrderView(r);
  }

  /** Raw orders served, with what they received. */
  rawOrders(/** @type {{storeId?: number}} */ q = {}) {
    return { orders: this.stores(q.storeId).flatMap((s) => s.rawOrders.map(rawOrderView)) };
  }

  /** Payment validated on the marketplace for an order created with `paid: false`. */
  payOnMarketplace(/** @type {Record<string, any>} */ ref) {
    const sb = this.sb;
    sb.runDue();
    const { rec, pending } = sb.locate(ref);
    if (!pending) throw new ProblemError(409, `order ${rec.reference} is already in Shoppingfeed`);
    sb.payOnMarketplace(pending, sb.clock.now());
    return this.pendingView(pending);
  }

  /** The buyer cancels on the marketplace; Shoppingfeed learns it at the next import tick. */
  cancelOnMarketplace(/** @type {Record<string, any>} */ ref) {
    const sb = this.sb;
    sb.runDue();
    const target = sb.locate(ref);
    return sb.cancelOnMarketplace(target.store, target, typeof ref.reason === 'string' ? ref.reason : '');
  }

  /** The parcel reaches the buyer. */
  deliverOnMarketplace(/** @type {Record<string, any>} */ ref) {
    const sb = this.sb;
    sb.runDue();
    const { rec, pending } = sb.locate(ref);
    if (pending) throw new ProblemError(409, `order ${rec.reference} is not imported yet`);
    sb.materialize(rec);
    sb.deliverOnMarketplace(rec, sb.clock.now());
    return sb.marketplaceView(rec);
  }

  /**
   * The marketplace side: one order (by `orderId`, or `channelId` + `reference`), or every order with
   * marketplace activity and every order not imported yet.
   * @param {Record<string, any>} q
   * @returns {Record<string, any>} one view, or `{total, orders}`
   */
  marketplace(q = {}) {
    const sb = this.sb;
    sb.runDue();
    if ((q.orderId !== undefined && q.orderId !== '') || q.reference !== undefined) {
      const { rec, pending } = sb.locate(q);
      return pending ? this.pendingView(pending) : sb.marketplaceView(rec);
    }
    const channel = q.channelId !== undefined || q.channel !== undefined ? findChannel(q.channelId ?? q.channel) : null;
    const limit = Math.min(Number(q.limit ?? 100) || 100, 1000);
    const penalized = q.penalized === true || q.penalized === 'true';
    const out = [];
    for (const store of this.stores(q.storeId !== undefined ? Number(q.storeId) : undefined, true)) {
      if (!penalized) {
        for (const p of store.pending) if (!channel || p.rec.channelId === channel.id) out.push(this.pendingView(p));
      }
      for (const rec of store.orders) {
        if (!rec.mp || rec.deleted || (channel && rec.channelId !== channel.id)) continue;
        if (penalized && rec.mp.penalties.length === 0) continue;
        out.push(sb.marketplaceView(rec));
      }
    }
    return { total: out.length, orders: out.slice(0, limit) };
  }

  /** Channels of a store: capabilities, connection state, orders waiting on the marketplace. */
  channels(/** @type {{storeId?: number}} */ q = {}) {
    this.sb.runDue();
    const store = this.stores(q.storeId)[0];
    return {
      storeId: store.id,
      channels: CHANNELS.map((c) => {
        const cfg = /** @type {{credentialsValid: boolean, reason: string|null}} */ (store.channelConfig.get(c.id));
        const waiting = store.pending.filter((p) => p.rec.channelId === c.id);
        return {
          id: c.id,
          key: c.key,
          name: c.name,
          needsAcceptance: c.needsAcceptance,
          capabilities: c.capabilities,
          shipRequires: c.shipRequires,
          shipByHours: c.shipByHours,
          fulfilledShare: c.fulfilledShare,
          relayShare: c.relayShare,
          b2bShare: c.b2bShare,
          countries: c.countries,
          connection: { credentialsValid: cfg.credentialsValid, reason: cfg.reason },
          waitingOnMarketplace: waiting.length,
          blocked: waiting.filter((p) => p.blockedReason !== null).length,
        };
      }),
    };
  }

  /** Breaks or repairs a channel's connection credentials. */
  configureChannel(/** @type {number|string} */ id, /** @type {{storeId?: number, credentialsValid?: boolean, reason?: string}} */ settings) {
    const c = findChannel(id);
    if (!c) throw new ProblemError(404, `channel ${id} not found`);
    if (typeof settings?.credentialsValid !== 'boolean') throw invalid('credentialsValid', 'must be a boolean');
    const store = this.stores(settings.storeId)[0];
    store.channelConfig.set(c.id, {
      credentialsValid: settings.credentialsValid,
      reason: settings.credentialsValid ? null : typeof settings.reason === 'string' && settings.reason !== '' ? settings.reason : misconfiguredReason(c),
    });
    if (settings.credentialsValid) for (const p of store.pending) if (p.rec.channelId === c.id) p.blockedReason = null;
    return this.channels({ storeId: store.id }).channels.find((x) => x.id === c.id);
  }

  /** Store options: `autoAccept`, `newOrdersPerHour`. */
  configureStore(/** @type {number} */ id, /** @type {{autoAccept?: boolean, newOrdersPerHour?: number}} */ settings) {
    const store = this.stores(Number(id))[0];
    if (settings.autoAccept !== undefined) {
      if (typeof settings.autoAccept !== 'boolean') throw invalid('autoAccept', 'must be a boolean');
      store.autoAccept = settings.autoAccept;
    }
    if (settings.newOrdersPerHour !== undefined) {
      if (typeof settings.newOrdersPerHour !== 'number' || !(settings.newOrdersPerHour >= 0) || settings.newOrdersPerHour > 10_000) throw invalid('newOrdersPerHour', 'must be a number from 0 to 10000');
      store.newOrdersPerHour = settings.newOrdersPerHour;
    }
    return { id: store.id, autoAccept: store.autoAccept, newOrdersPerHour: store.newOrdersPerHour };
  }

  /**
   * Makes the next `count` matching API requests fail (control endpoints and CORS preflights are never affected).
   * @param {FaultSpec} spec
   */
  injectFault(spec) {
    if (!spec || typeof spec !== 'object') throw invalid('kind', `must be one of ${FAULT_KINDS.join(', ')}`);
    const kind = FAULT_ALIASES[String(spec.kind)] ?? spec.kind;
    if (!FAULT_KINDS.includes(kind)) throw invalid('kind', `must be one of ${FAULT_KINDS.join(', ')}`);
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw invalid('count', 'must be an integer from 1 to 10000');
    let status = spec.status ?? (/^5\d\d$/.test(String(spec.kind)) ? Number(spec.kind) : 503);
    if (!Number.isInteger(status) || status < 500 || status > 599) throw invalid('status', 'must be a 5xx status');
    const waitSeconds = spec.waitSeconds ?? 1;
    if (typeof waitSeconds !== 'number' || !(waitSeconds >= 0) || waitSeconds > 3600) throw invalid('waitSeconds', 'must be a number of seconds (0-3600)');
    const delayMs = spec.delayMs ?? 2000;
    if (typeof delayMs !== 'number' || !(delayMs >= 0) || delayMs > 60_000) throw invalid('delayMs', 'must be 0-60000');
    if (spec.afterProcessing !== undefined && typeof spec.afterProcessing !== 'boolean') throw invalid('afterProcessing', 'must be a boolean');
    if (spec.method !== undefined && typeof spec.method !== 'string') throw invalid('method', 'must be a string');
    if (spec.path !== undefined && typeof spec.path !== 'string') throw invalid('path', 'must be a string');
    /** @type {Fault} */
    const fault = {
      kind: /** @type {Fault['kind']} */ (kind),
      remaining: count,
      status,
      waitSeconds,
      delayMs,
      afterProcessing: spec.afterProcessing ?? false,
      method: spec.method ? spec.method.toUpperCase() : null,
      path: spec.path ?? null,
    };
    this.sb.faults.push(fault);
    return { ...fault };
  }

  /** Faults still waiting for requests. */
  faults() {
    return this.sb.faults.map((f) => ({ ...f }));
  }

  clearFaults() {
    this.sb.faults.length = 0;
    return { faults: [] };
  }

  /**
   * Requests the API received: method, path, query, status, times and POST/PATCH bodies.
   * Never headers, so never the token; passwords in bodies are masked.
   * @param {{since?: number, limit?: number, method?: string, path?: string}} q
   */
  requests(q = {}) {
    const since = Number(q.since ?? 0) || 0;
    const limit = Math.min(Number(q.limit ?? 1000) || 1000, 10_000);
    const method = q.method ? String(q.method).toUpperCase() : null;
    const path = q.path ? String(q.path) : null;
    const all = this.sb.requestLog.filter((e) => e.seq > since && (!method || e.method === method) && (!path || e.path.includes(path)));
    return { total: all.length, requests: all.slice(-limit) };
  }

  clearRequests() {
    this.sb.requestLog.length = 0;
    return { requests: [] };
  }

  /** Back to the state right after start: same seed, same orders, clock rewound, logs and faults cleared. */
  reset() {
    const sb = this.sb;
    sb.clock.rewind();
    clearCache(sb);
    sb.init();
    return { reset: true, ...this.clock() };
  }

  /** @private */
  stores(/** @type {number|undefined} */ storeId, all = false) {
    const sb = this.sb;
    if (storeId === undefined || storeId === null || Number.isNaN(storeId)) {
      return all ? [...sb.stores.values()] : [/** @type {import('./state.js').Store} */ (sb.stores.values().next().value)];
    }
    const s = sb.stores.get(Number(storeId));
    if (!s) throw new ProblemError(404, `store ${storeId} not found`);
    return [s];
  }

  /**
   * A marketplace order: its marketplace view once imported, else where it stands on the marketplace.
   * @private
   * @param {PendingOrder} p
   * @returns {Record<string, any>}
   */
  pendingView(p) {
    const sb = this.sb;
    if (p.state === 'imported') return sb.marketplaceView(p.rec);
    const channel = /** @type {import('./channels.js').Channel} */ (findChannel(p.rec.channelId));
    return {
      orderId: null,
      storeId: p.rec.storeId,
      channel: { id: channel.id, name: channel.name },
      reference: p.rec.reference,
      status: p.state,
      createdAt: formatIso(p.rec.createdAt),
      paidAt: p.paidAt === null ? null : formatIso(p.paidAt),
      blockedReason: p.blockedReason,
      nextImportAt: formatIso(sb.nextTick),
    };
  }
}

/**
 * HTTP face of the controls (under /_sandbox/).
 * @param {Control} control
 * @returns {(ctx: {method: string, path: string, segments: string[], params: URLSearchParams, body: Buffer|null}) => import('./response.js').Reply}
 */
export function controlRoutes(control) {
  return (ctx) => {
    const { method, segments: seg, params } = ctx;
    const body = () => {
      if (!ctx.body || ctx.body.length === 0) return {};
      try {
        return JSON.parse(ctx.body.toString('utf8'));
      } catch {
        throw invalid('body', 'is not valid JSON');
      }
    };
    const q = Object.fromEntries(params);
    const storeId = q.storeId !== undefined ? Number(q.storeId) : undefined;
    const route = `${method} /${seg.join('/')}`;
    /** @param {string[]} allow */
    const only = (allow) => {
      throw new ProblemError(405, 'Method not allowed', {}, { Allow: allow.join(', ') });
    };
    switch (seg[0] ?? '') {
      case '':
        if (method !== 'GET') only(['GET']);
        return json(200, control.info());
      case 'clock':
        if (route === 'GET /clock') return json(200, control.clock());
        if (route === 'POST /clock/advance') return json(200, control.advance(body()));
        break;
      case 'import':
        if (route === 'POST /import') return json(200, control.runImport(body()));
        break;
      case 'imports':
        if (route === 'GET /imports') return json(200, control.importLog({ storeId }));
        break;
      case 'orders':
        if (route === 'POST /orders') {
          const b = body();
          const specs = Array.isArray(b) ? b : Array.isArray(b.orders) ? b.orders : b;
          return json(201, control.createOrders(specs, { storeId: b.storeId, importNow: b.importNow === true }));
        }
        break;
      case 'raw-orders':
        if (route === 'GET /raw-orders') return json(200, control.rawOrders({ storeId }));
        if (route === 'POST /raw-orders') return json(201, control.serveRawOrder(body()));
        break;
      case 'marketplace':
        if (route === 'GET /marketplace') return json(200, control.marketplace(q));
        if (route === 'POST /marketplace/pay') return json(200, control.payOnMarketplace(body()));
        if (route === 'POST /marketplace/cancel') return json(200, control.cancelOnMarketplace(body()));
        if (route === 'POST /marketplace/deliver') return json(200, control.deliverOnMarketplace(body()));
        break;
      case 'channels':
        if (route === 'GET /channels') return json(200, control.channels({ storeId }));
        if (seg.length === 2 && method === 'PATCH') return json(200, control.configureChannel(seg[1], body()));
        break;
      case 'stores':
        if (seg.length === 2 && method === 'PATCH') return json(200, control.configureStore(Number(seg[1]), body()));
        break;
      case 'faults':
        if (route === 'GET /faults') return json(200, { faults: control.faults() });
        if (route === 'POST /faults') return json(201, control.injectFault(body()));
        if (route === 'DELETE /faults') return json(200, control.clearFaults());
        break;
      case 'requests':
        if (route === 'GET /requests') return json(200, control.requests(q));
        if (route === 'DELETE /requests') return json(200, control.clearRequests());
        break;
      case 'reset':
        if (route === 'POST /reset') return json(200, control.reset());
        break;
      default:
        break;
    }
    throw new ProblemError(404, `No sandbox control at ${route}`);
  };
}
