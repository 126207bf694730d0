// @ts-check
// `shoppingfeed-orders ship ORDER_ID …`: validated, recorded, sent once (queued when the API is down).
import { createRequire } from 'node:module';
import { GLOBAL_USAGE, UsageError, describe, openConnector, parse, pkg, settings } from '../common.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../lib/carriers.cjs')} */
const carriers = require('../../lib/carriers.cjs');

const USAGE = `usage: shoppingfeed-orders ship ORDER_ID --carrier C --tracking-number N [--tracking-url URL] [--item ITEM_ID:QTY ...]

  ORDER_ID               the Shoppingfeed order id
  --carrier C            carrier name as the marketplace should show it
  --tracking-number N    the carrier's tracking number (placeholders such as 0, N/A, TBD are refused)
  --tracking-url URL     absolute http(s) tracking URL; default: filled in from the carrier's template
                         (the dashboard's carrier list: Colissimo, Chronopost, DPD, DHL, GLS, UPS, Mondial
                         Relay, PostNL, and SHOPPINGFEED_CARRIERS="NAME=URL;..." with {trackingNumber})
  --item ITEM_ID:QTY     ship only these items (repeat); default: the whole order

${GLOBAL_USAGE}
`;

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'ship an order once: carrier, tracking number, tracking URL',
  usage: USAGE,
  async run(args) {
    let token = '';
    try {
      const { values, positionals } = parse(args, {
        carrier: { type: 'string' },
        'tracking-number': { type: 'string' },
        'tracking-url': { type: 'string' },
        item: { type: 'string', multiple: true },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (positionals.length !== 1) throw new UsageError('give exactly one ORDER_ID');
      const id = positionals[0];
      if (!/^\d+$/.test(id)) throw new UsageError(`ORDER_ID must be a Shoppingfeed order id (digits), got '${id}'`);
      const items = (values.item ?? []).map((/** @type {string} */ spec) => {
        const m = /^(\d+):(\d+)$/.exec(spec);
        if (!m) throw new UsageError(`--item must be ITEM_ID:QTY, got '${spec}'`);
        return { id: Number(m[1]), quantity: Number(m[2]) };
      });
      let trackingUrl = values['tracking-url'] ?? null;
      let templated = false;
      if (trackingUrl === null && values.carrier && values['tracking-number']) {
        let table;
        try {
          table = carriers.carrierList(carriers.carriersFromEnv(process.env.SHOPPINGFEED_CARRIERS));
        } catch (err) {
          throw new UsageError(/** @type {Error} */ (err).message);
        }
        trackingUrl = pkg.trackingUrlFor(table, values.carrier, values['tracking-number']);
        templated = trackingUrl !== null;
      }
      const shipment = {
        carrier: values.carrier ?? '',
        trackingNumber: values['tracking-number'] ?? '',
        trackingUrl,
        items,
      };
      // Refuse bad input before touching the store or the network.
      pkg.validateShipment(shipment);
      const s = settings(values);
      token = s.token;
      const c = await openConnector(s, { sync: true, options: { logger: false, retry: { maxAttempts: 3 } } });
      try {
        const sync = /** @type {import('../../index').OrderSync} */ (c.sync);
        const op = await sync.ship(Number(id), shipment);
        if (values.json) process.stdout.write(`${JSON.stringify(op)}\n`);
        if (!values.quiet) {
          const sent = op.state === 'sent' || op.state === 'succeeded';
          if (templated) process.stderr.write(`order ${id}: tracking URL from the ${values.carrier} template: ${trackingUrl}\n`);
          process.stderr.write(sent
            ? `order ${id}: shipment sent (batch ${op.batchId}); the next sync follows its ticket\n`
            : `order ${id}: shipment recorded, not confirmed by Shoppingfeed yet (${op.state}); the next sync sends or confirms it\n`);
        }
        return 0;
      } finally {
        await c.close();
      }
    } catch (err) {
      const d = describe(err, token);
      process.stderr.write(`shoppingfeed-orders ship: ${d.line}\n`);
      return d.code;
    }
  },
};
