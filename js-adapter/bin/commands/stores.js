// @ts-check
// `shoppingfeed-orders stores add|list|remove|run`: the stores the workers serve (registry in Redis,
// a repeatable cycle job each), and their metrics from the shared PostgreSQL journal.
import { createRequire } from 'node:module';
import { UsageError, describe, loadScale, parse, pkg, settings } from '../common.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../lib/scale/cli.cjs')} */
const cli = require('../../lib/scale/cli.cjs');

const USAGE = `usage: shoppingfeed-orders stores add ID --token-ref REF [--every MIN] [options]
       shoppingfeed-orders stores list [--json]
       shoppingfeed-orders stores remove ID
       shoppingfeed-orders stores run ID

  add ID               register a Shoppingfeed store (again: update it); its first cycle is queued at once
    --token-ref REF    where every worker reads the store's token — never the token itself:
                         env:NAME            the worker's environment variable NAME (upper case)
                         file:/path          a file holding the token
                         file:/path#KEY      key KEY of a JSON file, or the KEY=value line of a .env file
    --every MIN        minutes between cycles (default 10; decimals allowed)
    --name NAME        a label for people
    --api-url URL      SHOPPINGFEED_API_URL (default https://api.shopping-feed.com)
    --since-days N     import orders created in the last N days (default 7)
    --auto-accept, --import-fulfilled, --include-test   as for 'sync'
    --skip-check       do not check now that the reference's token sees the store
  list                 the stores, their schedule and metrics: last cycle, imported, failed, pending
                       operations, operations the marketplace refused (orders not retried), oldest order
                       to ship against its deadline (metrics need --postgres);
                       LATE (json: "late": true) when no cycle ran for two periods: are the workers up?
  remove ID            unregister the store and its schedule (its journal stays in PostgreSQL)
  run ID               queue a cycle of the store now

  --redis URL          SHOPPINGFEED_REDIS_URL
  --postgres URL       SHOPPINGFEED_POSTGRES_URL   (list: metrics)
  --queue NAME         SHOPPINGFEED_QUEUE          (default shoppingfeed-orders)
  --schema NAME        SHOPPINGFEED_PG_SCHEMA      (default shoppingfeed_orders)
  --json               machine-readable output on stdout
  --quiet, -q          no notes on stderr

Exit codes: 0 done, 1 runtime failure (unreachable Redis, API), 2 usage (bad ID or reference, unknown store).
`;

/** @param {string | undefined} v @param {string} what */
function storeIdArg(v, what) {
  if (v === undefined) throw new UsageError(`${what} needs a store ID`);
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`ID must be a Shoppingfeed store id (digits), got '${v}'`);
  return Number(v);
}

/** @param {any} d */
function deadlineText(d) {
  if (!d) return '';
  if (d.state === 'none' || d.secondsLeft == null) return 'no deadline';
  const h = Math.abs(d.secondsLeft) / 3600;
  const span = h >= 48 ? `${Math.round(h / 24)} d` : h >= 1 ? `${Math.round(h)} h` : `${Math.round(h * 60)} min`;
  return d.secondsLeft < 0 ? `overdue by ${span}` : `${span} left${d.state === 'at_risk' ? ' (at risk)' : ''}`;
}

/** @param {string[][]} rows */
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'register the stores the workers serve (add, list with metrics, remove, run now)',
  usage: USAGE,
  async run(args) {
    /** @type {any} */
    let scale = null;
    try {
      const { values, positionals } = parse(args, {
        redis: { type: 'string' },
        postgres: { type: 'string' },
        queue: { type: 'string' },
        schema: { type: 'string' },
        'token-ref': { type: 'string' },
        every: { type: 'string' },
        name: { type: 'string' },
        'since-days': { type: 'string' },
        'auto-accept': { type: 'boolean' },
        'import-fulfilled': { type: 'boolean' },
        'include-test': { type: 'boolean' },
        'skip-check': { type: 'boolean' },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      const [action, ...rest] = positionals;
      if (!['add', 'list', 'remove', 'run'].includes(action ?? '')) {
        throw new UsageError(action === undefined ? 'name an action: add, list, remove or run' : `unknown action '${action}' (add, list, remove, run)`);
      }
      if (values.token !== undefined) throw new UsageError('--token is not stored: register a reference with --token-ref env:NAME or --token-ref file:/path');
      if (rest.length > (action === 'list' ? 0 : 1)) throw new UsageError(`unexpected argument '${rest[action === 'list' ? 0 : 1]}'`);
      const c = cli.connections(values);
      if (!c.redis) throw new UsageError('no Redis: pass --redis URL or set SHOPPINGFEED_REDIS_URL');
      const note = (/** @type {string} */ line) => {
        if (!values.quiet) process.stderr.write(`${line}\n`);
      };
      const api = loadScale();

      // Everything that can be refused is refused before connecting.
      /** @type {any} */
      let entry = null;
      if (action === 'add') {
        const id = storeIdArg(rest[0], 'add');
        const ref = values['token-ref'];
        if (!ref) throw new UsageError('add needs --token-ref env:NAME | file:/path | file:/path#KEY');
        try {
          api.parseTokenRef(ref);
        } catch (err) {
          throw new UsageError(/** @type {Error} */ (err).message);
        }
        const every = values.every === undefined ? undefined : Number(values.every);
        if (every !== undefined && !(every >= 1 / 60 && every <= 7 * 24 * 60)) throw new UsageError('--every must be a number of minutes from 0.017 (1 s) to 10080 (a week)');
        const sinceDays = values['since-days'] === undefined ? undefined : Number(values['since-days']);
        if (sinceDays !== undefined && !(Number.isInteger(sinceDays) && sinceDays >= 1 && sinceDays <= 90)) throw new UsageError('--since-days must be a whole number from 1 to 90');
        const s = settings(values);
        entry = {
          id,
          tokenRef: ref,
          ...(every !== undefined ? { everyMinutes: every } : {}),
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values['api-url'] !== undefined || process.env.SHOPPINGFEED_API_URL ? { apiUrl: s.apiUrl } : {}),
          ...(sinceDays !== undefined ? { sinceDays } : {}),
          ...(values['auto-accept'] ? { autoAccept: true } : {}),
          ...(values['import-fulfilled'] ? { importFulfilled: true } : {}),
          ...(values['include-test'] ? { includeTest: true } : {}),
        };
        if (!values['skip-check']) {
          let token = '';
          try {
            token = api.resolveToken(ref);
          } catch (err) {
            note(`note: ${/** @type {Error} */ (err).message}; every worker must have it (not checked here)`);
          }
          if (token) {
            const seen = await pkg.discoverStores({ apiUrl: s.apiUrl, token });
            if (!seen.some((/** @type {any} */ st) => Number(st.id) === id)) {
              const list = seen.map((/** @type {any} */ st) => `${st.id} (${st.name})`).join(', ') || 'none';
              throw new UsageError(`the token of ${ref} does not see store ${id} (it sees: ${list})`);
            }
          }
        }
      }
      const removeId = action === 'remove' || action === 'run' ? storeIdArg(rest[0], action) : 0;

      await cli.checkRedis(c.redis);
      if (action === 'list' && c.postgres) await cli.checkPostgres(c.postgres);
      scale = api.openScale({ redis: c.redis, postgres: action === 'list' && c.postgres ? c.postgres : undefined, queue: c.queue, schema: c.schema });

      if (action === 'add') {
        const saved = await scale.addStore(entry);
        if (values.json) process.stdout.write(`${JSON.stringify(saved)}\n`);
        note(`store ${saved.id} registered: a cycle every ${saved.everyMinutes} min, token from ${saved.tokenRef}; the first cycle is queued`);
        return 0;
      }
      if (action === 'remove') {
        const had = await scale.removeStore(removeId);
        if (!had) throw new UsageError(`store ${removeId} is not registered`);
        if (values.json) process.stdout.write(`${JSON.stringify({ id: removeId, removed: true })}\n`);
        note(`store ${removeId} removed (its journal stays in PostgreSQL)`);
        return 0;
      }
      if (action === 'run') {
        let jobId;
        try {
          jobId = await scale.runNow(removeId);
        } catch (err) {
          if (/** @type {any} */ (err).code === 'UnknownStore') throw new UsageError(/** @type {Error} */ (err).message);
          throw err;
        }
        if (values.json) process.stdout.write(`${JSON.stringify({ id: removeId, jobId })}\n`);
        note(`store ${removeId}: a cycle is queued`);
        return 0;
      }

      // list
      const rows = await scale.overview();
      if (!c.postgres && rows.length) note('note: no metrics without --postgres URL (or SHOPPINGFEED_POSTGRES_URL)');
      if (values.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return 0;
      }
      if (rows.length === 0) {
        note('no store registered: shoppingfeed-orders stores add ID --token-ref env:NAME');
        return 0;
      }
      const head = ['store', 'name', 'every', 'next run', 'last cycle', 'imported', 'failed', 'pending ops', 'refused ops', 'to ship', 'oldest to ship'];
      const body = rows.map((/** @type {any} */ r) => {
        const m = r.metrics;
        const last = m?.lastCycle ? `${m.lastCycle.at.slice(0, 19).replace('T', ' ')} ${m.lastCycle.ok ? 'ok' : `failed (${m.lastCycle.error?.code})`}${r.late ? ' LATE' : ''}` : m ? `never${r.late ? ' LATE' : ''}` : '';
        const oldest = m?.oldestUnshipped ? `${m.oldestUnshipped.reference} ${deadlineText(m.oldestUnshipped.deadline)}` : '';
        return [String(r.id), r.name ?? '', `${r.everyMinutes} min`, r.nextRunAt ? r.nextRunAt.slice(0, 19).replace('T', ' ') : '',
          last, m ? String(m.imported) : '', m ? String(m.failed) : '', m ? String(m.pendingOperations) : '', m ? String(m.failedOperations) : '',
          m ? String(m.unshipped) : '', oldest];
      });
      process.stdout.write(`${table([head, ...body])}\n`);
      return 0;
    } catch (err) {
      const d = describe(err);
      process.stderr.write(`shoppingfeed-orders stores: ${d.line}\n`);
      return d.code;
    } finally {
      await scale?.close();
    }
  },
};
