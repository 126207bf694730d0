// @ts-check
// `shoppingfeed-orders ship ORDER_ID …`: validated, recorded, sent once (queued when the API is down).
import { GLOBAL_USAGE, UsageError, describe, openConnector, parse, pkg, settings } from '../common.js';

const USAGE = `usage: shoppingfeed-orders ship ORDER_ID --carrier C --tracking-number N [--tracking-url URL] [--item ITEM_ID:QTY ...]

  ORDER_ID               the Shoppingfeed order id
  --carrier C            carrier name as the marketplace should show it
  --tracking-number N    the carrier's tracking number (placeholders such as 0, N/A, TBD are refused)
  --tracking-url URL     absolute http(s) tracking URL
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
      const shipment = {
        carrier: values.carrier ?? '',
        trackingNumber: values['tracking-number'] ?? '',
        trackingUrl: values['tracking-url'] ?? null,
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
