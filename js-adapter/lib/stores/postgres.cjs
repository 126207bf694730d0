// @ts-check
'use strict';
// PostgresStore: the store interface (see memory.cjs, the reference; sqlite.cjs, its twin; journal.cjs,
// the tables, statements and row conversions they share) on a PostgreSQL database through `pg`, shared
// by every process of a scale-out: the shop side (orders, order lines, catalog) and the connector's
// journal (imports, operations, events, the sync lock) live in one schema (default
// `shoppingfeed_orders`, so the shop's own `orders` table is never touched), every row keyed by the
// Shoppingfeed store id. One instance serves one store; any number of instances, in any number of
// processes, share a database (and, in one process, a pool).
//
// Guarantees, as SqliteStore's: (store id, Shoppingfeed order id) is UNIQUE in `orders` and in the
// journal; every multi-step change is one transaction; migrations are versioned, each applied once in
// its own transaction under an advisory lock (workers starting together apply it once); the sync lock
// is a lease with an expiry (the database's clock, not the hosts'), renewed by the engine's tryLock
// calls, and taken over at once when its holder's process died: each process keeps one session
// connection holding a session-level advisory lock on a random key, written next to the lease; when
// the process dies, its connection closes, the advisory lock goes with it, and the lease is free.

// Loaded at the top on purpose: without `pg` (an optional dependency) the require fails with
// MODULE_NOT_FOUND, which the CLI turns into "npm install pg".
const PG = 'pg';
/** @type {any} */
const pg = require(PG);
const { randomInt, createHash } = require('node:crypto');
const { codedError } = require('../errors.cjs');
const journal = require('./journal.cjs');

const { LOCK_NAME, CANCELLING, nowIso, rowOf, columnsOf, recordOf } = journal;

/** @typedef {import('../../index').OrderDraft} OrderDraft */
/** @typedef {import('../../index').CreateOutcome} CreateOutcome */
/** @typedef {import('../../index').ImportRecord} ImportRecord */
/** @typedef {import('../../index').OperationRecord} OperationRecord */
/** @typedef {import('../../index').OrderFilter} OrderFilter */

const DEFAULT_SCHEMA = 'shoppingfeed_orders';
/** First key of every advisory lock this package takes ('SFOR'); the second is 0 for migrations. */
const ADVISORY_NS = 0x53464f52;
const MIGRATION_KEY = 0;
/** Deadlock and serialization failures: the transaction is run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * The schema, oldest first. `{s}` is the quoted schema name. A migration is applied once, in its own
 * transaction, and recorded in `schema_migrations`; never edit one that has shipped, add a new one.
 * @type {ReadonlyArray<{version: number, name: string, sql: string}>}
 */
const MIGRATIONS = Object.freeze([
  {
    version: 1,
    name: 'shop orders, catalog, journal, events, lock (keyed by store id)',
    sql: `
      CREATE TABLE {s}.counters (
        store_id bigint NOT NULL,
        name     text   NOT NULL,
        value    bigint NOT NULL,
        PRIMARY KEY (store_id, name)
      );

      CREATE TABLE {s}.orders (
        store_id         bigint NOT NULL,                  -- the Shoppingfeed store id
        id               text   NOT NULL,                  -- SO-000001: the shop order id (storeReference)
        shoppingfeed_id  bigint NOT NULL,                  -- the idempotency key, with store_id
        reference        text   NOT NULL,
        channel_id       bigint,
        channel_name     text   NOT NULL,
        status           text   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
        currency         text   NOT NULL,
        total_amount     double precision NOT NULL,
        product_amount   double precision NOT NULL,
        shipping_amount  double precision NOT NULL,
        tax_amount       double precision NOT NULL,
        buyer_email      text   NOT NULL DEFAULT '',
        shipping_address text,                             -- JSON
        billing_address  text,                             -- JSON
        relay_point      text,                             -- JSON or NULL
        draft            text   NOT NULL,                  -- the whole draft, JSON
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL,
        PRIMARY KEY (store_id, id),
        CONSTRAINT orders_store_shoppingfeed_id UNIQUE (store_id, shoppingfeed_id)
      );

      CREATE TABLE {s}.order_lines (
        store_id           bigint  NOT NULL,
        order_id           text    NOT NULL,
        line_no            integer NOT NULL,               -- 1-based, in draft order
        item_id            bigint,
        sku                text    NOT NULL,
        original_reference text    NOT NULL,
        channel_reference  text    NOT NULL DEFAULT '',
        name               text    NOT NULL,
        quantity           integer NOT NULL CHECK (quantity > 0),
        unit_price         double precision NOT NULL,
        tax_amount         double precision NOT NULL,
        ecotax_amount      double precision NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, order_id, line_no),
        FOREIGN KEY (store_id, order_id) REFERENCES {s}.orders (store_id, id) ON DELETE CASCADE
      );

      CREATE TABLE {s}.products (
        store_id bigint NOT NULL,
        sku      text   NOT NULL,
        added_at timestamptz NOT NULL,
        PRIMARY KEY (store_id, sku)
      );

      CREATE TABLE {s}.imports (
        store_id        bigint NOT NULL,
        shoppingfeed_id bigint NOT NULL,
        reference       text   NOT NULL,
        channel_id      bigint,
        channel_name    text   NOT NULL,
        channel_key     text   NOT NULL,                   -- lower-cased name, for the channel filter
        state           text   NOT NULL,                   -- created | acknowledged | failed
        shop_order_id   text,
        status          text   NOT NULL,                   -- last known Shoppingfeed status
        tries           integer NOT NULL DEFAULT 0,
        last_error      text,
        created_at      text COLLATE "C",                  -- marketplace creation, UTC ISO: the listing order
        updated_at      text COLLATE "C" NOT NULL,
        record          text   NOT NULL,                   -- the whole ImportRecord, JSON
        PRIMARY KEY (store_id, shoppingfeed_id)
      );
      CREATE INDEX imports_state ON {s}.imports (store_id, state, updated_at);

      CREATE TABLE {s}.operations (
        store_id        bigint NOT NULL,
        id              text   NOT NULL,                   -- <order id>:<operation>:<n>
        seq             bigint GENERATED ALWAYS AS IDENTITY, -- insertion order (kept on replace)
        shoppingfeed_id bigint NOT NULL,
        operation       text   NOT NULL,
        state           text   NOT NULL,
        batch_id        text,
        recorded_at     text COLLATE "C" NOT NULL,
        updated_at      text   NOT NULL,
        record          text   NOT NULL,                   -- the whole OperationRecord, JSON
        PRIMARY KEY (store_id, id)
      );
      CREATE INDEX operations_state ON {s}.operations (store_id, state);
      CREATE INDEX operations_shoppingfeed_id ON {s}.operations (store_id, shoppingfeed_id);

      CREATE TABLE {s}.events (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        store_id bigint NOT NULL,
        kind     text   NOT NULL,
        at       text   NOT NULL,
        data     text                                      -- JSON
      );
      CREATE INDEX events_store ON {s}.events (store_id, id);

      CREATE TABLE {s}.locks (
        store_id   bigint NOT NULL,
        name       text   NOT NULL,
        owner      text   NOT NULL,
        expires_at bigint NOT NULL,                        -- epoch ms, the database's clock
        holder     integer,                                -- advisory key held by the owner's session
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (store_id, name)
      );
    `,
  },
  {
    version: 2,
    name: 'listing and metrics indexes',
    sql: `
      CREATE INDEX imports_listing ON {s}.imports (store_id, created_at DESC NULLS LAST, shoppingfeed_id DESC);
      CREATE INDEX imports_status ON {s}.imports (store_id, status, created_at DESC NULLS LAST, shoppingfeed_id DESC);
      CREATE INDEX imports_channel_key ON {s}.imports (store_id, channel_key, created_at DESC NULLS LAST, shoppingfeed_id DESC);
      CREATE INDEX imports_unshipped ON {s}.imports (store_id, created_at)
        WHERE state IN ('created', 'acknowledged') AND status IN ('waiting_shipment', 'partially_shipped');
      CREATE INDEX events_kind ON {s}.events (store_id, kind, id);
    `,
  },
]);

/** PostgreSQL text refuses NUL; marketplace strings are untrusted. @param {unknown} v */
const text = (v) => String(v ?? '').replaceAll('\u0000', '');
/** @param {unknown} v */
const textOrNull = (v) => (v == null ? null : text(v));
/** bigint columns come back as strings. @param {unknown} v */
const num = (v) => (v == null ? null : Number(v));

/** How the journal's values are bound: text without NUL, bigint ids as strings. @type {import('./journal.cjs').Codec} */
const CODEC = { id: String, num, text, textOrNull, required: text, str: text };

/**
 * The journal's statements in PostgreSQL: `$n` parameters (the store id is `$1`), lists as typed
 * arrays, every row keyed by the store id, tables in the store's schema, bulk writes from column arrays.
 * @param {string} s quoted schema @returns {import('./journal.cjs').Dialect}
 */
const dialect = (s) => ({
  table: (name) => `${s}.${name}`,
  scoped: true,
  param: (n, type) => (type ? `$${n}::${type}` : `$${n}`),
  inList: (column, param) => `${column} = ANY (${param})`,
  list: (values) => values.map(String),
  insertionOrder: 'seq',
  desc: 'DESC NULLS LAST',
  bulk: (columns, p) => `SELECT ${p.store}, * FROM unnest(${columns.map((c) => p.next(`${c.type}[]`)).join(', ')})`,
  codec: CODEC,
});

/** The (store id, Shoppingfeed id) UNIQUE key refused an insert. @param {unknown} err */
function uniqueOrderClash(err) {
  const e = /** @type {any} */ (err);
  return e?.code === '23505' && /shoppingfeed_id/.test(String(e.constraint ?? e.message));
}

/** @param {string} schema */
function quoteSchema(schema) {
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`PostgresStore: schema must be a plain identifier (letters, digits, _), got ${JSON.stringify(schema)}`);
  }
  return `"${schema}"`;
}

/** The last record of each id wins, as successive upserts would. @template T @param {T[]} records @param {(r: T) => unknown} key */
function lastById(records, key) {
  const m = new Map();
  for (const r of records) m.set(key(r), r);
  return [...m.values()];
}

// ------------------------------------------------------------------ per-pool shared state

/**
 * One per pool: the migrations done (per schema), the lock session, and how many stores use them.
 * @typedef {{ migrated: Map<string, Promise<number[]>>, session: LockSession, users: number, owned: boolean }} Shared
 */
/** @type {WeakMap<any, Shared>} */
const SHARED = new WeakMap();

/**
 * The session connection of this process (per pool): holds a session-level advisory lock on a random
 * key for as long as the process lives. The key written with a lease says whose session to look for.
 */
class LockSession {
  /** @param {any} pool */
  constructor(pool) {
    this.pool = pool;
    /** @type {any} */
    this.client = null;
    /** @type {number | null} */
    this.key = null;
    /** @type {Promise<number | null> | null} */
    this.opening = null;
    this.closed = false;
  }

  /** The advisory key this process holds, or null when no session could be opened (lease only). */
  async currentKey() {
    if (this.closed) return null;
    if (this.client && this.key !== null) return this.key;
    this.opening ??= this.#open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  async #open() {
    const o = this.pool.options ?? {};
    // `password` is not enumerable in pg-pool's copy of the options: named explicitly.
    const client = new pg.Client({ ...o, password: o.password, keepAlive: true, application_name: 'shoppingfeed-orders lock session' });
    const drop = () => {
      if (this.client === client) {
        this.client = null;
        this.key = null;
      }
    };
    client.on('error', drop);
    client.on('end', drop);
    try {
      await client.connect();
      for (let i = 0; i < 8; i++) {
        const key = randomInt(1, 2 ** 31 - 1);
        const r = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [ADVISORY_NS, key]);
        if (r.rows[0].ok) {
          if (this.closed) break;
          this.client = client;
          this.key = key;
          return key;
        }
      }
    } catch {
      // No session (connection limit, pooler in transaction mode…): the lease alone protects the store.
    }
    client.end().catch(() => {});
    return null;
  }

  async close() {
    this.closed = true;
    const c = this.client;
    this.client = null;
    this.key = null;
    if (c) await c.end().catch(() => {});
  }
}

/**
 * Applies the migrations the schema does not have yet. Serialized across processes by an advisory
 * lock held on one connection for the whole run.
 * @param {any} pool @param {string} schema @returns {Promise<number[]>} versions applied now
 */
async function migrate(pool, schema) {
  const s = quoteSchema(schema);
  const client = await pool.connect();
  let broken;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_NS, MIGRATION_KEY]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const applied = new Set((await client.query(`SELECT version FROM ${s}.schema_migrations`)).rows.map((/** @type {any} */ r) => r.version));
      const known = MIGRATIONS[MIGRATIONS.length - 1].version;
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw codedError('StoreError', 'SchemaTooNew',
          `the PostgreSQL schema ${schema} has version ${newest}, newer than this version of shoppingfeed-orders knows (${known}); upgrade the package`);
      }
      /** @type {number[]} */
      const done = [];
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql.replaceAll('{s}', s));
          await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
        done.push(m.version);
      }
      return done;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_NS, MIGRATION_KEY]).catch((/** @type {any} */ e) => {
        broken = e;
      });
    }
  } finally {
    client.release(broken);
  }
}

// ------------------------------------------------------------------ the store

class PostgresStore {
  /**
   * @param {{ storeId: number, connectionString?: string, pool?: any, schema?: string, catalog?: Iterable<string>,
   *   poolSize?: number }} options
   *   storeId: the Shoppingfeed store this instance serves (rows of other stores are never read or written);
   *   connectionString (a pool of its own, ended by close()) or pool (a `pg.Pool` shared with other stores,
   *   left open by close()); schema: where the tables live (default `shoppingfeed_orders`, created when
   *   missing); catalog: SKUs this store sells (while the store has none, every SKU is accepted).
   */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new TypeError('PostgresStore needs options: { storeId, connectionString | pool }');
    const storeId = Number(options.storeId);
    if (!Number.isSafeInteger(storeId) || storeId <= 0) {
      throw new TypeError(`PostgresStore: storeId must be the Shoppingfeed store id (a positive integer), got ${String(options.storeId)}`);
    }
    if (!options.pool && !options.connectionString) throw new TypeError('PostgresStore needs a connectionString or a pg pool');
    this.storeId = storeId;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    const s = quoteSchema(this.schema);
    const owned = !options.pool;
    /** @type {any} */
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    if (owned) this.pool.on('error', () => {}); // an idle client's error: the next query reconnects
    let shared = SHARED.get(this.pool);
    if (!shared) {
      shared = { migrated: new Map(), session: new LockSession(this.pool), users: 0, owned };
      SHARED.set(this.pool, shared);
    }
    shared.users += 1;
    this.#shared = shared;
    this.#dialect = dialect(s);
    this.#sql = prepared({ ...journal.statements(this.#dialect), ...statements(s) });
    let migrated = shared.migrated.get(this.schema);
    if (!migrated) {
      migrated = migrate(this.pool, this.schema);
      shared.migrated.set(this.schema, migrated);
      // A failed migration is tried again by the next store opened (or the next call).
      migrated.catch(() => shared.migrated.delete(this.schema));
    }
    /** @type {Promise<number[]>} versions applied by this open (empty when another store of the pool did it) */
    this.migrated = migrated;
    /** @type {Promise<void>} */
    this.#ready = migrated.then(async () => {
      if (options.catalog) await this.#addProducts([...options.catalog]);
    });
    this.#ready.catch(() => {});
  }

  /** @type {Shared} */
  #shared;
  /** @type {import('./journal.cjs').Dialect} */
  #dialect;
  /** @type {Record<string, {name: string, text: string}>} */
  #sql;
  /** @type {Map<string, {name: string, text: string}>} statements built from a query shape */
  #shapes = new Map();
  /** @type {Promise<void>} */
  #ready;
  #closed = false;

  /** Resolves once the schema is migrated (every method waits for it too). */
  async ready() {
    await this.#ready;
    return this;
  }

  /** @param {string | {name: string, text: string}} sql @param {unknown[]} args */
  async #q(sql, args) {
    await this.#ready;
    return this.pool.query(typeof sql === 'string' ? { text: sql, values: args } : { ...sql, values: args });
  }

  /** A statement built from a query shape, prepared once per shape. @param {string} key @param {string} sql */
  #shaped(key, sql) {
    let st = this.#shapes.get(sql);
    if (!st) {
      st = prepared({ [key]: sql })[key];
      this.#shapes.set(sql, st);
    }
    return st;
  }

  /**
   * Runs `fn` in one transaction on one connection; deadlocks and serialization failures run it again.
   * @template T @param {(c: any) => Promise<T>} fn @param {string} [begin]
   * @returns {Promise<T>}
   */
  async #tx(fn, begin = 'BEGIN') {
    await this.#ready;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken;
      try {
        await client.query(begin);
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((/** @type {any} */ e) => {
          broken = e;
        });
        if (RETRYABLE.has(/** @type {any} */ (err)?.code) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
          continue;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Takes this store's sync lock for `ttlMs`: true when it was free, expired, held by a process that
   * died, or already ours (then renewed); false while another live owner holds it.
   * @param {string} owner @param {number} ttlMs
   */
  async tryLock(owner, ttlMs) {
    const ttl = Math.max(1, Math.round(Number(ttlMs)));
    const holder = await this.#shared.session.currentKey();
    const r = await this.#q(this.#sql.lock, [this.storeId, LOCK_NAME, String(owner), ttl, holder, ADVISORY_NS]);
    return r.rowCount === 1;
  }

  /** Releases the lock if `owner` holds it. @param {string} owner */
  async unlock(owner) {
    await this.#q(this.#sql.unlock, [this.storeId, LOCK_NAME, String(owner)]);
  }

  /** Journal entries created in the shop whose acknowledgement is not confirmed. @param {number} limit */
  async loadUnconfirmed(limit) {
    const r = await this.#q(this.#sql.unconfirmed, [this.storeId, Number(limit)]);
    return r.rows.map(recordOf);
  }

  /**
   * Journal entries of these Shoppingfeed orders, in the order asked, missing ones left out.
   * @param {number[]} ids @returns {Promise<ImportRecord[]>}
   */
  async loadImports(ids) {
    if (ids.length === 0) return [];
    const r = await this.#q(this.#sql.importsIn, [this.storeId, this.#dialect.list([...new Set(ids)])]);
    return journal.inOrderAsked(ids, new Map(r.rows.map((/** @type {any} */ row) => [Number(row.id), row.record])));
  }

  /**
   * Creates the shop order and its lines, in one transaction. Idempotent on (store, Shoppingfeed id):
   * a second call, from this or any other process, answers the first order with `existed: true`.
   * @param {OrderDraft} draft @returns {Promise<CreateOutcome>}
   */
  async createOrder(draft) {
    const c = this.#creation(draft);
    try {
      return c.outcome((await this.#retry(() => this.#q(this.#sql.createOrder, c.args))).rows[0]);
    } catch (err) {
      // Another process created it between our snapshot and our insert: the UNIQUE key said so, the
      // whole statement was undone (no order number used), and the order is there now.
      if (!uniqueOrderClash(err)) throw err;
      return c.outcome((await this.#q(this.#sql.createOrder, c.args)).rows[0]);
    }
  }

  /**
   * Creates a page of orders in one transaction, each as createOrder would (a rejection stays that
   * order's answer; an order already there answers `existed`).
   * @param {OrderDraft[]} drafts @returns {Promise<CreateOutcome[]>}
   */
  async createOrders(drafts) {
    const all = drafts.map((d) => this.#creation(d));
    if (all.length === 0) return [];
    /** @type {any[][]} */
    const d = Array.from({ length: 14 }, () => []);
    /** @type {any[][]} */
    const l = Array.from({ length: 11 }, () => []);
    all.forEach((c, k) => {
      c.args.slice(1, 15).forEach((x, i) => d[i].push(x));
      const [lineNo, ...cols] = c.args.slice(16);
      lineNo.forEach((/** @type {number} */ n, /** @type {number} */ j) => {
        l[0].push(k + 1);
        l[1].push(n);
        cols.forEach((col, i) => l[i + 2].push(col[j]));
      });
    });
    /** @type {(CreateOutcome | null)[]} */
    let out;
    try {
      // One statement, so one transaction, for the whole page.
      const rows = (await this.#retry(() => this.#q(this.#sql.createOrders, [this.storeId, ...d, ...l, new Date()]))).rows;
      out = rows.map((/** @type {any} */ row) => {
        const k = Number(row.k);
        if (row.existing != null) return { outcome: 'created', shopOrderId: row.existing, existed: true };
        if (row.created != null) return Number(row.first_k) === k ? { outcome: 'created', shopOrderId: row.created } : { outcome: 'created', shopOrderId: row.created, existed: true };
        if (row.missing != null) return all[k - 1].outcome({ missing: row.missing });
        return null; // the same order earlier in the page was refused: answered below, on its own
      });
    } catch (err) {
      // Another process created one of them meanwhile (cannot happen while one cycle holds the store):
      // the statement was undone; one by one decides.
      if (!uniqueOrderClash(err)) throw err;
      out = drafts.map(() => null);
    }
    for (let i = 0; i < out.length; i++) out[i] ??= await this.createOrder(drafts[i]);
    return /** @type {CreateOutcome[]} */ (out);
  }

  /**
   * The createOrder statement's arguments for a draft, and how to read its answer.
   * @param {OrderDraft} draft
   */
  #creation(draft) {
    const sfId = Number(draft?.shoppingfeedId);
    if (!Number.isSafeInteger(sfId) || sfId <= 0) throw codedError('StoreError', 'InvalidDraft', `createOrder: shoppingfeedId ${String(draft?.shoppingfeedId)} is not an order id`);
    if (draft.storeId != null && Number(draft.storeId) !== this.storeId) {
      throw codedError('StoreError', 'StoreMismatch',
        `order ${sfId} belongs to Shoppingfeed store ${draft.storeId}, this PostgresStore serves store ${this.storeId}`);
    }
    const lines = draft.lines ?? [];
    const lineRows = lines.map((/** @type {any} */ l, /** @type {number} */ i) => [i + 1, ...rowOf(journal.ORDER_LINES, l, CODEC)]);
    /** @type {any[]} */
    const args = [this.storeId, sfId, ...rowOf(journal.ORDERS, draft, CODEC), new Date(),
      ...columnsOf(lineRows, 1 + journal.ORDER_LINES.columns.length)];
    /** One statement, so one transaction: existence, catalog, order number, order and lines. @returns {CreateOutcome} */
    const outcome = (/** @type {any} */ row) => {
      if (row.existing != null) return { outcome: 'created', shopOrderId: row.existing, existed: true };
      if (row.created != null) return { outcome: 'created', shopOrderId: row.created };
      return journal.unknownSku(lines, Number(row.missing) - 1);
    };
    return { args, outcome };
  }

  /** Writes journal entries (insert or replace), in one statement. @param {ImportRecord[]} records */
  async saveImports(records) {
    if (records.length === 0) return;
    // Sorted: two pages written at once lock their rows in one order (no deadlock).
    const rows = lastById(records, (r) => r.shoppingfeedId).sort((a, b) => a.shoppingfeedId - b.shoppingfeedId)
      .map((r) => rowOf(journal.IMPORTS, r, CODEC));
    await this.#retry(() => this.#q(this.#sql.importPut, [this.storeId, ...columnsOf(rows, journal.IMPORTS.columns.length)]));
  }

  /** Writes operation records (insert or replace), in one statement. @param {OperationRecord[]} records */
  async saveOperations(records) {
    if (records.length === 0) return;
    const rows = lastById(records, (r) => r.id).map((r) => rowOf(journal.OPERATIONS, r, CODEC));
    await this.#retry(() => this.#q(this.#sql.opPut, [this.storeId, ...columnsOf(rows, journal.OPERATIONS.columns.length)]));
  }

  /**
   * Writes a new operation record unless one with its id exists: false then, nothing written (the
   * primary key decides between two processes recording the same operation at once).
   * @param {OperationRecord} r @returns {Promise<boolean>}
   */
  async insertOperation(r) {
    const res = await this.#retry(() => this.#q(this.#sql.opInsert, [this.storeId, ...rowOf(journal.OPERATIONS, r, CODEC)]));
    return res.rowCount === 1;
  }

  /** A single statement run again after a deadlock. @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
  async #retry(fn) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!RETRYABLE.has(/** @type {any} */ (err)?.code) || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
      }
    }
  }

  /**
   * Operation records matching the query (empty `states`: all; `shoppingfeedId` null: every order), in
   * the order they were recorded.
   * @param {{states?: string[], shoppingfeedId?: number | null}} [q] @returns {Promise<OperationRecord[]>}
   */
  async operations(q = {}) {
    const { sql, args } = journal.operationsQuery(this.#dialect, q);
    const r = await this.#q(this.#shaped('ops', sql), [this.storeId, ...args]);
    return r.rows.map(recordOf);
  }

  /**
   * The marketplace changed an imported order's status: cancelled, refused or refunded cancel the shop
   * order; every change is logged as a `marketplace-status` event. One transaction.
   * @param {ImportRecord} record @param {string} [previous] @returns {Promise<void>}
   */
  async marketplaceStatusChanged(record, previous) {
    const q = this.#sql;
    await this.#tx(async (c) => {
      const at = nowIso();
      const changed = CANCELLING.has(record?.order?.status)
        ? (await c.query({ ...q.orderStatusSet, values: [this.storeId, 'cancelled', new Date(at), String(record.shoppingfeedId)] })).rowCount > 0
        : false;
      const event = { kind: 'marketplace-status', at, data: journal.statusChange(record, previous, changed) };
      await c.query({ ...q.eventAdd, values: [this.storeId, ...rowOf(journal.EVENTS, event, CODEC)] });
    });
  }

  /**
   * Journal entries with their operations, newest marketplace creation date first (then highest id),
   * read in one snapshot.
   * @param {OrderFilter} [filter]
   * @returns {Promise<{ total: number, items: { record: ImportRecord, operations: OperationRecord[] }[] }>}
   */
  async listOrders(filter = {}) {
    const q = journal.listQueries(this.#dialect, filter);
    const [count, page] = [this.#shaped('listCount', q.count.sql), this.#shaped('listPage', q.page.sql)];
    return this.#tx(async (c) => {
      const total = Number((await c.query({ ...count, values: [this.storeId, ...q.count.args] })).rows[0].n);
      const records = (await c.query({ ...page, values: [this.storeId, ...q.page.args] })).rows.map(recordOf);
      const opRows = records.length > 0
        ? (await c.query({ ...this.#sql.opsOf, values: [this.storeId, this.#dialect.list(records.map((/** @type {any} */ r) => r.shoppingfeedId))] })).rows
        : [];
      return { total, items: journal.withOperations(records, opRows) };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /** Appends to this store's event log. @param {{kind: string, at?: string, data?: unknown}} event @returns {Promise<void>} */
  async recordEvent(event) {
    await this.#q(this.#sql.eventAdd, [this.storeId, ...rowOf(journal.EVENTS, event, CODEC)]);
  }

  /**
   * This store's event log, newest first.
   * @param {{ limit?: number, kind?: string }} [filter]
   * @returns {Promise<{ id: number, kind: string, at: string, data: any }[]>}
   */
  async events(filter = {}) {
    const { sql, args } = journal.eventsQuery(this.#dialect, filter);
    const r = await this.#q(this.#shaped('events', sql), [this.storeId, ...args]);
    return r.rows.map(journal.eventOf);
  }

  /** Adds SKUs to this store's catalog (known ones ignored). @param {Iterable<string>} skus */
  async addProducts(skus) {
    await this.#ready;
    await this.#addProducts([...skus]);
  }

  /** @param {string[]} skus */
  async #addProducts(skus) {
    if (skus.length === 0) return;
    await this.pool.query({ ...this.#sql.productsAdd, values: [this.storeId, [...new Set(skus.map(text))]] });
  }

  /**
   * The shop order created for a Shoppingfeed order, with its lines; null when there is none.
   * @param {number} shoppingfeedId
   */
  async shopOrder(shoppingfeedId) {
    const q = this.#sql;
    return this.#tx(async (c) => {
      const o = (await c.query({ ...q.orderGet, values: [this.storeId, String(shoppingfeedId)] })).rows[0];
      if (!o) return null;
      const lines = (await c.query({ ...q.linesGet, values: [this.storeId, o.id] })).rows;
      return journal.shopOrderOf(o, lines);
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /**
   * What an operator watches for this store: the last cycle, totals, pending operations and the oldest
   * order still to ship with its deadline (computed by the engine's rules when `deadline` is given).
   * @param {{ now?: number, deadline?: (latestShipDate: string | null, createdAt: string | null, now: number) => any }} [o]
   */
  async metrics(o = {}) {
    const [m] = await this.metricsOf([this.storeId], o);
    return m;
  }

  /**
   * `metrics()` of several stores of this journal (any store ids, this one's or not) in one consistent
   * read of five statements, whatever their number: a page listing a hundred stores stays one round of queries.
   * @param {number[]} storeIds
   * @param {{ now?: number, deadline?: (latestShipDate: string | null, createdAt: string | null, now: number) => any }} [o]
   */
  async metricsOf(storeIds, o = {}) {
    const ids = [...new Set(storeIds.map(Number))];
    if (ids.length === 0) return [];
    const q = this.#sql;
    const now = o.now ?? Date.now();
    const args = [ids.map(String)];
    const m = await this.#tx(async (c) => {
      const rows = async (/** @type {any} */ stmt) => new Map((await c.query({ ...stmt, values: args })).rows.map((/** @type {any} */ r) => [Number(r.store_id), r]));
      return {
        totals: await rows(q.mTotals),
        pending: await rows(q.mPending),
        unshipped: await rows(q.mUnshipped),
        last: await rows(q.mLastCycle),
        worker: await rows(q.mLastWorker),
      };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return storeIds.map((raw) => {
      const id = Number(raw);
      const t = m.totals.get(id);
      const last = m.last.get(id);
      const lastData = last?.data == null ? null : JSON.parse(last.data);
      const report = last?.kind === 'cycle' ? lastData : lastData?.report ?? null;
      const workerRow = m.worker.get(id);
      const w = workerRow?.data == null ? null : JSON.parse(workerRow.data);
      const oldestRow = m.unshipped.get(id);
      /** @type {any} */
      let oldest = null;
      if (oldestRow) {
        const r = JSON.parse(oldestRow.record);
        oldest = {
          id: r.shoppingfeedId,
          reference: r.reference,
          channel: r.channel?.name ?? null,
          createdAt: r.order?.createdAt ?? null,
          latestShipDate: r.order?.latestShipDate ?? null,
          ...(o.deadline ? { deadline: o.deadline(r.order?.latestShipDate ?? null, r.order?.createdAt ?? null, now) } : {}),
        };
      }
      return {
        storeId: id,
        lastCycle: last
          ? {
            at: last.at,
            ok: last.kind === 'cycle',
            imported: report?.imported ?? 0,
            acknowledged: report?.acknowledged ?? 0,
            failed: report?.failed ?? 0,
            sent: report?.sent ?? 0,
            error: last.kind === 'cycle' ? null : { code: lastData?.code ?? null, message: lastData?.message ?? null },
            durationMs: w?.durationMs ?? null,
            worker: w?.worker ?? null,
          }
          : null,
        imported: Number(t?.imported ?? 0),
        acknowledged: Number(t?.acknowledged ?? 0),
        failed: Number(t?.failed ?? 0),
        pendingOperations: Number(m.pending.get(id)?.n ?? 0),
        failedOperations: Number(m.pending.get(id)?.failed ?? 0),
        unshipped: Number(oldestRow?.n ?? 0),
        oldestUnshipped: oldest,
      };
    });
  }

  /** Schema versions recorded, oldest first. */
  async schemaVersions() {
    const r = await this.#q(`SELECT version FROM ${quoteSchema(this.schema)}.schema_migrations ORDER BY version`, []);
    return r.rows.map((/** @type {any} */ row) => row.version);
  }

  /**
   * Releases this store: the pool it made (connectionString) is ended; a shared pool stays open, its
   * lock session ends with the last store using it.
   */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.catch(() => {});
    const shared = this.#shared;
    shared.users -= 1;
    if (shared.users <= 0) {
      await shared.session.close();
      SHARED.delete(this.pool);
      if (shared.owned) await this.pool.end().catch(() => {});
    }
  }
}

/**
 * Statements as named (server-side prepared) queries: parsed and planned once per connection.
 * @param {Record<string, string>} texts
 */
function prepared(texts) {
  return Object.fromEntries(Object.entries(texts).map(([k, text]) =>
    [k, { name: `sfo_${k}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`, text }]));
}

/**
 * The statements of PostgreSQL's own (the journal's are journal.cjs's), for one schema.
 * @param {string} s quoted schema
 */
function statements(s) {
  const liveHolder = `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid = $6::bigint::oid AND objid = l.holder::bigint::oid AND objsubid = 2)`;
  const nowMs = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;
  return {
    // One statement: the conflicting row is locked and the condition read on its latest version.
    lock: `INSERT INTO ${s}.locks AS l (store_id, name, owner, expires_at, holder, updated_at)
           VALUES ($1, $2, $3, ${nowMs} + $4, $5, clock_timestamp())
           ON CONFLICT (store_id, name) DO UPDATE
             SET owner = excluded.owner, expires_at = excluded.expires_at, holder = excluded.holder, updated_at = excluded.updated_at
             WHERE l.owner = excluded.owner
                OR l.expires_at <= ${nowMs}
                OR (l.holder IS NOT NULL AND l.holder IS DISTINCT FROM excluded.holder AND NOT ${liveHolder})
           RETURNING owner`,
    // $1 store, $2 Shoppingfeed id, $3..$16 order columns, $17..$26 line columns (arrays). The store's
    // counter row numbers its orders; it moves only when the order is created.
    createOrder: `WITH ex AS (SELECT id FROM ${s}.orders WHERE store_id = $1 AND shoppingfeed_id = $2),
      cat AS (SELECT EXISTS (SELECT 1 FROM ${s}.products WHERE store_id = $1) AS has,
                (SELECT i FROM unnest($19::text[]) WITH ORDINALITY AS d(sku, i)
                  WHERE NOT EXISTS (SELECT 1 FROM ${s}.products p WHERE p.store_id = $1 AND p.sku = d.sku)
                  ORDER BY i LIMIT 1) AS missing),
      go AS (SELECT 1 FROM cat WHERE NOT EXISTS (SELECT 1 FROM ex) AND (NOT cat.has OR cat.missing IS NULL)),
      n AS (INSERT INTO ${s}.counters AS c (store_id, name, value) SELECT $1, 'order', 1 FROM go
            ON CONFLICT (store_id, name) DO UPDATE SET value = c.value + 1 RETURNING value),
      o AS (INSERT INTO ${s}.orders (store_id, id, shoppingfeed_id, reference, channel_id, channel_name, status, currency, total_amount,
              product_amount, shipping_amount, tax_amount, buyer_email, shipping_address, billing_address, relay_point, draft,
              created_at, updated_at)
            SELECT $1, 'SO-' || CASE WHEN length(n.value::text) >= 6 THEN n.value::text ELSE lpad(n.value::text, 6, '0') END,
              $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16 FROM n
            RETURNING id),
      l AS (INSERT INTO ${s}.order_lines (store_id, order_id, line_no, item_id, sku, original_reference, channel_reference, name,
              quantity, unit_price, tax_amount, ecotax_amount)
            SELECT $1, o.id, u.* FROM o, unnest($17::int[], $18::bigint[], $19::text[], $20::text[], $21::text[], $22::text[],
              $23::int[], $24::float8[], $25::float8[], $26::float8[]) AS u
            RETURNING 1)
      SELECT (SELECT id FROM ex) AS existing, (SELECT id FROM o) AS created, (SELECT missing FROM cat) AS missing,
        (SELECT count(*) FROM l) AS lines`,
    // A page: $2..$15 the orders' columns (arrays, in page order), $16..$26 their lines (the order's
    // position, then the line's columns), $27 now. One answer row per order, in page order. An order
    // twice in the page is created once (its first position); numbers follow the page order.
    createOrders: `WITH d AS (
        SELECT * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::float8[],
          $10::float8[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
          WITH ORDINALITY AS d(sf, reference, channel_id, channel_name, currency, total_amount, product_amount, shipping_amount,
            tax_amount, buyer_email, shipping_address, billing_address, relay_point, draft, k)),
      ln AS (
        SELECT * FROM unnest($16::int[], $17::int[], $18::bigint[], $19::text[], $20::text[], $21::text[], $22::text[], $23::int[],
          $24::float8[], $25::float8[], $26::float8[])
          AS ln(k, line_no, item_id, sku, original_reference, channel_reference, name, quantity, unit_price, tax_amount, ecotax_amount)),
      firsts AS (SELECT DISTINCT ON (sf) sf, k FROM d ORDER BY sf, k),
      ex AS (SELECT o.shoppingfeed_id AS sf, o.id FROM ${s}.orders o WHERE o.store_id = $1 AND o.shoppingfeed_id IN (SELECT sf FROM d)),
      cat AS (SELECT EXISTS (SELECT 1 FROM ${s}.products WHERE store_id = $1) AS has),
      miss AS (SELECT ln.k, min(ln.line_no) AS line_no FROM ln
               WHERE (SELECT has FROM cat) AND NOT EXISTS (SELECT 1 FROM ${s}.products p WHERE p.store_id = $1 AND p.sku = ln.sku)
               GROUP BY ln.k),
      todo AS (
        SELECT d.*, row_number() OVER (ORDER BY d.k) AS rn, count(*) OVER () AS cnt FROM d JOIN firsts f ON f.k = d.k
        WHERE NOT EXISTS (SELECT 1 FROM ex WHERE ex.sf = d.sf) AND NOT EXISTS (SELECT 1 FROM miss WHERE miss.k = d.k)),
      n AS (
        INSERT INTO ${s}.counters AS c (store_id, name, value) SELECT $1, 'order', count(*) FROM todo HAVING count(*) > 0
        ON CONFLICT (store_id, name) DO UPDATE SET value = c.value + excluded.value
        RETURNING value),
      o AS (
        INSERT INTO ${s}.orders (store_id, id, shoppingfeed_id, reference, channel_id, channel_name, status, currency, total_amount,
          product_amount, shipping_amount, tax_amount, buyer_email, shipping_address, billing_address, relay_point, draft,
          created_at, updated_at)
        SELECT $1, 'SO-' || CASE WHEN length(v::text) >= 6 THEN v::text ELSE lpad(v::text, 6, '0') END,
          t.sf, t.reference, t.channel_id, t.channel_name, 'open', t.currency, t.total_amount, t.product_amount, t.shipping_amount,
          t.tax_amount, t.buyer_email, t.shipping_address, t.billing_address, t.relay_point, t.draft, $27, $27
        FROM todo t CROSS JOIN n CROSS JOIN LATERAL (SELECT n.value - t.cnt + t.rn AS v) x
        RETURNING shoppingfeed_id AS sf, id),
      l AS (
        INSERT INTO ${s}.order_lines (store_id, order_id, line_no, item_id, sku, original_reference, channel_reference, name,
          quantity, unit_price, tax_amount, ecotax_amount)
        SELECT $1, o.id, ln.line_no, ln.item_id, ln.sku, ln.original_reference, ln.channel_reference, ln.name, ln.quantity,
          ln.unit_price, ln.tax_amount, ln.ecotax_amount
        FROM ln JOIN todo t ON t.k = ln.k JOIN o ON o.sf = t.sf
        RETURNING 1)
      SELECT d.k, ex.id AS existing, o.id AS created, f.k AS first_k, miss.line_no AS missing, (SELECT count(*) FROM l) AS lines
      FROM d JOIN firsts f ON f.sf = d.sf LEFT JOIN ex ON ex.sf = d.sf LEFT JOIN o ON o.sf = d.sf LEFT JOIN miss ON miss.k = d.k
      ORDER BY d.k`,
    productsAdd: `INSERT INTO ${s}.products (store_id, sku, added_at) SELECT $1, sku, now() FROM unnest($2::text[]) AS sku
                  ON CONFLICT DO NOTHING`,
    // Metrics of many stores at once ($1: store ids); "the newest/oldest one" per store is a LATERAL
    // LIMIT 1 on an index, so a store's years of events are never scanned.
    mTotals: `SELECT store_id, count(*) FILTER (WHERE state IN ('created', 'acknowledged')) AS imported,
                     count(*) FILTER (WHERE state = 'acknowledged') AS acknowledged,
                     count(*) FILTER (WHERE state = 'failed') AS failed
              FROM ${s}.imports WHERE store_id = ANY($1::bigint[]) GROUP BY store_id`,
    mPending: `SELECT store_id, count(*) FILTER (WHERE state IN ('pending', 'sending', 'sent')) AS n,
                      count(DISTINCT shoppingfeed_id) FILTER (WHERE state = 'failed' AND NOT EXISTS (
                        SELECT 1 FROM ${s}.operations r WHERE r.store_id = o.store_id AND r.shoppingfeed_id = o.shoppingfeed_id
                          AND r.operation = o.operation AND r.state IN ('pending', 'sending', 'sent', 'succeeded'))) AS failed
               FROM ${s}.operations o WHERE store_id = ANY($1::bigint[]) AND state IN ('pending', 'sending', 'sent', 'failed') GROUP BY store_id`,
    // Orders to ship: imported, waiting for shipment, and no ship/cancel/refuse on the way or done.
    mUnshipped: `SELECT DISTINCT ON (i.store_id) i.store_id, i.record, count(*) OVER (PARTITION BY i.store_id) AS n FROM ${s}.imports i
                 WHERE i.store_id = ANY($1::bigint[]) AND i.state IN ('created', 'acknowledged') AND i.status IN ('waiting_shipment', 'partially_shipped')
                   AND NOT EXISTS (SELECT 1 FROM ${s}.operations o WHERE o.store_id = i.store_id AND o.shoppingfeed_id = i.shoppingfeed_id
                     AND o.operation IN ('ship', 'cancel', 'refuse') AND o.state NOT IN ('failed', 'canceled'))
                 ORDER BY i.store_id, i.created_at ASC NULLS LAST, i.shoppingfeed_id`,
    mLastCycle: `SELECT ids.id AS store_id, e.kind, e.at, e.data FROM unnest($1::bigint[]) AS ids(id)
                 CROSS JOIN LATERAL (SELECT kind, at, data FROM ${s}.events
                   WHERE store_id = ids.id AND kind IN ('cycle', 'cycle-failed') ORDER BY id DESC LIMIT 1) e`,
    mLastWorker: `SELECT ids.id AS store_id, e.data FROM unnest($1::bigint[]) AS ids(id)
                  CROSS JOIN LATERAL (SELECT data FROM ${s}.events WHERE store_id = ids.id AND kind = 'worker-cycle' ORDER BY id DESC LIMIT 1) e`,
  };
}

module.exports = { PostgresStore, MIGRATIONS, DEFAULT_SCHEMA, migrate };
