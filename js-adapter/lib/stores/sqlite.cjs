// @ts-check
'use strict';
// SqliteStore: the store interface (see memory.cjs, the reference) on one SQLite file through better-sqlite3.
// The shop side (orders, order lines, the product catalog) and the connector's journal (imports,
// operations, events, the sync lock) live in the same file, so a created order and its journal entry
// can never disagree about which file they are in. Several processes may open the same file: every
// multi-step change is one transaction, writers take the write lock up front (BEGIN IMMEDIATE) and wait
// up to 5 s for one another, and the Shoppingfeed order id is UNIQUE in `orders`. The tables' columns,
// the statements and the row conversions are journal.cjs's, shared with PostgresStore: this file holds
// SQLite's dialect, its transactions and pragmas, the lock, order creation and the migrations.

// Loaded at the top on purpose: when better-sqlite3 (an optional dependency) is absent, the require fails
// with MODULE_NOT_FOUND, which the CLI turns into "npm install better-sqlite3@12". Named through a constant
// so type checking does not ask for @types/better-sqlite3.
const BETTER_SQLITE3 = 'better-sqlite3';
/** @type {any} */
const Database = require(BETTER_SQLITE3);
const journal = require('./journal.cjs');

const { LOCK_NAME, CANCELLING, nowIso, rowOf } = journal;
/** A record column read plucked (no row object per record). @param {string} t */
const parse = (t) => JSON.parse(t);

/** @typedef {import('../../index').OrderDraft} OrderDraft */
/** @typedef {import('../../index').CreateOutcome} CreateOutcome */
/** @typedef {import('../../index').ImportRecord} ImportRecord */
/** @typedef {import('../../index').OperationRecord} OperationRecord */
/** @typedef {import('../../index').OrderFilter} OrderFilter */

/** Ids per query in loadImports (they travel as one JSON array parameter). */
const CHUNK = 500;

/** @param {{columns: {name: string}[]}} t */
const names = (t) => t.columns.map((c) => c.name).join(', ');
/** @param {{columns: unknown[]}} t */
const marks = (t) => t.columns.map(() => '?').join(', ');

/**
 * The journal's statements in SQLite: `?` parameters, lists as one JSON array read by json_each, one
 * store a file (no store id), values bound as they are.
 * @type {import('./journal.cjs').Dialect}
 */
const SQLITE = {
  table: (name) => name,
  scoped: false,
  param: () => '?',
  inList: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
  list: (values) => JSON.stringify(values),
  insertionOrder: 'rowid',
  desc: 'DESC', // SQLite's NULLs sort first, so last when descending
  codec: {
    id: (v) => v,
    num: (v) => v ?? null,
    text: (v) => v ?? '',
    textOrNull: (v) => v ?? null,
    required: (v) => v,
    str: String,
  },
};

/**
 * The schema, oldest first. A migration is applied once, in its own transaction, and recorded in
 * `schema_migrations`; never edit one that has shipped, add a new one.
 * @type {ReadonlyArray<{version: number, name: string, sql: string}>}
 */
const MIGRATIONS = Object.freeze([
  {
    version: 1,
    name: 'shop orders, catalog, journal, events, lock',
    sql: `
      CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('order', 0);

      CREATE TABLE orders (
        id               TEXT PRIMARY KEY,                -- SO-000001: the shop order id (storeReference)
        shoppingfeed_id  INTEGER NOT NULL UNIQUE,         -- the idempotency key
        reference        TEXT NOT NULL,
        channel_id       INTEGER,
        channel_name     TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
        currency         TEXT NOT NULL,
        total_amount     REAL NOT NULL,
        product_amount   REAL NOT NULL,
        shipping_amount  REAL NOT NULL,
        tax_amount       REAL NOT NULL,
        buyer_email      TEXT NOT NULL DEFAULT '',
        shipping_address TEXT,                            -- JSON
        billing_address  TEXT,                            -- JSON
        relay_point      TEXT,                            -- JSON or NULL
        draft            TEXT NOT NULL,                   -- the whole draft, JSON
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
      );

      CREATE TABLE order_lines (
        order_id           TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line_no            INTEGER NOT NULL,              -- 1-based, in draft order
        item_id            INTEGER,
        sku                TEXT NOT NULL,
        original_reference TEXT NOT NULL,
        channel_reference  TEXT NOT NULL DEFAULT '',
        name               TEXT NOT NULL,
        quantity           INTEGER NOT NULL CHECK (quantity > 0),
        unit_price         REAL NOT NULL,
        tax_amount         REAL NOT NULL,
        ecotax_amount      REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (order_id, line_no)
      ) WITHOUT ROWID;

      CREATE TABLE products (
        sku      TEXT PRIMARY KEY,
        added_at TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE imports (
        shoppingfeed_id INTEGER PRIMARY KEY,
        reference       TEXT NOT NULL,
        channel_id      INTEGER,
        channel_name    TEXT NOT NULL,
        channel_key     TEXT NOT NULL,                    -- lower-cased name, for the channel filter
        state           TEXT NOT NULL,                    -- created | acknowledged | failed
        shop_order_id   TEXT,
        status          TEXT NOT NULL,                    -- last known Shoppingfeed status
        tries           INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        created_at      TEXT,                             -- marketplace creation, UTC ISO: the listing order
        updated_at      TEXT NOT NULL,
        record          TEXT NOT NULL                     -- the whole ImportRecord, JSON
      );
      CREATE INDEX imports_state ON imports (state);

      CREATE TABLE operations (
        id              TEXT PRIMARY KEY,                 -- <order id>:<operation>:<n>
        shoppingfeed_id INTEGER NOT NULL,
        operation       TEXT NOT NULL,
        state           TEXT NOT NULL,
        batch_id        TEXT,
        recorded_at     TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        record          TEXT NOT NULL                     -- the whole OperationRecord, JSON
      );
      CREATE INDEX operations_state ON operations (state);
      CREATE INDEX operations_shoppingfeed_id ON operations (shoppingfeed_id);

      CREATE TABLE events (
        id   INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        at   TEXT NOT NULL,
        data TEXT                                         -- JSON
      );

      CREATE TABLE locks (
        name       TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        expires_at INTEGER NOT NULL,                      -- epoch ms
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'listing indexes',
    sql: `
      CREATE INDEX imports_listing ON imports (created_at DESC, shoppingfeed_id DESC);
      CREATE INDEX imports_status ON imports (status, created_at DESC, shoppingfeed_id DESC);
      CREATE INDEX imports_channel_key ON imports (channel_key, created_at DESC, shoppingfeed_id DESC);
      CREATE INDEX events_kind ON events (kind, id);
    `,
  },
]);

/**
 * Whether a lock owner (`host:pid:…`, as createOrderSync names it) is a process of this machine that
 * no longer runs: a sync killed with SIGKILL then frees the store at once instead of at lock expiry.
 * @param {string} owner
 */
function holderIsDead(owner) {
  const [host, pid] = owner.split(':');
  if (host !== require('node:os').hostname() || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'ESRCH';
  }
}

/**
 * better-sqlite3 builds SQLite with a 16 MB page cache; 6 MB imports 10,000 orders as fast (measured,
 * `make bench`) and keeps a 100,000-order import 8 MB lighter, the cache filling up as it goes.
 */
const DEFAULT_CACHE_KB = 6000;

class SqliteStore {
  /**
   * @param {string} file     path of the SQLite file (created when missing), or `':memory:'`
   * @param {{ catalog?: Iterable<string>, cacheKb?: number }} [options]
   *   catalog: SKUs the shop sells, added to the `products` table (kept in the file). While the table is
   *   empty every SKU is accepted; once it has rows, a draft with a SKU outside it is rejected.
   *   cacheKb: SQLite's page cache (default 6000).
   */
  constructor(file, options = {}) {
    if (typeof file !== 'string' || file === '') throw new TypeError('SqliteStore needs a file path (or ":memory:")');
    const cacheKb = options.cacheKb ?? DEFAULT_CACHE_KB;
    if (!Number.isInteger(cacheKb) || cacheKb < 100) throw new RangeError(`cacheKb must be a whole number of KiB, at least 100, got ${String(options.cacheKb)}`);
    this.file = file;
    /** @type {any} */
    this.db = new Database(file);
    try {
      // busy_timeout first: switching to WAL needs a lock another process may be holding.
      this.db.pragma('busy_timeout = 5000');
      // SQLite answers BUSY at once, without the busy handler, when two processes switch a new file
      // to WAL together: retry that step for a few seconds.
      retryBusy(() => this.db.pragma('journal_mode = WAL'));
      // NORMAL commits the WAL without fsync (crash-safe, not power-loss-safe); the journal writes
      // (saveImports, saveOperations) are committed with FULL, which syncs every frame before them too,
      // so orders are durable before the engine acknowledges them or sends an operation.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`cache_size = ${-cacheKb}`);
      /** @type {number[]} versions applied by this open */
      this.migrated = retryBusy(() => migrate(this.db));
      this.#prepare();
      if (options.catalog) this.#addProducts([...options.catalog]);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** @type {Record<string, any>} */
  #s = {};
  /** @type {Map<string, any>} */
  #dynamic = new Map();

  #prepare() {
    const db = this.db;
    const p = (/** @type {string} */ sql) => db.prepare(sql);
    this.#s = {
      ...Object.fromEntries(Object.entries(journal.statements(SQLITE)).map(([k, sql]) => [k, p(sql)])),
      lockGet: p('SELECT owner, expires_at AS expiresAt FROM locks WHERE name = ?'),
      lockSet: p(`INSERT INTO locks (name, owner, expires_at, updated_at) VALUES (?, ?, ?, ?)
                  ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, updated_at = excluded.updated_at`),
      orderIdOf: p('SELECT id FROM orders WHERE shoppingfeed_id = ?').pluck(),
      nextOrderNo: p("UPDATE counters SET value = value + 1 WHERE name = 'order' RETURNING value").pluck(),
      hasProducts: p('SELECT EXISTS (SELECT 1 FROM products)').pluck(),
      hasProduct: p('SELECT EXISTS (SELECT 1 FROM products WHERE sku = ?)').pluck(),
      productAdd: p('INSERT OR IGNORE INTO products (sku, added_at) VALUES (?, ?)'),
      orderAdd: p(`INSERT INTO orders (id, shoppingfeed_id, status, ${names(journal.ORDERS)}, created_at, updated_at)
                   VALUES (?, ?, 'open', ${marks(journal.ORDERS)}, ?, ?)`),
      lineAdd: p(`INSERT INTO order_lines (order_id, line_no, ${names(journal.ORDER_LINES)}) VALUES (?, ?, ${marks(journal.ORDER_LINES)})`),
    };
  }

  /** A statement built from a query shape, prepared once per shape. @param {string} sql */
  #cached(sql) {
    let st = this.#dynamic.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#dynamic.set(sql, st);
    }
    return st;
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction (the write lock taken before the first read).
   * @template T @param {() => T} fn @returns {T}
   */
  #write(fn) {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Like #write, committed with synchronous=FULL: this commit and every earlier one are on disk when
   * it returns.
   * @template T @param {() => T} fn @returns {T}
   */
  #durable(fn) {
    this.db.pragma('synchronous = FULL');
    try {
      return this.#write(fn);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /**
   * Takes the store-wide sync lock for `ttlMs`: true when it was free, expired, or already ours (then
   * renewed); false while another owner holds it.
   * @param {string} owner @param {number} ttlMs
   */
  async tryLock(owner, ttlMs) {
    const s = this.#s;
    return this.#write(() => {
      const now = Date.now();
      const held = s.lockGet.get(LOCK_NAME);
      if (held && held.owner !== owner && held.expiresAt > now && !holderIsDead(held.owner)) return false;
      s.lockSet.run(LOCK_NAME, owner, now + Number(ttlMs), new Date(now).toISOString());
      return true;
    });
  }

  /** Releases the lock if `owner` holds it. @param {string} owner */
  async unlock(owner) {
    this.#s.unlock.run(LOCK_NAME, owner);
  }

  /** Journal entries created in the shop whose acknowledgement is not confirmed. @param {number} limit */
  async loadUnconfirmed(limit) {
    return this.#s.unconfirmed.pluck().all(Number(limit)).map(parse);
  }

  /**
   * Journal entries of these Shoppingfeed orders, in the order asked, missing ones left out.
   * @param {number[]} ids @returns {Promise<ImportRecord[]>}
   */
  async loadImports(ids) {
    /** @type {Map<number, string>} */
    const found = new Map();
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const [id, record] of this.#s.importsIn.raw().all(SQLITE.list(ids.slice(i, i + CHUNK)))) found.set(id, record);
    }
    return journal.inOrderAsked(ids, found);
  }

  /**
   * Creates the shop order and its lines. Idempotent on the Shoppingfeed id: a second call (from this or
   * another process) answers the first order with `existed: true`.
   * @param {OrderDraft} draft @returns {Promise<CreateOutcome>}
   */
  async createOrder(draft) {
    return this.#createOne(draft, true);
  }

  /**
   * Creates a page of orders in one transaction, each as createOrder would (a rejection stays that
   * order's answer). One transaction instead of 200 is most of an import's store time.
   * @param {OrderDraft[]} drafts @returns {Promise<CreateOutcome[]>}
   */
  async createOrders(drafts) {
    try {
      return this.#write(() => drafts.map((d) => this.#createOne(d, false)));
    } catch (err) {
      // Cannot happen while writers take the lock up front; should it anyway, one by one decides.
      if (/** @type {any} */ (err)?.code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      return drafts.map((d) => this.#createOne(d, true));
    }
  }

  /**
   * @param {OrderDraft} draft
   * @param {boolean} own  in a transaction of its own (else inside the caller's)
   * @returns {CreateOutcome}
   */
  #createOne(draft, own) {
    const s = this.#s;
    const sfId = draft.shoppingfeedId;
    /** @returns {CreateOutcome} */
    const step = () => {
      const existing = s.orderIdOf.get(sfId);
      if (existing) return { outcome: 'created', shopOrderId: existing, existed: true };
      const lines = draft.lines ?? [];
      if (s.hasProducts.get()) {
        const i = lines.findIndex((/** @type {any} */ l) => !s.hasProduct.get(String(l.sku)));
        if (i >= 0) return journal.unknownSku(lines, i);
      }
      const id = `SO-${String(s.nextOrderNo.get()).padStart(6, '0')}`;
      const now = nowIso();
      s.orderAdd.run(id, sfId, ...rowOf(journal.ORDERS, draft, SQLITE.codec), now, now);
      lines.forEach((/** @type {any} */ l, /** @type {number} */ i) => s.lineAdd.run(id, i + 1, ...rowOf(journal.ORDER_LINES, l, SQLITE.codec)));
      return { outcome: 'created', shopOrderId: id };
    };
    if (!own) return step();
    try {
      return this.#write(step);
    } catch (err) {
      // Cannot happen while writers take the lock up front; should it anyway, the UNIQUE key decides.
      const e = /** @type {any} */ (err);
      if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && /shoppingfeed_id/.test(e.message)) return this.#write(step);
      throw err;
    }
  }

  /** Writes journal entries (insert or replace), all in one transaction. @param {ImportRecord[]} records */
  async saveImports(records) {
    if (records.length === 0) return;
    const put = this.#s.importPut;
    this.#durable(() => {
      for (const r of records) put.run(rowOf(journal.IMPORTS, r, SQLITE.codec));
    });
  }

  /** Writes operation records (insert or replace), all in one transaction. @param {OperationRecord[]} records */
  async saveOperations(records) {
    if (records.length === 0) return;
    const put = this.#s.opPut;
    this.#durable(() => {
      for (const r of records) put.run(rowOf(journal.OPERATIONS, r, SQLITE.codec));
    });
  }

  /**
   * Writes a new operation record unless one with its id exists: false then, nothing written. The
   * primary key decides, so of two processes recording the same operation at once only the first wins.
   * @param {OperationRecord} r @returns {Promise<boolean>}
   */
  async insertOperation(r) {
    return this.#durable(() => this.#s.opInsert.run(rowOf(journal.OPERATIONS, r, SQLITE.codec)).changes) === 1;
  }

  /**
   * Operation records matching the query (empty `states`: all; `shoppingfeedId` null: every order), in
   * the order they were recorded.
   * @param {{states?: string[], shoppingfeedId?: number | null}} [q] @returns {Promise<OperationRecord[]>}
   */
  async operations(q = {}) {
    const { sql, args } = journal.operationsQuery(SQLITE, q);
    return this.#cached(sql).pluck().all(...args).map(parse);
  }

  /**
   * The marketplace changed an imported order's status (`record` carries the new one, already saved by
   * the engine): a cancelled, refused or refunded order cancels the shop order; every change is logged
   * as a `marketplace-status` event.
   * @param {ImportRecord} record @param {string} [previous] @returns {Promise<void>}
   */
  async marketplaceStatusChanged(record, previous) {
    const s = this.#s;
    this.#write(() => {
      const at = nowIso();
      const changed = CANCELLING.has(record?.order?.status)
        ? s.orderStatusSet.run('cancelled', at, record.shoppingfeedId).changes > 0
        : false;
      s.eventAdd.run(rowOf(journal.EVENTS, { kind: 'marketplace-status', at, data: journal.statusChange(record, previous, changed) }, SQLITE.codec));
    });
  }

  /**
   * Journal entries with their operations, newest marketplace creation date first (then highest id).
   * @param {OrderFilter} [filter]
   * @returns {Promise<{ total: number, items: { record: ImportRecord, operations: OperationRecord[] }[] }>}
   */
  async listOrders(filter = {}) {
    const q = journal.listQueries(SQLITE, filter);
    const read = this.db.transaction(() => {
      const total = this.#cached(q.count.sql).get(...q.count.args).n;
      const records = this.#cached(q.page.sql).pluck().all(...q.page.args).map(parse);
      const opRows = records.length > 0 ? this.#s.opsOf.all(SQLITE.list(records.map((/** @type {any} */ r) => r.shoppingfeedId))) : [];
      return { total, items: journal.withOperations(records, opRows) };
    });
    return read.deferred();
  }

  /** Appends to the event log. @param {{kind: string, at?: string, data?: unknown}} event @returns {Promise<void>} */
  async recordEvent(event) {
    this.#s.eventAdd.run(rowOf(journal.EVENTS, event, SQLITE.codec));
  }

  /**
   * The event log, newest first.
   * @param {{ limit?: number, kind?: string }} [filter]
   * @returns {Promise<{ id: number, kind: string, at: string, data: any }[]>}
   */
  async events(filter = {}) {
    const { sql, args } = journal.eventsQuery(SQLITE, filter);
    return this.#cached(sql).all(...args).map(journal.eventOf);
  }

  /** Adds SKUs to the catalog (already known ones ignored); synchronous. @param {Iterable<string>} skus */
  addProducts(skus) {
    this.#addProducts([...skus]);
  }

  /** @param {string[]} skus */
  #addProducts(skus) {
    if (skus.length === 0) return;
    const at = nowIso();
    this.#write(() => {
      for (const sku of skus) this.#s.productAdd.run(String(sku), at);
    });
  }

  /**
   * The shop order created for a Shoppingfeed order, with its lines; null when there is none.
   * @param {number} shoppingfeedId
   */
  async shopOrder(shoppingfeedId) {
    const read = this.db.transaction(() => {
      const o = this.#s.orderGet.get(shoppingfeedId);
      return o ? journal.shopOrderOf(o, this.#s.linesGet.all(o.id)) : null;
    });
    return read.deferred();
  }

  /** Schema versions recorded in the file, oldest first. */
  schemaVersions() {
    return this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
  }

  /** Closes the file (idempotent). */
  close() {
    if (this.db.open) this.db.close();
  }
}

/**
 * Runs `step`, again after a short pause while SQLite reports the file busy (up to ~5 s).
 * @template T @param {() => T} step @returns {T}
 */
function retryBusy(step) {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return step();
    } catch (err) {
      const code = /** @type {any} */ (err).code;
      if (!(code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') || Date.now() > until) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
}

/**
 * Applies the migrations the file does not have yet, each in its own BEGIN IMMEDIATE transaction that
 * re-reads the applied versions (two processes opening a new file at once apply each one once).
 * @param {any} db
 * @returns {number[]} versions applied now
 */
function migrate(db) {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = () => new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all());
  const known = MIGRATIONS[MIGRATIONS.length - 1].version;
  const newest = Math.max(0, ...applied());
  if (newest > known) {
    throw new Error(`this store file has schema version ${newest}, newer than this version of shoppingfeed-orders knows (${known}); upgrade the package`);
  }
  /** @type {number[]} */
  const done = [];
  for (const m of MIGRATIONS) {
    if (applied().has(m.version)) continue;
    db.transaction(() => {
      if (applied().has(m.version)) return;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, nowIso());
      db.pragma(`user_version = ${m.version}`);
      done.push(m.version);
    }).immediate();
  }
  return done;
}

module.exports = { SqliteStore, MIGRATIONS };
