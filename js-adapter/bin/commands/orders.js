// @ts-check
// `shoppingfeed-orders orders`: the stored orders and their sync state (no API call, no token needed).
import { GLOBAL_USAGE, UsageError, describe, openConnector, parse, pkg, settings } from '../common.js';

const USAGE = `usage: shoppingfeed-orders orders [--json] [--status S] [--channel NAME] [--needs-attention] [--limit N]

${GLOBAL_USAGE}

--json prints an array: [{"id","reference","channel","status","storeReference","acknowledged","shipment","parcels",...}]
("shipment" is the latest shipment; "parcels" every one recorded and not failed, oldest first)
`;

/** @param {any} v */
function row(v) {
  return {
    id: v.id,
    reference: v.reference,
    channel: v.channel.name,
    channelId: v.channel.id,
    status: v.status,
    state: v.state,
    storeReference: v.storeReference,
    acknowledged: v.acknowledged,
    shipment: v.shipment,
    parcels: v.parcels,
    latestShipDate: v.latestShipDate,
    latestShipDateUnreadable: v.latestShipDateUnreadable,
    deadline: v.deadline.state,
    lastError: v.lastError,
    needsAttention: v.needsAttention,
  };
}

/** Every parcel of a partial shipment, else the one shipment (a failed one shows with its state). @param {any} r */
function shipmentCell(r) {
  const list = r.parcels.length ? r.parcels : r.shipment ? [r.shipment] : [];
  return list.map((/** @type {any} */ s) => `${s.carrier} ${s.trackingNumber} (${s.state})`).join(', ') || '-';
}

/** The deadline state; a ship-by date nobody could read is shown as the marketplace sent it. @param {any} r */
function deadlineCell(r) {
  return r.latestShipDateUnreadable != null ? `${r.deadline} (unreadable: ${r.latestShipDateUnreadable})` : r.deadline;
}

/** @type {import('../shoppingfeed-orders.js').Command} */
export default {
  summary: 'list the stored orders and their sync state',
  usage: USAGE,
  async run(args) {
    try {
      const { values, positionals } = parse(args, {
        status: { type: 'string' },
        channel: { type: 'string' },
        'needs-attention': { type: 'boolean' },
        limit: { type: 'string' },
      });
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const limit = values.limit === undefined ? 100_000 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      const s = settings(values);
      const c = await openConnector(s);
      const store = c.store;
      try {
        const { items } = await store.listOrders({ limit, status: values.status, channel: values.channel });
        let views = items.map((/** @type {any} */ i) => pkg.orderView(i.record, i.operations));
        if (values['needs-attention']) views = views.filter((/** @type {any} */ v) => v.needsAttention);
        const rows = views.map(row);
        if (values.json) {
          process.stdout.write(`${JSON.stringify(rows)}\n`);
          return 0;
        }
        const head = ['id', 'channel', 'reference', 'status', 'shop order', 'ack', 'shipment', 'deadline'];
        const cells = rows.map((r) => [
          String(r.id), r.channel, r.reference, r.status, r.storeReference ?? '-', r.acknowledged ? 'yes' : 'no',
          shipmentCell(r), deadlineCell(r),
        ]);
        // The shipment column lists every parcel: room for two or three before it is cut.
        const widths = head.map((h, i) => Math.min(h === 'shipment' ? 100 : 40, Math.max(h.length, ...cells.map((c) => c[i].length))));
        // Marketplace strings are untrusted: control characters are dropped before they reach a terminal.
        const clean = (/** @type {string} */ t) => t.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
        const fmt = (/** @type {string[]} */ c) => c.map((x, i) => clean(x).slice(0, widths[i]).padEnd(widths[i])).join('  ');
        process.stdout.write(`${fmt(head)}\n${cells.map(fmt).join('\n')}${cells.length ? '\n' : ''}`);
        if (!values.quiet) process.stderr.write(`${rows.length} order(s)\n`);
        return 0;
      } finally {
        await c.close();
      }
    } catch (err) {
      const d = describe(err);
      process.stderr.write(`shoppingfeed-orders orders: ${d.line}\n`);
      return d.code;
    }
  },
};
