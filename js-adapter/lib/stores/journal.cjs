// @ts-check
'use strict';
// The journal as both SQL stores keep it (sqlite.cjs, postgres.cjs): its tables and columns, every
// statement's shape, and the record ↔ row conversions, written once; the shop order's rows beside it
// (what a draft puts in them, what is read back). A store describes its dialect — how a parameter and
// a list parameter are written, where the tables live, whether rows carry the store id, how it binds
// values — and keeps for itself only what differs in kind: transactions and retries, the lock's
// decision, bulk writes, order creation, migrations. The migrations stay the literal SQL that
// shipped; the store tests check these columns against the tables they create.

/** @typedef {import('../../index').ImportRecord} ImportRecord */
/** @typedef {import('../../index').OperationRecord} OperationRecord */

/**
 * How a store binds a record's values (SQLite takes them as they are, PostgreSQL as text without NUL,
 * bigint ids as strings).
 * @typedef {object} Codec
 * @property {(v: any) => any} id          a Shoppingfeed id (bigint)
 * @property {(v: any) => any} num         a nullable bigint
 * @property {(v: any) => any} text        a text, '' when absent
 * @property {(v: any) => any} textOrNull  a nullable text
 * @property {(v: any) => any} required    a text the record must have (SQLite: absent fails NOT NULL)
 * @property {(v: any) => any} str         a text made of any value
 */

/**
 * What the statements need to know of a dialect.
 * @typedef {object} Dialect
 * @property {(name: string) => string} table              a table's name in a statement
 * @property {boolean} scoped                               rows carry `store_id`, always parameter 1
 * @property {(n: number, type?: string) => string} param  the n-th parameter (1-based), of a PostgreSQL type
 * @property {(column: string, param: string) => string} inList  the column is one of a list parameter
 * @property {(values: unknown[]) => unknown} list         a list parameter's value
 * @property {string} insertionOrder                        the column that keeps rows in insertion order
 * @property {string} desc                                  DESC with NULLs last
 * @property {(columns: Column[], p: Params) => string} [bulk]  a source of many rows, one array a column
 * @property {Codec} codec
 */

/**
 * @typedef {object} Column
 * @property {string} name
 * @property {string} type  its PostgreSQL type (SQLite's affinity follows from it)
 * @property {(r: any, v: Codec) => unknown} value  its value, read from a record
 */

/** @typedef {{ next: (type?: string) => string, store: string }} Params */

/** Lock row used by tryLock/unlock. */
const LOCK_NAME = 'sync';
/** Marketplace statuses that cancel the shop order. */
const CANCELLING = new Set(['cancelled', 'refused', 'refunded']);

const nowIso = () => new Date().toISOString();
/** JSON kept as text: exact round trip, and NUL stays escaped. @param {unknown} v */
const json = (v) => (v === undefined ? null : JSON.stringify(v));

/**
 * A marketplace timestamp as UTC ISO (so `+01:00` and `+02:00` dates sort by instant); the raw text when
 * it does not parse; null when absent.
 * @param {unknown} s @returns {string | null}
 */
function sortableDate(s) {
  if (s == null || s === '') return null;
  const t = Date.parse(String(s));
  return Number.isNaN(t) ? String(s) : new Date(t).toISOString();
}

/** @param {unknown} v @param {string} what @param {number} fallback */
function count(v, what, fallback) {
  if (v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** @param {string} name @param {string} type @param {(r: any, v: Codec) => unknown} value @returns {Column} */
const col = (name, type, value) => ({ name, type, value });

/** The journal entry of each Shoppingfeed order (an ImportRecord), its filters and listing order beside it. */
const IMPORTS = Object.freeze({
  name: 'imports',
  key: ['shoppingfeed_id'],
  columns: [
    col('shoppingfeed_id', 'bigint', (r, v) => v.id(r.shoppingfeedId)),
    col('reference', 'text', (r, v) => v.text(r.reference)),
    col('channel_id', 'bigint', (r, v) => v.num(r.channel?.id)),
    col('channel_name', 'text', (r, v) => v.text(r.channel?.name)),
    col('channel_key', 'text', (r, v) => String(v.text(r.channel?.name)).toLowerCase()), // for the channel filter
    col('state', 'text', (r, v) => v.required(r.state)),
    col('shop_order_id', 'text', (r, v) => v.textOrNull(r.shopOrderId)),
    col('status', 'text', (r, v) => v.text(r.order?.status)), // last known Shoppingfeed status
    col('tries', 'int', (r) => r.tries ?? 0),
    col('last_error', 'text', (r, v) => v.textOrNull(r.lastError)),
    col('created_at', 'text', (r, v) => v.textOrNull(sortableDate(r.order?.createdAt))), // the listing order
    col('updated_at', 'text', (r, v) => v.required(r.updatedAt ?? nowIso())),
    col('record', 'text', (r) => JSON.stringify(r)),
  ],
});

/** The operations sent (or to send) for the orders (OperationRecords). */
const OPERATIONS = Object.freeze({
  name: 'operations',
  key: ['id'],
  columns: [
    col('id', 'text', (r, v) => v.required(r.id)), // <order id>:<operation>:<n>
    col('shoppingfeed_id', 'bigint', (r, v) => v.id(r.shoppingfeedId)),
    col('operation', 'text', (r, v) => v.text(r.payload?.operation)),
    col('state', 'text', (r, v) => v.required(r.state)),
    col('batch_id', 'text', (r, v) => v.textOrNull(r.batchId)),
    col('recorded_at', 'text', (r, v) => v.required(r.recordedAt ?? nowIso())),
    col('updated_at', 'text', (r, v) => v.required(r.updatedAt ?? nowIso())),
    col('record', 'text', (r) => JSON.stringify(r)),
  ],
});

/** The event log. */
const EVENTS = Object.freeze({
  name: 'events',
  key: ['id'],
  columns: [
    col('kind', 'text', (e, v) => v.str(e.kind)),
    col('at', 'text', (e) => e.at ?? nowIso()),
    col('data', 'text', (e) => json(e.data ?? null)),
  ],
});

/** The shop order's columns taken from its draft (its id, Shoppingfeed id, status and times aside). */
const ORDERS = Object.freeze({
  name: 'orders',
  columns: [
    col('reference', 'text', (d, v) => v.text(d.reference)),
    col('channel_id', 'bigint', (d, v) => v.num(d.channel?.id)),
    col('channel_name', 'text', (d, v) => v.text(d.channel?.name)),
    col('currency', 'text', (d, v) => v.text(d.currency)),
    col('total_amount', 'float8', (d) => d.totalAmount ?? 0),
    col('product_amount', 'float8', (d) => d.productAmount ?? 0),
    col('shipping_amount', 'float8', (d) => d.shippingAmount ?? 0),
    col('tax_amount', 'float8', (d) => d.taxAmount ?? 0),
    col('buyer_email', 'text', (d, v) => v.text(d.buyerEmail)),
    col('shipping_address', 'text', (d) => json(d.shippingAddress)),
    col('billing_address', 'text', (d) => json(d.billingAddress)),
    col('relay_point', 'text', (d) => json(d.relayPoint ?? null)),
    col('draft', 'text', (d) => JSON.stringify(d)),
  ],
});

/** An order line's columns taken from the draft's line (its order and 1-based number aside). */
const ORDER_LINES = Object.freeze({
  name: 'order_lines',
  columns: [
    col('item_id', 'bigint', (l, v) => v.num(l.itemId)),
    col('sku', 'text', (l, v) => v.str(l.sku)),
    col('original_reference', 'text', (l, v) => v.str(l.originalReference ?? l.sku)),
    col('channel_reference', 'text', (l, v) => v.text(l.channelReference)),
    col('name', 'text', (l, v) => v.text(l.name)),
    col('quantity', 'int', (l) => l.quantity),
    col('unit_price', 'float8', (l) => l.unitPrice ?? 0),
    col('tax_amount', 'float8', (l) => l.taxAmount ?? 0),
    col('ecotax_amount', 'float8', (l) => l.ecotaxAmount ?? 0),
  ],
});

/**
 * A draft refused for a SKU the catalog lacks (its first such line, 0-based).
 * @param {any[]} lines @param {number} i @returns {import('../../index').CreateOutcome}
 */
const unknownSku = (lines, i) => ({ outcome: 'rejected', message: `unknown SKU \`${lines[i].sku}\` (items[${i}])` });

/**
 * A row's values, in its table's column order.
 * @param {{columns: Column[]}} table @param {any} r @param {Codec} v
 */
const rowOf = (table, r, v) => table.columns.map((c) => c.value(r, v));

/**
 * Rows as one array a column (a bulk write's parameters).
 * @param {unknown[][]} rows @param {number} width
 */
function columnsOf(rows, width) {
  /** @type {unknown[][]} */
  const cols = Array.from({ length: width }, () => []);
  for (const row of rows) row.forEach((x, k) => cols[k].push(x));
  return cols;
}

/** @param {Dialect} d @returns {Params} */
function params(d) {
  let n = d.scoped ? 1 : 0;
  return { next: (type) => d.param(++n, type), store: d.scoped ? d.param(1) : '' };
}

/** ` WHERE` the store's rows and each condition; nothing when there is neither. @param {Dialect} d @param {Params} p @param {string[]} conds */
function where(d, p, conds) {
  const all = d.scoped ? [`store_id = ${p.store}`, ...conds] : conds;
  return all.length ? ` WHERE ${all.join(' AND ')}` : '';
}

/**
 * `INSERT INTO table (columns) VALUES (…)` — or from the dialect's bulk source — for the store's rows.
 * @param {Dialect} d @param {Params} p @param {{name: string, columns: Column[]}} table @param {boolean} [many]
 */
function insert(d, p, table, many = false) {
  const names = [...(d.scoped ? ['store_id'] : []), ...table.columns.map((c) => c.name)];
  const source = many && d.bulk
    ? d.bulk(table.columns, p)
    : `VALUES (${[...(d.scoped ? [p.store] : []), ...table.columns.map((c) => p.next(c.type))].join(', ')})`;
  return `INSERT INTO ${d.table(table.name)} (${names.join(', ')}) ${source}`;
}

/** @param {Dialect} d @param {{key: string[]}} table */
const conflict = (d, table) => `ON CONFLICT (${[...(d.scoped ? ['store_id'] : []), ...table.key].join(', ')})`;

/**
 * Insert or replace: every column but the key takes the new row's value.
 * @param {Dialect} d @param {{name: string, key: string[], columns: Column[]}} table
 */
function upsert(d, table) {
  const set = table.columns.filter((c) => !table.key.includes(c.name)).map((c) => `${c.name} = excluded.${c.name}`);
  return `${insert(d, params(d), table, true)}\n${conflict(d, table)} DO UPDATE SET ${set.join(', ')}`;
}

/**
 * The statements whose shape does not depend on the arguments. Parameters in the order the stores
 * give them (after the store id, when scoped).
 * @param {Dialect} d
 */
function statements(d) {
  const t = d.table;
  const q = (/** @type {(p: Params) => string} */ build) => build(params(d));
  return {
    // (name, owner)
    unlock: q((p) => `DELETE FROM ${t('locks')}${where(d, p, [`name = ${p.next()}`, `owner = ${p.next()}`])}`),
    // (limit)
    unconfirmed: q((p) => `SELECT record FROM ${t('imports')}${where(d, p, ["state = 'created'"])} ORDER BY updated_at LIMIT ${p.next()}`),
    // (list of Shoppingfeed ids)
    importsIn: q((p) => `SELECT shoppingfeed_id AS id, record FROM ${t('imports')}${where(d, p, [d.inList('shoppingfeed_id', p.next('bigint[]'))])}`),
    // rowOf(IMPORTS) (column arrays with a bulk source)
    importPut: upsert(d, IMPORTS),
    // rowOf(OPERATIONS) (column arrays with a bulk source)
    opPut: upsert(d, OPERATIONS),
    // rowOf(OPERATIONS)
    opInsert: q((p) => `${insert(d, p, OPERATIONS)} ${conflict(d, OPERATIONS)} DO NOTHING`),
    // (list of Shoppingfeed ids)
    opsOf: q((p) => `SELECT shoppingfeed_id AS id, record FROM ${t('operations')}${where(d, p, [d.inList('shoppingfeed_id', p.next('bigint[]'))])}
      ORDER BY recorded_at, ${d.insertionOrder}`),
    // rowOf(EVENTS)
    eventAdd: q((p) => insert(d, p, EVENTS)),
    // (status, updated_at, Shoppingfeed id)
    orderStatusSet: q((p) => `UPDATE ${t('orders')} SET status = ${p.next()}, updated_at = ${p.next()}${where(d, p, [`shoppingfeed_id = ${p.next('bigint')}`])}`),
    // (Shoppingfeed id)
    orderGet: q((p) => `SELECT * FROM ${t('orders')}${where(d, p, [`shoppingfeed_id = ${p.next('bigint')}`])}`),
    // (shop order id)
    linesGet: q((p) => `SELECT * FROM ${t('order_lines')}${where(d, p, [`order_id = ${p.next()}`])} ORDER BY line_no`),
  };
}

/**
 * Statements whose shape follows the filters given (a store prepares each shape once).
 * @typedef {{ sql: string, args: unknown[] }} Query
 */

/**
 * Operation records matching `q` (empty `states`: all; `shoppingfeedId` null: every order), in the
 * order they were recorded.
 * @param {Dialect} d @param {{states?: string[], shoppingfeedId?: number | null}} q @returns {Query}
 */
function operationsQuery(d, q) {
  const p = params(d);
  const conds = [];
  const args = [];
  if (q.states && q.states.length > 0) {
    conds.push(d.inList('state', p.next('text[]')));
    args.push(d.list(q.states));
  }
  if (q.shoppingfeedId != null) {
    conds.push(`shoppingfeed_id = ${p.next('bigint')}`);
    args.push(d.codec.id(q.shoppingfeedId));
  }
  return { sql: `SELECT record FROM ${d.table('operations')}${where(d, p, conds)} ORDER BY recorded_at, ${d.insertionOrder}`, args };
}

/**
 * A page of the journal, newest marketplace creation date first (then highest id), and its total.
 * @param {Dialect} d @param {import('../../index').OrderFilter} filter
 * @returns {{ count: Query, page: Query }}
 */
function listQueries(d, filter) {
  const limit = count(filter.limit, 'limit', 100);
  const offset = count(filter.offset, 'offset', 0);
  const p = params(d);
  const conds = [];
  const args = [];
  if (filter.status) {
    conds.push(`status = ${p.next()}`);
    args.push(String(filter.status));
  }
  if (filter.channel) {
    conds.push(`channel_key = ${p.next()}`);
    args.push(String(filter.channel).toLowerCase());
  }
  const w = where(d, p, conds);
  return {
    count: { sql: `SELECT count(*) AS n FROM ${d.table('imports')}${w}`, args },
    page: {
      sql: `SELECT record FROM ${d.table('imports')}${w} ORDER BY created_at ${d.desc}, shoppingfeed_id DESC LIMIT ${p.next()} OFFSET ${p.next()}`,
      args: [...args, limit, offset],
    },
  };
}

/**
 * The event log, newest first.
 * @param {Dialect} d @param {{ limit?: number, kind?: string }} filter @returns {Query}
 */
function eventsQuery(d, filter) {
  const limit = count(filter.limit, 'limit', 100);
  const p = params(d);
  const conds = filter.kind ? [`kind = ${p.next()}`] : [];
  const args = filter.kind ? [String(filter.kind)] : [];
  return { sql: `SELECT id, kind, at, data FROM ${d.table('events')}${where(d, p, conds)} ORDER BY id DESC LIMIT ${p.next()}`, args: [...args, limit] };
}

// ------------------------------------------------------------------ rows → records

/** @param {{record: string}} row */
const recordOf = (row) => JSON.parse(row.record);

/**
 * The records of `ids` in the order asked, missing ones left out; a fresh object each time, even for
 * an id asked twice.
 * @param {number[]} ids @param {Map<number, string>} found record texts by Shoppingfeed id
 */
function inOrderAsked(ids, found) {
  /** @type {any[]} */
  const out = [];
  for (const id of ids) {
    const t = found.get(id);
    if (t !== undefined) out.push(JSON.parse(t));
  }
  return out;
}

/**
 * The listing's items: each record with its operations (rows of `opsOf`, in their order).
 * @param {ImportRecord[]} records @param {{id: unknown, record: string}[]} opRows
 * @returns {{ record: ImportRecord, operations: OperationRecord[] }[]}
 */
function withOperations(records, opRows) {
  /** @type {Map<number, any[]>} */
  const ops = new Map(records.map((r) => [r.shoppingfeedId, []]));
  for (const row of opRows) ops.get(Number(row.id))?.push(recordOf(row));
  return records.map((record) => ({ record, operations: ops.get(record.shoppingfeedId) ?? [] }));
}

/** @param {any} e */
const eventOf = (e) => ({ id: Number(e.id), kind: e.kind, at: e.at, data: e.data == null ? null : JSON.parse(e.data) });

/**
 * The `marketplace-status` event's data.
 * @param {ImportRecord} record @param {string | undefined} previous @param {boolean} cancelled
 */
const statusChange = (record, previous, cancelled) => ({
  shoppingfeedId: record.shoppingfeedId,
  reference: record.reference,
  channel: record.channel?.name ?? null,
  previous: previous ?? null,
  status: record?.order?.status,
  shopOrderId: record.shopOrderId ?? null,
  shopOrderCancelled: cancelled,
});

/** @param {unknown} v */
const num = (v) => (v == null ? null : Number(v));
/** @param {any} t */
const iso = (t) => (t instanceof Date ? t.toISOString() : t);
/** @param {string | null} t */
const parsed = (t) => (t == null ? null : JSON.parse(t));

/**
 * The shop order as the stores answer it, from its `orders` row and `order_lines` rows (bigint
 * columns may come back as strings, timestamps as Dates).
 * @param {any} o @param {any[]} lines
 */
function shopOrderOf(o, lines) {
  return {
    id: o.id,
    ...(o.store_id === undefined ? {} : { storeId: Number(o.store_id) }),
    shoppingfeedId: Number(o.shoppingfeed_id),
    reference: o.reference,
    channel: { id: num(o.channel_id), name: o.channel_name },
    status: o.status,
    currency: o.currency,
    totalAmount: o.total_amount,
    productAmount: o.product_amount,
    shippingAmount: o.shipping_amount,
    taxAmount: o.tax_amount,
    buyerEmail: o.buyer_email,
    shippingAddress: parsed(o.shipping_address),
    billingAddress: parsed(o.billing_address),
    relayPoint: parsed(o.relay_point),
    draft: JSON.parse(o.draft),
    createdAt: iso(o.created_at),
    updatedAt: iso(o.updated_at),
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      itemId: num(l.item_id),
      sku: l.sku,
      originalReference: l.original_reference,
      channelReference: l.channel_reference,
      name: l.name,
      quantity: l.quantity,
      unitPrice: l.unit_price,
      taxAmount: l.tax_amount,
      ecotaxAmount: l.ecotax_amount,
    })),
  };
}

module.exports = {
  LOCK_NAME, CANCELLING, IMPORTS, OPERATIONS, EVENTS, ORDERS, ORDER_LINES,
  nowIso, json, sortableDate, count, rowOf, columnsOf, unknownSku,
  statements, operationsQuery, listQueries, eventsQuery,
  recordOf, inOrderAsked, withOperations, eventOf, statusChange, shopOrderOf,
};
