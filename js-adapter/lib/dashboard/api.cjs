// @ts-check
'use strict';
// The dashboard's JSON API over the store (journal, shop orders, event log) and the connector (ship,
// cancel, retry, import cycle). It holds no order rule: what is allowed, what a valid shipment is and
// how late an order is are the engine's answers. The Shoppingfeed token stays inside `sync`; no answer
// carries it, and error texts are masked should one ever contain it.

const engine = require('../engine.cjs');
const { overviewOf } = require('./overview.cjs');

/** Largest page of orders and of events. */
const MAX_LIMIT = 200;
const MAX_EVENTS = 1000;
/** Largest request body. */
const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string} [field] */
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** HTTP status of an engine/adapter error. @param {any} e */
function statusOf(e) {
  switch (e?.code) {
    case 'UnknownOrder':
      return 404;
    case 'InvalidArgument':
      return 400;
    case 'AlreadyShipped':
    case 'ShipmentPending':
    case 'NotAllowed':
    case 'Duplicate':
    case 'Unsupported':
    case 'Locked':
    case 'PartialShipUnsupported':
      return 409;
    default:
      break;
  }
  if (e?.name === 'ShipmentError') return 422;
  if (e?.name === 'ApiError') return 502;
  if (e?.name === 'ConfigError') return 503;
  return 500;
}

/**
 * @param {string | null} value @param {string} name @param {number} def @param {number} max
 */
function intParam(value, name, def, max) {
  if (value === null || value === '') return def;
  if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, 'InvalidArgument', `${name} must be a whole number`, name);
  const n = Number(value);
  if (n > max) throw new HttpError(400, 'InvalidArgument', `${name} must be at most ${max}`, name);
  return n;
}

/** @param {string | null} value @param {string} name */
function textParam(value, name) {
  if (value === null || value === '') return undefined;
  if (value.length > 100) throw new HttpError(400, 'InvalidArgument', `${name} is too long`, name);
  return value;
}

/** @param {string} s */
function orderId(s) {
  if (!/^\d{1,16}$/.test(s)) throw new HttpError(404, 'UnknownOrder', `no order ${s}`);
  return Number(s);
}

/**
 * Reads a JSON object body.
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Record<string, any>>}
 */
async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'PayloadTooLarge', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'InvalidJson', 'the request body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'InvalidJson', 'the request body must be a JSON object');
  return value;
}

/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : v == null ? '' : String(v));

/**
 * The API.
 * @param {object} o
 * @param {import('../../index').OrderStore & Record<string, any>} o.store
 * @param {import('../../index').OrderSync | null} o.sync
 * @param {() => number} o.now             engine time, ms
 * @param {{ name: string, template: string }[]} o.carriers
 * @param {string[]} o.secrets             strings never to send (the Shoppingfeed token)
 * @param {boolean} o.accessToken          whether an access token protects the API
 * @param {string} o.version               package version
 * @param {string | null} [o.readOnlyReason] why `sync` is null, for people
 * @param {(() => Promise<string | null>) | null} [o.runNow]  scale-out: "import now" queues a cycle for
 *                                         a worker (answers its job id) instead of running one here
 */
function createApi(o) {
  const { store, sync } = o;
  const overview = overviewOf(/** @type {any} */ (store), o.now);
  /** @type {Promise<unknown> | null} */
  let cycle = null;

  /** @param {string} s */
  const mask = (s) => o.secrets.reduce((t, secret) => (secret ? t.split(secret).join('[token]') : t), s);

  const readOnly = o.readOnlyReason
    ?? 'the dashboard was started without a Shoppingfeed API token (--token or SHOPPINGFEED_TOKEN): ship, cancel and import need one';

  function needSync() {
    if (!sync) throw new HttpError(503, 'ReadOnly', mask(readOnly));
    return sync;
  }

  /** One order with its journal. @param {number} id */
  async function orderDetail(id) {
    const [record] = await store.loadImports([id]);
    if (!record) throw new HttpError(404, 'UnknownOrder', `order ${id} is not in the journal`);
    const operations = await store.operations({ states: [], shoppingfeedId: id });
    const shopOrder = typeof store.shopOrder === 'function' ? await store.shopOrder(id) : null;
    return { record, operations, shopOrder: shopOrder ?? null };
  }

  /** Runs `fn` (an operation through the connector), then answers the operation and the order. @param {number} id @param {(s: import('../../index').OrderSync) => Promise<any>} fn */
  async function act(id, fn) {
    const s = needSync();
    try {
      const operation = await fn(s);
      return { operation, order: await orderDetail(id) };
    } finally {
      overview.invalidate();
    }
  }

  /** @type {Record<string, (req: import('node:http').IncomingMessage, url: URL, params: string[]) => Promise<any>>} */
  const routes = {
    'GET config': async () => ({
      version: o.version,
      engine: engine.version(),
      actions: Boolean(sync),
      readOnlyReason: sync ? null : mask(o.readOnlyReason ?? 'started without a Shoppingfeed API token: ship, cancel and import are off'),
      queuesCycles: Boolean(o.runNow),
      accessToken: o.accessToken,
      carriers: o.carriers,
      now: o.now(),
    }),

    'GET summary': async () => {
      const ov = await overview.get();
      return { ...ov.summary, builtAt: ov.builtAt, buildMs: ov.buildMs };
    },

    'GET orders': async (_req, url) => {
      const q = url.searchParams;
      const limit = Math.max(1, intParam(q.get('limit'), 'limit', 50, MAX_LIMIT));
      const offset = intParam(q.get('offset'), 'offset', 0, 100_000_000);
      const status = textParam(q.get('status'), 'status');
      const channel = textParam(q.get('channel'), 'channel');
      const attention = q.get('attention') === '1' || q.get('attention') === 'true';
      if (!attention) {
        const { total, items } = await store.listOrders?.({ limit, offset, status, channel }) ?? { total: 0, items: [] };
        return { total, offset, limit, items };
      }
      const ov = await overview.get();
      const key = channel?.toLowerCase();
      const list = ov.entries.filter((e) => e.attention && (!status || e.status === status) && (!key || e.channelKey === key));
      return {
        total: list.length,
        offset,
        limit,
        items: list.slice(offset, offset + limit).map((e) => ({ record: e.record, operations: e.operations })),
      };
    },

    'GET order': async (_req, _url, [id]) => orderDetail(orderId(id)),

    'POST ship': async (req, _url, [idText]) => {
      const id = orderId(idText);
      const b = await readJson(req);
      const shipment = {
        carrier: str(b.carrier),
        trackingNumber: str(b.trackingNumber),
        trackingUrl: b.trackingUrl == null || b.trackingUrl === '' ? null : str(b.trackingUrl),
        items: Array.isArray(b.items) ? b.items.map((/** @type {any} */ l) => ({ id: Number(l?.id), quantity: Number(l?.quantity) })) : [],
      };
      // The engine validates again inside ship(); this answers the same error before the store is read.
      engine.validateShipment(shipment);
      return act(id, (s) => s.ship(id, shipment));
    },

    'POST cancel': async (req, _url, [idText]) => {
      const id = orderId(idText);
      const b = await readJson(req);
      const reason = str(b.reason).slice(0, 500);
      return act(id, (s) => s.cancel(id, reason));
    },

    'POST retry': async (_req, _url, [idText, opId]) => {
      const id = orderId(idText);
      needSync();
      const ops = await store.operations({ states: [], shoppingfeedId: id });
      const op = ops.find((x) => x.id === opId);
      if (!op) throw new HttpError(404, 'UnknownOperation', `order ${id} has no operation ${opId}`);
      if (op.state !== 'failed') throw new HttpError(409, 'NotFailed', `operation ${opId} is ${op.state}, not failed: nothing to retry`);
      const p = /** @type {any} */ (op.payload);
      switch (p.operation) {
        case 'ship': {
          const sh = p.shipment ?? {};
          const shipment = {
            carrier: str(sh.carrier),
            trackingNumber: str(sh.trackingNumber),
            trackingUrl: sh.trackingUrl ? str(sh.trackingUrl) : null,
            items: Array.isArray(sh.items) ? sh.items : [],
            ...(sh.warehouseId ? { warehouseId: sh.warehouseId } : {}),
            ...(sh.returnInfo ? { returnInfo: sh.returnInfo } : {}),
          };
          return act(id, (s) => s.ship(id, shipment));
        }
        case 'cancel':
          return act(id, (s) => s.cancel(id, str(p.reason)));
        case 'accept':
          return act(id, (s) => s.accept(id, str(p.reason)));
        case 'refuse':
          return act(id, (s) => s.refuse(id));
        case 'deliver':
          return act(id, (s) => s.deliver(id));
        case 'refund':
          return act(id, (s) => s.refund(id, { shipping: p.shipping !== false, products: Array.isArray(p.products) ? p.products : [] }));
        default:
          throw new HttpError(409, 'Unsupported', `a failed ${p.operation} cannot be retried from the dashboard`);
      }
    },

    'POST sync': async (req) => {
      const s = needSync();
      await readJson(req);
      // Workers run this store's cycles: ask one for a cycle now rather than compete for the lock.
      if (o.runNow) return { queued: true, jobId: await o.runNow() };
      // One cycle at a time from this dashboard; another process holding the store lock answers Locked.
      if (cycle) throw new HttpError(409, 'Busy', 'an import cycle started from this dashboard is still running');
      const run = s.runOnce();
      cycle = run;
      try {
        return { report: await run };
      } finally {
        cycle = null;
        overview.invalidate();
      }
    },

    'GET events': async (_req, url) => {
      const limit = Math.max(1, intParam(url.searchParams.get('limit'), 'limit', 100, MAX_EVENTS));
      const kind = textParam(url.searchParams.get('kind'), 'kind');
      /** @type {any[]} */
      let items = [];
      if (typeof store.events === 'function') items = await store.events({ limit, ...(kind ? { kind } : {}) });
      else if (Array.isArray(store.events)) {
        items = store.events
          .map((e, i) => ({ id: i + 1, ...e }))
          .filter((e) => !kind || e.kind === kind)
          .reverse()
          .slice(0, limit);
      }
      return { items, limit };
    },
  };

  /**
   * Maps a path under /api/ to a route.
   * @param {string} method @param {string[]} seg
   * @returns {{ name: string, params: string[] } | null}
   */
  function match(method, seg) {
    const [a, b, c, d, e] = seg;
    if (seg.length === 1 && ['config', 'summary', 'orders', 'events', 'sync'].includes(a)) return { name: `${method} ${a}`, params: [] };
    if (a === 'orders' && seg.length === 2) return { name: `${method} order`, params: [b] };
    if (a === 'orders' && seg.length === 3 && (c === 'ship' || c === 'cancel')) return { name: `${method} ${c}`, params: [b] };
    if (a === 'orders' && seg.length === 5 && c === 'operations' && e === 'retry') return { name: `${method} retry`, params: [b, d] };
    return null;
  }

  /**
   * Answers one API request (already checked by the guard). `path` is what follows `/api/`.
   * @param {import('node:http').IncomingMessage} req
   * @param {URL} url
   * @param {string} path
   * @returns {Promise<{ status: number, body: any }>}
   */
  async function handle(req, url, path) {
    const method = req.method === 'HEAD' ? 'GET' : String(req.method);
    let seg;
    try {
      seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { status: 400, body: { error: { code: 'InvalidArgument', message: 'malformed path' } } };
    }
    const m = match(method, seg);
    if (!m) return { status: 404, body: { error: { code: 'NotFound', message: `no such API route: /api/${path}` } } };
    const route = routes[m.name];
    if (!route) {
      const other = method === 'GET' ? 'POST' : 'GET';
      return routes[`${other} ${m.name.split(' ')[1]}`]
        ? { status: 405, body: { error: { code: 'MethodNotAllowed', message: `${method} is not allowed here` } } }
        : { status: 404, body: { error: { code: 'NotFound', message: `no such API route: /api/${path}` } } };
    }
    try {
      return { status: 200, body: await route(req, url, m.params) };
    } catch (err) {
      const e = /** @type {any} */ (err);
      const status = e instanceof HttpError ? e.status : statusOf(e);
      const error = {
        code: typeof e?.code === 'string' ? e.code : 'Error',
        ...(e?.name && !(e instanceof HttpError) && e.name !== 'Error' ? { name: e.name } : {}),
        message: mask(String(e?.message ?? e)),
        ...(e?.field ? { field: String(e.field) } : {}),
      };
      return { status, body: { error } };
    }
  }

  return { handle, overview };
}

module.exports = { createApi, HttpError, statusOf };
