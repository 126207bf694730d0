// @ts-check
// What every connector command shares: global options (flags, then environment), opening the SQLite
// store, and turning errors into one line and an exit code (0 done, 1 runtime failure, 2 usage).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
/** @type {typeof import('../index.cjs')} */
export const pkg = require('../index.cjs');

export class UsageError extends Error {}

/** Options every connector command accepts. */
export const GLOBAL_OPTIONS = /** @type {const} */ ({
  'api-url': { type: 'string' },
  token: { type: 'string' },
  'store-id': { type: 'string' },
  db: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
});

export const GLOBAL_USAGE = `global options (flag, else environment variable):
  --api-url URL     SHOPPINGFEED_API_URL   (default https://api.shopping-feed.com)
  --token TOKEN     SHOPPINGFEED_TOKEN     (never printed or logged)
  --store-id ID     SHOPPINGFEED_STORE_ID  (default: the token's only store, from GET /v1/me)
  --db FILE         SHOPPINGFEED_DB        (SQLite file; default ./shoppingfeed-orders.db)
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
  return {
    apiUrl: v['api-url'] ?? process.env.SHOPPINGFEED_API_URL ?? pkg.DEFAULT_API_URL,
    token: v.token ?? process.env.SHOPPINGFEED_TOKEN ?? '',
    storeId: storeId ? Number(storeId) : undefined,
    db: v.db ?? process.env.SHOPPINGFEED_DB ?? './shoppingfeed-orders.db',
  };
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

/** Engine/adapter errors that are the caller's to fix: exit 2. */
const USAGE_CODES = new Set([
  'Config', 'AmbiguousStore', 'NoStore', 'InvalidArgument', 'NotAllowed', 'Duplicate', 'Unsupported', 'UnknownOrder',
  'CarrierMissing', 'CarrierInvalid', 'TrackingNumberMissing', 'TrackingNumberPlaceholder', 'TrackingNumberInvalid',
  'TrackingUrlInvalid', 'ItemUnknown', 'ItemRepeated', 'ItemQuantity', 'PartialShipUnsupported', 'AlreadyShipped',
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
  return { code: USAGE_CODES.has(errorCode) ? 2 : 1, line, errorCode };
}
