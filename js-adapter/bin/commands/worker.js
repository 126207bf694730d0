// @ts-check
// `shoppingfeed-orders worker`: runs the registered stores' cycles from the BullMQ queue on the shared
// PostgreSQL journal, until SIGTERM/SIGINT (the running cycles finish first).
import { createRequire } from 'node:module';
import { UsageError, describe, loadScale, parse, pkg } from '../common.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../lib/scale/cli.cjs')} */
const cli = require('../../lib/scale/cli.cjs');

const USAGE = `usage: shoppingfeed-orders worker --redis URL --postgres URL [--concurrency N]

  --redis URL          SHOPPINGFEED_REDIS_URL     the queue and the store registry (redis://host:port)
  --postgres URL       SHOPPINGFEED_POSTGRES_URL  the shared journal (postgres://user@host:port/db)
  --concurrency N      cycles of different stores run side by side in this process (default 4)
  --queue NAME         SHOPPINGFEED_QUEUE         queue name (default shoppingfeed-orders)
  --schema NAME        SHOPPINGFEED_PG_SCHEMA     PostgreSQL schema (default shoppingfeed_orders)
  --lock-ms MS         job lease: the cycle of a worker that died goes to another one after it
                       (default 30000); the store lock in PostgreSQL is freed as soon as it dies
  --quiet, -q          no line per cycle on stderr
  --json               one JSON object per event on stdout: {"event":"cycle-start"|"cycle"|"cycle-failed"|"skipped",...}

Stores are registered with 'shoppingfeed-orders stores add'; each store's token is read, at every
cycle, from its token reference (env:NAME, file:/path, file:/path#KEY) in this process's environment
and files. SIGTERM or SIGINT: no new cycle starts, the running ones finish, then exit 0.
Engine logs as JSON lines on stderr with SHOPPINGFEED_LOG=debug|info|warn|error.
`;

/** @param {number} ms */
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'run store cycles from the BullMQ queue on the shared PostgreSQL journal (scale-out)',
  usage: USAGE,
  async run(args) {
    try {
      const { values, positionals } = parse(args, {
        redis: { type: 'string' },
        postgres: { type: 'string' },
        concurrency: { type: 'string' },
        queue: { type: 'string' },
        schema: { type: 'string' },
        'lock-ms': { type: 'string' },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      for (const g of ['token', 'store-id', 'db']) {
        if (values[g] !== undefined) throw new UsageError(`--${g} does not apply to the worker: stores and their token references are registered with 'shoppingfeed-orders stores add'`);
      }
      const c = cli.connections(values);
      if (!c.redis) throw new UsageError('no Redis: pass --redis URL or set SHOPPINGFEED_REDIS_URL');
      if (!c.postgres) throw new UsageError('no PostgreSQL: pass --postgres URL or set SHOPPINGFEED_POSTGRES_URL');
      const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency must be a whole number from 1 to 256');
      const lockMs = values['lock-ms'] === undefined ? 30_000 : Number(values['lock-ms']);
      if (!Number.isInteger(lockMs) || lockMs < 1000) throw new UsageError('--lock-ms must be a whole number of milliseconds, at least 1000');

      const scale = loadScale();
      await cli.checkRedis(c.redis);
      await cli.checkPostgres(c.postgres);

      const note = (/** @type {string} */ line) => {
        if (!values.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      };
      const out = (/** @type {string} */ event, /** @type {any} */ data) => {
        if (values.json) process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
      };
      const w = await scale.startWorker({
        redis: c.redis,
        postgres: c.postgres,
        concurrency,
        queue: c.queue,
        schema: c.schema,
        lockDurationMs: lockMs,
        logger: process.env.SHOPPINGFEED_LOG ? pkg.jsonLogger({ level: /** @type {any} */ (process.env.SHOPPINGFEED_LOG) }) : false,
      });
      w.on('cycle-start', (/** @type {any} */ e) => out('cycle-start', e));
      w.on('cycle', (/** @type {any} */ r) => {
        out('cycle', r);
        const api = r.durationMs > 0 ? Math.round((100 * r.apiMs) / r.durationMs) : 0;
        note(`store ${r.storeId}: imported ${r.imported}, acknowledged ${r.acknowledged}, failed ${r.failed}, sent ${r.sent}`
          + `${r.pending ? `, ${r.pending} operations pending` : ''} (${secs(r.durationMs)}, ${api} % waiting on the API)`);
      });
      w.on('cycle-failed', (/** @type {any} */ r) => {
        out('cycle-failed', r);
        note(`store ${r.storeId}: cycle failed: ${describe(r.error).line} (${r.error.code})`);
      });
      w.on('skipped', (/** @type {any} */ r) => {
        out('skipped', r);
        if (r.retryInMs == null) note(`store ${r.storeId}: held elsewhere for too long (${r.reason}); left to the next scheduled cycle`);
        else if (r.reason === 'locked') note(`store ${r.storeId}: another process holds it; back in ${secs(r.retryInMs)}`);
        else note(`store ${r.storeId}: skipped (${r.reason})`);
      });
      w.on('error', (/** @type {Error} */ err) => note(`worker: ${err.message}`));
      out('ready', { worker: w.id, pid: process.pid, concurrency });
      note(`worker ${w.id} ready: up to ${concurrency} cycle(s) at once (SIGTERM or Ctrl-C to stop)`);

      await new Promise((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          note('stopping: no new cycle; waiting for the running ones…');
          out('stopping', { worker: w.id, pid: process.pid });
          w.close().then(resolve, (/** @type {Error} */ err) => {
            note(`worker: ${err.message}`);
            resolve(undefined);
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      const s = w.stats();
      out('stopped', { worker: w.id, pid: process.pid, ...s });
      note(`stopped after ${s.cycles} cycle(s), ${s.imported} order(s) imported`);
      // Everything is closed; should a library keep a timer alive, do not hang on it.
      setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
      return 0;
    } catch (err) {
      const d = describe(err);
      process.stderr.write(`shoppingfeed-orders worker: ${d.line}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
      return d.code;
    }
  },
};
