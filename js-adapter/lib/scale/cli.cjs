// @ts-check
'use strict';
// What `shoppingfeed-orders worker` and `shoppingfeed-orders stores` share: loading the scale-out
// modules (their optional dependencies named when missing), the connection settings (flags, then
// environment), and a quick reachability check so a wrong URL fails at once instead of retrying.

const SCALE_DEPS = 'npm install bullmq ioredis pg';
const PG = 'pg';

/**
 * The scale-out API; a missing optional dependency becomes an error naming the install command.
 * @returns {typeof import('./index.cjs')}
 */
function loadScale() {
  try {
    return require('./index.cjs');
  } catch (err) {
    const e = /** @type {any} */ (err);
    const m = /Cannot find module '([^']+)'/.exec(String(e.message));
    if (e.code === 'MODULE_NOT_FOUND' && m && ['bullmq', 'ioredis', 'pg'].includes(m[1])) {
      const missing = new Error(`scale-out needs ${m[1]}: ${SCALE_DEPS}`);
      /** @type {any} */ (missing).code = 'MissingDependency';
      throw missing;
    }
    throw err;
  }
}

/**
 * Connection settings from flags, then the environment.
 * @param {Record<string, any>} v
 */
function connections(v) {
  return {
    redis: v.redis ?? process.env.SHOPPINGFEED_REDIS_URL ?? '',
    postgres: v.postgres ?? process.env.SHOPPINGFEED_POSTGRES_URL ?? '',
    queue: v.queue ?? process.env.SHOPPINGFEED_QUEUE ?? undefined,
    schema: v.schema ?? process.env.SHOPPINGFEED_PG_SCHEMA ?? undefined,
  };
}

/** A URL with its password masked, for messages. @param {string} url */
function safeUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Fails within `timeoutMs` when Redis does not answer PING.
 * @param {string} url @param {number} [timeoutMs]
 */
async function checkRedis(url, timeoutMs = 5000) {
  const { Redis } = require('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw Object.assign(new Error(`cannot reach Redis at ${safeUrl(url)}: ${/** @type {Error} */ (err).message}`), { code: 'Unreachable' });
  } finally {
    r.disconnect();
  }
}

/**
 * Fails within `timeoutMs` when PostgreSQL does not answer.
 * @param {string} url @param {number} [timeoutMs]
 */
async function checkPostgres(url, timeoutMs = 5000) {
  /** @type {any} */
  const pg = require(PG);
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    throw Object.assign(new Error(`cannot reach PostgreSQL at ${safeUrl(url)}: ${/** @type {Error} */ (err).message}`), { code: 'Unreachable' });
  } finally {
    await c.end().catch(() => {});
  }
}

module.exports = { loadScale, connections, checkRedis, checkPostgres, safeUrl, SCALE_DEPS };
