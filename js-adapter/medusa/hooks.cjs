'use strict';
// Admin hooks: a shipment created in Medusa (`shipment.created`) → Shoppingfeed `ship`, once, with the label's
// tracking number and URL; an order cancelled in Medusa (`order.canceled`) → `cancel` (not when the
// marketplace cancelled it first). Refusals (placeholder tracking number, partial shipment not allowed…) are
// logged and kept in the order's metadata (`shoppingfeed_error`).

const { trackingUrlFor } = require('../index.cjs');

/**
 * The tracking URL from the per-carrier templates, by the engine's one rule (as the dashboard and `ship
 * --carrier`): `{trackingNumber}`, `{carrier}`.
 */
function trackingUrlFrom(templates, carrier, trackingNumber) {
  if (!templates || !carrier || !trackingNumber) return null;
  return trackingUrlFor(templates, carrier, trackingNumber);
}

const isHttpUrl = (s) => /^https?:\/\/\S+$/i.test(String(s ?? '').trim());

/**
 * The carrier name Shoppingfeed gets for a fulfillment: the `carriers` option (keyed by shipping option id,
 * shipping option name or fulfillment provider id), else the shipping option's name, else the carrier the
 * marketplace's buyer chose, else the fulfillment provider.
 */
function carrierOf(options, fulfillment, order) {
  const map = options.carriers ?? {};
  const option = fulfillment.shipping_option;
  for (const key of [option?.id, option?.name, fulfillment.provider_id]) {
    if (key && typeof map[key] === 'string' && map[key].trim()) return map[key].trim();
  }
  return (option?.name || '').trim() || order.metadata?.shoppingfeed_carrier || fulfillment.provider_id || '';
}

async function graphOne(container, entity, fields, filters) {
  const query = container.resolve('query');
  const { data } = await query.graph({ entity, fields, filters });
  return data[0] ?? null;
}

/**
 * `shipment.created`: sends the shipment of fulfillment `fulfillmentId` once.
 * @param {import('./connector.cjs').Connector} connector @param {string} fulfillmentId
 */
async function shipFulfillment(connector, fulfillmentId) {
  const { container, options, shop, logger } = connector;
  const fulfillment = await graphOne(
    container,
    'fulfillment',
    [
      'id',
      'provider_id',
      'shipped_at',
      'canceled_at',
      'shipping_option.id',
      'shipping_option.name',
      'labels.tracking_number',
      'labels.tracking_url',
      'items.line_item_id',
      'items.quantity',
      'order.id',
      'order.display_id',
      'order.metadata',
      'order.items.id',
      'order.items.quantity',
      'order.items.metadata',
    ],
    { id: fulfillmentId },
  );
  const order = fulfillment?.order;
  const sfId = order?.metadata?.shoppingfeed_order_id;
  if (!fulfillment || !sfId || fulfillment.canceled_at) return;
  if (order.metadata?.shoppingfeed_fulfilled_by_channel) return; // the marketplace ships it

  const label = (fulfillment.labels ?? []).find((l) => String(l.tracking_number ?? '').trim()) ?? null;
  const trackingNumber = String(label?.tracking_number ?? '').trim();
  const carrier = carrierOf(options, fulfillment, order);
  const trackingUrl = isHttpUrl(label?.tracking_url) ? String(label.tracking_url).trim() : trackingUrlFrom(options.trackingUrlTemplates, carrier, trackingNumber);

  // Whole order, or the lines of this fulfillment (Shoppingfeed item ids from the lines' metadata).
  const shippedHere = new Map();
  for (const i of fulfillment.items ?? []) shippedHere.set(i.line_item_id, (shippedHere.get(i.line_item_id) ?? 0) + Number(i.quantity));
  const lines = (order.items ?? []).filter((i) => !i.metadata?.shoppingfeed_adjustment);
  const whole = lines.every((l) => (shippedHere.get(l.id) ?? 0) >= Number(l.quantity));
  const items = whole
    ? []
    : lines.filter((l) => shippedHere.has(l.id)).map((l) => ({ id: Number(l.metadata?.shoppingfeed_item_id), quantity: shippedHere.get(l.id) }));

  // The same parcel already recorded (a redelivered event, another process): keep that operation.
  const recorded = (await connector.journal.operations({ states: [], shoppingfeedId: Number(sfId) })).find(
    (op) => op.payload?.operation === 'ship' && trackingNumber && op.payload.shipment?.trackingNumber === trackingNumber && !['failed', 'canceled'].includes(op.state),
  );
  if (recorded) return;

  try {
    if (items.some((i) => !Number.isSafeInteger(i.id))) {
      throw new Error('a partial shipment needs the Shoppingfeed item ids, and this order has none');
    }
    const op = await connector.getSync().ship(Number(sfId), { carrier, trackingNumber, trackingUrl: trackingUrl || null, items });
    logger.info(`Shoppingfeed: order #${order.display_id}: shipment sent (${carrier}, ${trackingNumber}${trackingUrl ? `, ${trackingUrl}` : ''}): ${op.state}`);
    await shop.setMetadata(order.id, { shoppingfeed_error: null });
  } catch (err) {
    logger.warn(`Shoppingfeed: order #${order.display_id}: shipment not sent: ${err.message}`);
    await shop.setMetadata(order.id, { shoppingfeed_error: `shipment not sent: ${err.message}` });
  }
}

/**
 * `order.canceled`: sends `cancel` for a marketplace order cancelled in Medusa (not when the marketplace did).
 * @param {import('./connector.cjs').Connector} connector @param {string} orderId
 */
async function orderCanceled(connector, orderId) {
  const { container, shop, logger } = connector;
  const order = await graphOne(container, 'order', ['id', 'display_id', 'metadata'], { id: orderId });
  const sfId = order?.metadata?.shoppingfeed_order_id;
  if (!sfId) return;
  if (['cancelled', 'refused', 'refunded'].includes(order.metadata.shoppingfeed_status)) return;
  const [record] = await connector.journal.loadImports([Number(sfId)]);
  if (record && ['cancelled', 'refused', 'refunded'].includes(String(record.order?.status))) return;
  try {
    const op = await connector.getSync().cancel(Number(sfId), 'Cancelled by the merchant');
    logger.info(`Shoppingfeed: order #${order.display_id}: cancellation sent: ${op.state}`);
  } catch (err) {
    logger.warn(`Shoppingfeed: order #${order.display_id}: cancellation not sent: ${err.message}`);
    await shop.setMetadata(order.id, { shoppingfeed_error: `cancellation not sent: ${err.message}` });
  }
}

module.exports = { shipFulfillment, orderCanceled, trackingUrlFrom, carrierOf };
