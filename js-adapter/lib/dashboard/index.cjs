// @ts-check
'use strict';
// The admin dashboard server: the static page in www/ (which runs the same Wasm engine in the browser)
// plus the JSON API of api.cjs. Binds 127.0.0.1 unless told otherwise; any other bind needs an access
// token, checked on every API call. The Shoppingfeed token is given to the connector (`sync`) only.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { codedError } = require('../errors.cjs');
const { createApi } = require('./api.cjs');
const { createStoresApi } = require('./stores.cjs');
const { carrierList } = require('../carriers.cjs');
const { SECURITY_HEADERS, checkApiRequest, checkHost, isLoopback } = require('./guard.cjs');
const { staticFiles } = require('./static.cjs');

/** Shortest access token accepted. */
const MIN_ACCESS_TOKEN = 16;

/** Where the page lives: the package's own copy (npm), else the repository's www/ next to js-adapter/. */
function defaultWwwDir() {
  const candidates = [path.join(__dirname, '..', '..', 'www'), path.join(__dirname, '..', '..', '..', 'www')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? candidates[candidates.length - 1];
}

/** @param {unknown} v */
function toMs(v) {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  const t = Date.parse(String(v));
  return Number.isNaN(t) ? Date.now() : t;
}

/**
 * @typedef {object} DashboardOptions
 * @property {import('../../index').OrderStore} [store]  the journal and shop orders (SqliteStore: full detail)
 * @property {import('../../index').OrderSync | null} [sync]  the connector; absent: read-only (no ship, cancel, import)
 * @property {import('./stores.cjs').StoreDirectory} [stores]  instead of `store`: many stores (a scale-out), a
 *                                     page listing them with their metrics, each store's orders under it
 * @property {string | null} [readOnlyReason]  why `sync` is absent, shown in the page
 * @property {string} [host]           bind address (default 127.0.0.1)
 * @property {number} [port]           port (default 0: any free one)
 * @property {string | null} [accessToken]  required for a non-loopback bind; checked on every API call
 * @property {string} [wwwDir]         the page (default: the package's www/)
 * @property {Record<string, string>} [carriers]  extra tracking-URL templates (`{trackingNumber}`, `{carrier}`; `{number}` deprecated)
 * @property {() => number | string | Date} [now]  engine time (sandboxes with a manual clock)
 * @property {string[]} [secrets]      strings no answer may carry (give the Shoppingfeed token)
 */

/**
 * @typedef {object} RunningDashboard
 * @property {string} url
 * @property {string} host
 * @property {number} port
 * @property {import('node:http').Server} server
 * @property {() => Promise<void>} close
 */

/**
 * Builds the request handler (no socket).
 * @param {DashboardOptions} options
 */
function createDashboardHandler(options) {
  const store = options.store;
  const multi = options.stores ?? null;
  if (multi && (typeof multi.list !== 'function' || typeof multi.open !== 'function')) {
    throw codedError('ConfigError', 'Config', 'stores must be a directory with list() and open(id)', { field: 'stores' });
  }
  if (!multi && (!store || typeof store.loadImports !== 'function' || typeof store.operations !== 'function' || typeof store.listOrders !== 'function')) {
    throw codedError('ConfigError', 'Config', 'the dashboard needs a store with loadImports, operations and listOrders', { field: 'store' });
  }
  const wwwDir = options.wwwDir ?? defaultWwwDir();
  if (!fs.existsSync(path.join(wwwDir, 'index.html'))) {
    throw codedError('ConfigError', 'DashboardMissing', `the dashboard page is missing: no index.html in ${wwwDir}`, { field: 'wwwDir' });
  }
  if (!fs.existsSync(path.join(wwwDir, 'pkg', 'shoppingfeed_orders_bg.wasm'))) {
    throw codedError('ConfigError', 'EngineMissing', `the browser engine is missing in ${path.join(wwwDir, 'pkg')}: run \`make build\``, { field: 'wwwDir' });
  }
  const accessToken = options.accessToken || null;
  const nowFn = options.now ? () => toMs(/** @type {() => any} */ (options.now)()) : () => Date.now();
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  // A many-store dashboard says so in the page itself, so the page's first requests are the stores'
  // (not a one-store view's, answered 404 here) while the engine loads.
  const indexFile = path.resolve(wwwDir, 'index.html');
  const files = staticFiles(wwwDir, multi
    ? { transform: (file, raw) => (file === indexFile ? Buffer.from(raw.toString('utf8').replace('<html lang="en">', '<html lang="en" data-mode="stores">')) : raw) }
    : {});
  const common = {
    now: nowFn,
    carriers: carrierList(options.carriers ?? {}),
    secrets: (options.secrets ?? []).filter((s) => typeof s === 'string' && s.length >= 4),
    accessToken: Boolean(accessToken),
    version,
  };
  const api = multi
    ? createStoresApi({ directory: multi, ...common })
    : createApi({ store: /** @type {any} */ (store), sync: options.sync ?? null, readOnlyReason: options.readOnlyReason ?? null, ...common });
  const guard = { accessToken };
  /** @type {Record<string, string>} */
  const headers = { ...SECURITY_HEADERS };

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {number} status @param {any} body
   */
  function sendJson(req, res, status, body) {
    let data = Buffer.from(JSON.stringify(body));
    /** @type {Record<string, string | number>} */
    const h = { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' };
    if (status === 401) h['WWW-Authenticate'] = 'Bearer realm="shoppingfeed-orders dashboard"';
    if (data.length > 1400 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      data = zlib.gzipSync(data, { level: 6 });
      h['Content-Encoding'] = 'gzip';
    }
    h['Content-Length'] = data.length;
    res.writeHead(status, h);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function handler(req, res) {
    try {
      const bad = checkHost(req, guard);
      if (bad) return sendJson(req, res, bad.status, { error: { code: bad.code, message: bad.message } });
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
        const refused = checkApiRequest(req, guard);
        if (refused) {
          req.resume();
          return sendJson(req, res, refused.status, { error: { code: refused.code, message: refused.message } });
        }
        if (!['GET', 'HEAD', 'POST'].includes(String(req.method))) {
          req.resume();
          return sendJson(req, res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed` } });
        }
        const { status, body } = await api.handle(req, url, url.pathname.slice('/api/'.length));
        return sendJson(req, res, status, body);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        req.resume();
        return sendJson(req, res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed` } });
      }
      if (files.serve(req, res, url.pathname, headers)) return undefined;
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      return res.end('not found\n');
    } catch (err) {
      if (res.headersSent) return res.destroy();
      return sendJson(req, res, 500, { error: { code: 'Error', message: 'internal error' } });
    }
  }

  return { handler, api, files };
}

/**
 * Starts the dashboard. Refuses a non-loopback bind without an access token (`AccessTokenRequired`).
 * @param {DashboardOptions} options
 * @returns {Promise<RunningDashboard>}
 */
async function startDashboard(options) {
  const host = options.host ?? '127.0.0.1';
  const accessToken = options.accessToken || null;
  if (!isLoopback(host) && !accessToken) {
    throw codedError('ConfigError', 'AccessTokenRequired', `binding ${host} makes the dashboard reachable from other machines: give an access token, or bind 127.0.0.1`, { field: 'accessToken' });
  }
  if (accessToken && accessToken.length < MIN_ACCESS_TOKEN) {
    throw codedError('ConfigError', 'Config', `the access token must have at least ${MIN_ACCESS_TOKEN} characters`, { field: 'accessToken' });
  }
  const { handler, files, api } = createDashboardHandler(options);
  const server = http.createServer((req, res) => {
    handler(req, res);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  // Ready before the first browser asks (a failure here only means compressing on first request).
  await files.warm().catch(() => {});
  api.overview.get().catch(() => {});
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const urlHost = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : shown;
  let closed = false;
  return {
    url: `http://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    server,
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

module.exports = { startDashboard, createDashboardHandler, defaultWwwDir, isLoopback, MIN_ACCESS_TOKEN };
