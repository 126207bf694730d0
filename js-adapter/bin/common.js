// @ts-check
// What every connector command shares: global options (flags, then environment), opening the store
// (a SQLite file, or one store of a scale-out's PostgreSQL journal) with its connector, and turning
// errors into one line and an exit code (0 done, 1 runtime failure, 2 usage).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
/** @type {typeof import('../index.cjs')} */
export const pkg = require('../index.cjs');
/** @type {typeof import('../lib/scale/cli.cjs')} */
const scaleCli = require('../lib/scale/cli.cjs');

export class UsageError extends Error {}

/** Options every connector command accepts. */
export const GLOBAL_OPTIONS = /** @type {const} */ ({
  'api-url': { type: 'string' },
  token: { type: 'string' },
  'store-id': { type: 'string' },
  db: { type: 'string' },
  postgres: { type: 'string' },
  redis: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
});

export const GLOBAL_USAGE = `global options (flag, else environment variable):
  --api-url URL     SHOPPINGFEED_API_URL   (default https://api.shopping-feed.com)
  --token TOKEN     SHOPPINGFEED_TOKEN     (never printed or logged)
  --store-id ID     SHOPPINGFEED_STORE_ID  (default: the token's only store, from GET /v1/me)
  --db FILE         SHOPPINGFEED_DB        (SQLite file; default ./shoppingfeed-orders.db)
  --postgres URL    SHOPPINGFEED_POSTGRES_URL  a scale-out's shared journal instead of the SQLite file
                    (one store of it: --store-id, or the token's only store); --db wins over the variable
  --redis URL       SHOPPINGFEED_REDIS_URL     with --postgres: the store's registered token reference is
                    used when --token is not given, and an operation recorded here wakes its workers
  --quiet, -q       no progress or summary on stderr
  --json            machine-readable output on stdout`;

/**
 * Parses `args` with the global options plus `own`.
 * @template {Record<string, any>} T
 * @param {string[]} args
 * @param {T} own
 */
export function parse(args, own) {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...own }, allowPositionals: true, strict: true });
    return { values: /** @type {Record<string, any>} */ (values), positionals };
  } catch (err) {
    throw new UsageError(/** @type {Error} */ (err).message);
  }
}

/** Global settings from flags, then the environment. @param {Record<string, any>} v */
export function settings(v) {
  const storeId = v['store-id'] ?? process.env.SHOPPINGFEED_STORE_ID;
  if (storeId !== undefined && storeId !== '' && !/^\d+$/.test(String(storeId))) throw new UsageError(`--store-id must be a number, got '${storeId}'`);
  if (v.db !== undefined && v.postgres !== undefined) throw new UsageError('--db and --postgres: give one store, not both');
  // An explicit --db is a choice; the environment's PostgreSQL URL (set for workers) is only a default.
  const postgres = v.db !== undefined ? '' : v.postgres ?? process.env.SHOPPINGFEED_POSTGRES_URL ?? '';
  return {
    apiUrl: v['api-url'] ?? process.env.SHOPPINGFEED_API_URL ?? pkg.DEFAULT_API_URL,
    apiUrlGiven: v['api-url'] !== undefined || Boolean(process.env.SHOPPINGFEED_API_URL),
    token: v.token ?? process.env.SHOPPINGFEED_TOKEN ?? '',
    storeId: storeId ? Number(storeId) : undefined,
    db: v.db ?? process.env.SHOPPINGFEED_DB ?? './shoppingfeed-orders.db',
    postgres,
    redis: postgres ? v.redis ?? process.env.SHOPPINGFEED_REDIS_URL ?? '' : '',
    schema: process.env.SHOPPINGFEED_PG_SCHEMA || undefined,
    queue: process.env.SHOPPINGFEED_QUEUE || undefined,
  };
}

/**
 * @typedef {object} Connector
 * @property {any} store           the journal and shop orders
 * @property {import('../index').OrderSync | null} sync  null when not asked for
 * @property {string} where        the store, for messages (never a password)
 * @property {number | undefined} storeId
 * @property {() => Promise<void>} close
 */

/** The scale-out modules, a missing optional dependency turned into a usage error naming it. */
export function loadScale() {
  try {
    return scaleCli.loadScale();
  } catch (err) {
    if (/** @type {any} */ (err).code === 'MissingDependency') throw new UsageError(/** @type {Error} */ (err).message);
    throw err;
  }
}

/**
 * Opens the store the settings name and, with `sync`, the connector over it. PostgreSQL: one store of
 * the shared journal; with Redis as well, the store's registration gives the token (unless --token)
 * and the API URL, and an operation recorded here queues a cycle so a worker sends it.
 * @param {ReturnType<typeof settings>} s
 * @param {{ sync?: boolean, options?: Partial<import('../index').OrderSyncOptions> }} [want]
 * @returns {Promise<Connector>}
 */
export async function openConnector(s, want = {}) {
  const extra = want.options ?? {};
  if (!s.postgres) {
    if (want.sync) requireToken(s);
    const store = openStore(s.db);
    const sync = want.sync ? pkg.createOrderSync({ apiUrl: s.apiUrl, token: s.token, storeId: s.storeId, store, ...extra }) : null;
    return { store, sync, where: s.db, storeId: s.storeId, close: async () => store.close?.() };
  }
  const scale = loadScale();
  await scaleCli.checkPostgres(s.postgres);
  let storeId = s.storeId;
  if (storeId === undefined) {
    if (!s.token) throw new UsageError('--postgres holds many stores: name one with --store-id ID');
    const seen = await pkg.discoverStores({ apiUrl: s.apiUrl, token: s.token });
    if (seen.length !== 1) {
      throw new UsageError(`--postgres holds many stores and the token sees ${seen.length ? seen.map((/** @type {any} */ x) => x.id).join(', ') : 'none'}: name one with --store-id ID`);
    }
    storeId = Number(seen[0].id);
  }
  const where = `store ${storeId} in ${scaleCli.safeUrl(s.postgres)}`;
  if (s.redis) {
    await scaleCli.checkRedis(s.redis);
    const handle = scale.openScale({ redis: s.redis, postgres: s.postgres, queue: s.queue, schema: s.schema });
    try {
      const entry = await handle.getStore(storeId);
      if (!entry) throw new UsageError(`store ${storeId} is not registered in ${scaleCli.safeUrl(s.redis)} (shoppingfeed-orders stores list)`);
      const overrides = { ...extra, ...(s.token ? { token: s.token } : {}), ...(s.apiUrlGiven ? { apiUrl: s.apiUrl } : {}) };
      const sync = want.sync ? await handle.orderSync(storeId, overrides) : null;
      return { store: handle.store(storeId), sync, where, storeId, close: () => handle.close() };
    } catch (err) {
      await handle.close();
      const e = /** @type {any} */ (err);
      // The store's token reference names a variable or file this machine does not have.
      if (e.code === 'TokenMissing' || e.code === 'TokenRef') throw new UsageError(`${e.message} (or pass --token)`);
      throw err;
    }
  }
  if (want.sync) requireToken(s);
  const store = new pkg.PostgresStore({ connectionString: s.postgres, storeId, ...(s.schema ? { schema: s.schema } : {}) });
  const sync = want.sync ? pkg.createOrderSync({ apiUrl: s.apiUrl, token: s.token, storeId, store, ...extra }) : null;
  return { store, sync, where, storeId, close: () => store.close() };
}

/** The token is required for anything that talks to Shoppingfeed. @param {{token: string}} s */
export function requireToken(s) {
  if (!s.token) throw new UsageError('no API token: pass --token or set SHOPPINGFEED_TOKEN');
}

/** @param {string} file */
export function openStore(file) {
  try {
    return new pkg.SqliteStore(file);
  } catch (err) {
    const e = /** @type {any} */ (err);
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('better-sqlite3')) throw new UsageError('the SQLite store needs better-sqlite3: npm install better-sqlite3@12');
    // A file that cannot be opened (permissions, busy, corrupt) is a runtime failure, not a usage error.
    throw pkg.codedError('StoreError', 'StoreFailed', `cannot open the store ${file}: ${e.message}`);
  }
}

/**
 * Every registered store of a scale-out, for the dashboard: the Redis registry lists them, each with
 * its metrics from PostgreSQL; a store opens with its journal and a connector whose token comes from
 * its reference (read-only, saying why, when this machine cannot read it). "Import now" queues a cycle.
 * @param {ReturnType<typeof settings>} s
 */
export async function openStoreDirectory(s) {
  const scale = loadScale();
  await scaleCli.checkRedis(s.redis);
  await scaleCli.checkPostgres(s.postgres);
  const handle = scale.openScale({ redis: s.redis, postgres: s.postgres, queue: s.queue, schema: s.schema });
  /** @type {import('../lib/dashboard/stores.cjs').StoreDirectory} */
  const directory = {
    list: () => handle.overview(),
    async open(id) {
      if (!(await handle.getStore(id))) return null;
      let sync = null;
      let readOnlyReason = null;
      try {
        sync = await handle.orderSync(id, { ...(s.token ? { token: s.token } : {}), retry: { maxAttempts: 3 } });
      } catch (err) {
        readOnlyReason = `no token for store ${id} here: ${/** @type {Error} */ (err).message}`;
      }
      return { store: handle.store(id), sync, readOnlyReason, runNow: () => handle.runNow(id) };
    },
  };
  return { directory, close: () => handle.close(), where: `the stores registered in ${scaleCli.safeUrl(s.redis)}` };
}

/** Engine/adapter errors that are the caller's to fix: exit 2. Every `ShipmentError` is (the ship guard's
 * refusals, whatever rule it adds), so they are told by name, not listed code by code. */
const USAGE_CODES = new Set([
  'Config', 'AmbiguousStore', 'NoStore', 'InvalidArgument', 'NotAllowed', 'Duplicate', 'Unsupported', 'UnknownOrder',
  'AlreadyShipped', 'ShipmentPending',
]);

/**
 * One line for a failure, never a stack trace; the token is masked should any message carry it.
 * @param {unknown} err
 * @param {string} [token]
 * @returns {{ code: number, line: string, errorCode: string }}
 */
export function describe(err, token) {
  const e = /** @type {any} */ (err);
  const mask = (/** @type {string} */ s) => (token ? s.split(token).join('[token]') : s);
  if (e instanceof UsageError) return { code: 2, line: mask(e.message), errorCode: 'Usage' };
  const errorCode = typeof e?.code === 'string' ? e.code : 'Error';
  if (errorCode === 'Unauthorized') {
    return { code: 1, line: 'Shoppingfeed did not authorize this token (403): check SHOPPINGFEED_TOKEN / --token and the store id', errorCode };
  }
  const line = mask(String(e?.message ?? e));
  return { code: USAGE_CODES.has(errorCode) || e?.name === 'ShipmentError' ? 2 : 1, line, errorCode };
}
