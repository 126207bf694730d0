// @ts-check
// `shoppingfeed-orders sync`: one cycle (--once) or a cycle every --every minutes until SIGINT/SIGTERM.
import { GLOBAL_USAGE, UsageError, describe, openConnector, parse, pkg, settings } from '../common.js';

const USAGE = `usage: shoppingfeed-orders sync [--once] [options]

  --once               one full cycle, then exit (0 done, 1 runtime failure, 2 usage/configuration)
  --every MIN          without --once: a cycle every MIN minutes (default 10) until SIGINT/SIGTERM
  --since-days N       import orders created in the last N days (default 7)
  --auto-accept        accept orders of channels that need the store's acceptance
  --import-fulfilled   also import orders the marketplace fulfils itself (no stock effect)
  --include-test       also import Shoppingfeed test orders

${GLOBAL_USAGE}

With --json, one object per cycle on stdout: {"imported":n,"acknowledged":n,"failed":n,"skipped":n,"sent":n,...}
`;

/** How long `--once` waits for another process's cycle on the same store before giving up. */
const LOCK_WAIT_MS = 60_000;

/** @param {any} r */
const counts = (r) => ({ imported: r.imported, acknowledged: r.acknowledged, failed: r.failed, skipped: r.skipped, sent: r.sent });

/** @param {any} r */
function summary(r) {
  const extra = [
    r.reacknowledged ? `${r.reacknowledged} re-acknowledged` : '',
    r.errorAcknowledged ? `${r.errorAcknowledged} error-acknowledged` : '',
    r.ackInFlight ? `${r.ackInFlight} acknowledgements still being applied by Shoppingfeed` : '',
    r.accepted ? `${r.accepted} accepted` : '',
    r.succeeded ? `${r.succeeded} confirmed by the marketplace` : '',
    r.operationsFailed ? `${r.operationsFailed} operations failed` : '',
    r.statusChanges ? `${r.statusChanges} changed on the marketplace` : '',
    r.pending ? `${r.pending} operations pending` : '',
  ].filter(Boolean);
  return `imported ${r.imported}, acknowledged ${r.acknowledged}, failed ${r.failed}, skipped ${r.skipped}, sent ${r.sent}`
    + `${extra.length ? ` (${extra.join(', ')})` : ''}; ${r.requests} HTTP calls`;
}

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'import, acknowledge and send pending operations (one cycle or on a schedule)',
  usage: USAGE,
  async run(args) {
    let token = '';
    try {
      const { values, positionals } = parse(args, {
        once: { type: 'boolean' },
        every: { type: 'string' },
        'since-days': { type: 'string' },
        'auto-accept': { type: 'boolean' },
        'import-fulfilled': { type: 'boolean' },
        'include-test': { type: 'boolean' },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const s = settings(values);
      token = s.token;
      const sinceDays = values['since-days'] === undefined ? 7 : Number(values['since-days']);
      if (!Number.isInteger(sinceDays) || sinceDays < 1 || sinceDays > 90) throw new UsageError('--since-days must be a whole number from 1 to 90');
      const every = values.every === undefined ? 10 : Number(values.every);
      if (!(every > 0)) throw new UsageError('--every must be a positive number of minutes');
      if (values.once && values.every !== undefined) throw new UsageError('--every does not go with --once');

      const tty = process.stderr.isTTY && !values.quiet;
      const note = (/** @type {string} */ line) => { if (!values.quiet) process.stderr.write(`${line}\n`); };
      const c = await openConnector(s, {
        sync: true,
        // Flags not given leave the defaults (or, through Redis, the store's registered settings).
        options: {
          ...(values['since-days'] !== undefined ? { sinceDays } : {}),
          ...(values['auto-accept'] ? { autoAccept: true } : {}),
          ...(values['import-fulfilled'] ? { importFulfilled: true } : {}),
          ...(values['include-test'] ? { includeTest: true } : {}),
          // Logs go to stderr as JSON lines only when asked for; the terminal gets a progress line.
          logger: process.env.SHOPPINGFEED_LOG ? pkg.jsonLogger({ level: /** @type {any} */ (process.env.SHOPPINGFEED_LOG) }) : false,
        },
      });
      const sync = /** @type {import('../../index').OrderSync} */ (c.sync);
      let calls = 0;
      if (tty) {
        sync.on('log', () => {
          calls += 1;
          process.stderr.write(`\r\x1b[2K⏳ syncing… ${calls} events, ${sync.requests} HTTP calls`);
        });
      }
      const report = (/** @type {any} */ r) => {
        if (tty) process.stderr.write('\r\x1b[2K');
        if (values.json) process.stdout.write(`${JSON.stringify({ ...counts(r), ...r })}\n`);
        else note(`${new Date().toISOString()} ${summary(r)}`);
      };

      const cycle = async () => {
        const started = Date.now();
        for (;;) {
          try {
            return await sync.runOnce();
          } catch (err) {
            // Another process is running a cycle on this store: wait for it rather than fail.
            if (/** @type {any} */ (err).code !== 'Locked' || Date.now() - started > LOCK_WAIT_MS) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      };

      if (values.once) {
        try {
          report(await cycle());
          return 0;
        } catch (err) {
          // One output for a failed cycle: the error, with what was done before it.
          const e = /** @type {any} */ (err);
          if (tty) process.stderr.write('\r\x1b[2K');
          const d = describe(e, s.token);
          const did = e.report && (e.report.imported || e.report.acknowledged || e.report.sent);
          if (values.json) process.stdout.write(`${JSON.stringify({ ...(e.report ? counts(e.report) : {}), error: { code: d.errorCode, message: d.line } })}\n`);
          process.stderr.write(`shoppingfeed-orders sync: ${d.line}${did ? ` (kept: ${summary(e.report)})` : ''}\n`);
          return d.code;
        } finally {
          await c.close();
        }
      }

      // Scheduled: cycles until a signal; the running cycle ends cleanly before exit.
      let stopping = false;
      const done = new Promise((resolve) => {
        const stop = () => {
          if (stopping) return;
          stopping = true;
          note('stopping after the running cycle…');
          sync.stop().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      sync.on('cycle', report);
      sync.on('error', (/** @type {any} */ e) => {
        if (e.report) report(e.report);
        const d = describe(e, s.token);
        process.stderr.write(`shoppingfeed-orders sync: ${d.line}\n`);
      });
      note(`syncing every ${every} min (Ctrl-C to stop)`);
      sync.start({ everyMinutes: every });
      await done;
      await c.close();
      return 0;
    } catch (err) {
      const d = describe(err, token);
      process.stderr.write(`shoppingfeed-orders sync: ${d.line}\n${d.code === 2 && err instanceof UsageError ? '\n' + USAGE : ''}`);
      return d.code;
    }
  },
};
