// @ts-check
// `shoppingfeed-orders sandbox`: starts the emulator on 127.0.0.1 and prints, one per line,
// `url: …`, `token: …`, `storeId: …` on stdout (machine-readable), then runs until SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { startSandbox } from '../../sandbox/index.js';

const USAGE = `usage: shoppingfeed-orders sandbox [options]

  --port P               TCP port on 127.0.0.1 (default: any free port)
  --orders N             orders seeded in the main store (default 100)
  --seed S               seed: same seed, same orders (default 1)
  --clock real|manual    manual: time moves only via POST /_sandbox/clock/advance (default real)
  --start ISO            sandbox time at start (default: now)
  --stores N             stores visible to the token (default 1)
  --rate-limit R         requests per second before 429 (default: unlimited)
  --auto-accept          the main store accepts orders of acceptance channels by itself
  --orders-per-hour N    marketplaces keep creating orders at this rate (in every store)
  --misconfigured IDS    comma-separated channel ids/keys whose credentials are invalid
  -h, --help             this text

Prints url, token and storeId, one per line as 'key: value'. Test controls (no token needed,
test tool only) are under <url>/_sandbox/.
`;

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'run a local Shoppingfeed API + marketplace emulator',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          port: { type: 'string' },
          orders: { type: 'string' },
          seed: { type: 'string' },
          clock: { type: 'string' },
          start: { type: 'string' },
          stores: { type: 'string' },
          'rate-limit': { type: 'string' },
          'auto-accept': { type: 'boolean' },
          'orders-per-hour': { type: 'string' },
          misconfigured: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
      }));
    } catch (err) {
      process.stderr.write(`sandbox: ${/** @type {Error} */ (err).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    /** @type {(name: string, v: string|undefined, min?: number) => number|undefined} */
    const int = (name, v, min = 0) => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
      return Number(v);
    };
    /** @type {import('../../sandbox/index.js').SandboxOptions} */
    let options;
    try {
      if (values.clock !== undefined && values.clock !== 'real' && values.clock !== 'manual') throw new UsageError('--clock must be real or manual');
      const rate = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
      if (rate !== undefined && !(rate > 0)) throw new UsageError('--rate-limit must be a positive number');
      const perHour = values['orders-per-hour'] === undefined ? undefined : Number(values['orders-per-hour']);
      if (perHour !== undefined && !(perHour >= 0)) throw new UsageError('--orders-per-hour must be a number >= 0');
      options = {
        port: int('port', values.port),
        orders: int('orders', values.orders),
        seed: values.seed === undefined ? undefined : /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed,
        clock: /** @type {'real'|'manual'|undefined} */ (values.clock),
        startTime: values.start,
        // Every store's marketplaces keep selling, not only the first's (the library's default).
        stores: perHour ? Array.from({ length: int('stores', values.stores, 1) ?? 1 }, () => ({ newOrdersPerHour: perHour })) : int('stores', values.stores, 1),
        rateLimit: rate,
        autoAccept: values['auto-accept'],
        newOrdersPerHour: perHour,
        misconfiguredChannels: values.misconfigured?.split(',').map((s) => s.trim()).filter(Boolean),
      };
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`sandbox: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    const sandbox = await startSandbox(options);
    process.stdout.write(`url: ${sandbox.url}\ntoken: ${sandbox.token}\nstoreId: ${sandbox.storeId}\n`);
    process.stderr.write(`sandbox running (controls: ${sandbox.url}/_sandbox); Ctrl-C to stop\n`);
    await new Promise((resolve) => {
      const stop = () => resolve(undefined);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await sandbox.close();
    return 0;
  },
};

class UsageError extends Error {}
