// @ts-check
// `shoppingfeed-orders dashboard`: the admin page (www/, the Wasm engine in the browser) and its JSON API
// over the store (SQLite, or one store of a scale-out's PostgreSQL journal), or over every store of a
// scale-out (Redis + PostgreSQL: a list with their metrics, then each store's orders), until
// SIGINT/SIGTERM. Ship, cancel and "import now" go through the connector on this side; the Shoppingfeed
// token never reaches the browser.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GLOBAL_USAGE, UsageError, describe, openConnector, openStoreDirectory, parse, settings } from '../common.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../lib/dashboard/index.cjs')} */
const dashboard = require('../../lib/dashboard/index.cjs');
/** @type {typeof import('../../lib/carriers.cjs')} */
const carriers = require('../../lib/carriers.cjs');

const USAGE = `usage: shoppingfeed-orders dashboard [--db FILE] [--port P] [--host H] [--access-token T] [--carrier NAME=URL ...]

  --port P              port (default 8470; 0 = any free port)
  --host H              bind address (default 127.0.0.1). Anything that is not loopback makes the
                        dashboard reachable from other machines and requires an access token
  --access-token T      SHOPPINGFEED_DASHBOARD_TOKEN; at least ${dashboard.MIN_ACCESS_TOKEN} characters, asked by the page and
                        checked on every API call (open the page, or pass it once as URL#access=T)
  --carrier NAME=URL    tracking-URL template of a carrier for the ship form: {trackingNumber} marks the
                        tracking number, {carrier} the carrier name ({number} still read, deprecated)
                        (repeat; replaces a default of the same name; NAME= removes it). Also read from
                        SHOPPINGFEED_CARRIERS (NAME=URL;NAME=URL), which \`ship --carrier\` uses too

Without an API token the dashboard is read-only (no ship, cancel or import); the token stays on this
side, it is never sent to the browser.

Scale-out: with --postgres and --redis and no --store-id, the page lists every registered store with its
metrics (last cycle, imported, failed, pending operations, oldest order to ship against its deadline) and
opens each one's orders; tokens come from the stores' references, "Import now" queues a cycle for the
workers. With --store-id, one store of the PostgreSQL journal.

${GLOBAL_USAGE}
`;

const DEFAULT_PORT = 8470;

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'serve the admin dashboard (orders, detail, ship form, sync log) over the store',
  usage: USAGE,
  async run(args) {
    let token = '';
    try {
      const { values, positionals } = parse(args, {
        port: { type: 'string' },
        host: { type: 'string' },
        'access-token': { type: 'string' },
        carrier: { type: 'string', multiple: true },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const s = settings(values);
      token = s.token;
      const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a whole number from 0 to 65535');
      const host = values.host ?? '127.0.0.1';
      const accessToken = values['access-token'] ?? process.env.SHOPPINGFEED_DASHBOARD_TOKEN ?? '';
      if (!dashboard.isLoopback(host) && !accessToken) {
        throw new UsageError(`--host ${host} makes the dashboard reachable from other machines: give --access-token (or SHOPPINGFEED_DASHBOARD_TOKEN), or bind 127.0.0.1`);
      }
      if (accessToken && accessToken.length < dashboard.MIN_ACCESS_TOKEN) {
        throw new UsageError(`--access-token must have at least ${dashboard.MIN_ACCESS_TOKEN} characters`);
      }
      let extra;
      try {
        extra = { ...carriers.carriersFromEnv(process.env.SHOPPINGFEED_CARRIERS), ...carriers.parseCarrierSpecs(values.carrier ?? []) };
        carriers.carrierList(extra);
      } catch (err) {
        throw new UsageError(/** @type {Error} */ (err).message);
      }
      const note = (/** @type {string} */ line) => { if (!values.quiet) process.stderr.write(`${line}\n`); };
      /** @type {{ store?: any, sync?: any, stores?: any, where: string, close: () => Promise<void> }} */
      let opened;
      if (s.postgres && s.redis && s.storeId === undefined) {
        const d = await openStoreDirectory(s);
        opened = { stores: d.directory, where: d.where, close: d.close };
      } else {
        const isNew = !s.postgres && s.db !== ':memory:' && !existsSync(s.db);
        const c = await openConnector(s, { sync: Boolean(s.token || s.redis), options: { logger: false, retry: { maxAttempts: 3 } } });
        if (isNew) note(`note: ${s.db} did not exist; the store is new and empty`);
        if (!c.sync) note('no API token (--token / SHOPPINGFEED_TOKEN): read-only, no ship, cancel or import');
        opened = { store: c.store, sync: c.sync, where: c.where, close: c.close };
      }
      let running;
      try {
        running = await dashboard.startDashboard({
          ...(opened.stores ? { stores: opened.stores } : { store: opened.store, sync: opened.sync }),
          host, port, accessToken: accessToken || null, carriers: extra, secrets: [s.token],
        });
      } catch (err) {
        await opened.close();
        const e = /** @type {any} */ (err);
        // Not a mistake in the arguments' form: the line alone, without the usage text.
        if (e.code === 'EADDRINUSE') throw Object.assign(new UsageError(`port ${port} is in use: choose another with --port (0 = any free port)`), { brief: true });
        if (e.code === 'EADDRNOTAVAIL') throw Object.assign(new UsageError(`cannot bind ${host}: not an address of this machine`), { brief: true });
        if (e.name === 'ConfigError') throw new UsageError(e.message);
        throw err;
      }
      const readOnly = !opened.stores && !opened.sync;
      if (values.json) process.stdout.write(`${JSON.stringify({ url: running.url, host: running.host, port: running.port, readOnly, stores: Boolean(opened.stores), accessToken: Boolean(accessToken) })}\n`);
      else process.stdout.write(`url: ${running.url}\n`);
      note(`dashboard on ${running.url} (${opened.stores ? opened.where : `store ${opened.where}`}${accessToken ? '; access token required' : ''}) — Ctrl-C to stop`);
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      note('stopping…');
      await running.close();
      await opened.close();
      return 0;
    } catch (err) {
      const d = describe(err, token);
      process.stderr.write(`shoppingfeed-orders dashboard: ${d.line}\n${err instanceof UsageError && !(/** @type {any} */ (err).brief) ? '\n' + USAGE : ''}`);
      return d.code;
    }
  },
};
