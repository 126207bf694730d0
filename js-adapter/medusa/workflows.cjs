'use strict';
// The import workflow: one marketplace order becomes one Medusa order, paid, in one Medusa workflow, so a
// failure at any step rolls the earlier ones back (Medusa's compensations delete the order, release the
// reservations, and so on).
//
//   createOrderWorkflow (prices as sent, tax-inclusive; addresses; shipping method; metadata)
//   → the marketplace's tax rates on lines and shipping (Medusa's own tax computation is replaced)
//   → stock reservations for managed variants (createOrderWorkflow only checks stock; fulfillments need them)
//   → a payment collection for the marketplace's total → markPaymentCollectionAsPaid (captured)

const { Modules } = require('@medusajs/framework/utils');
const { createWorkflow, createStep, StepResponse, WorkflowResponse, transform } = require('@medusajs/framework/workflows-sdk');
const { createOrderWorkflow, createOrderPaymentCollectionWorkflow, markPaymentCollectionAsPaid } = require('@medusajs/medusa/core-flows');

const IMPORT_WORKFLOW_ID = 'shoppingfeed-import-order';
const TAX_CODE = 'SHOPPINGFEED';

/** Order lines by the key the shop gave them (metadata.shoppingfeed_line). */
async function linesByKey(container, orderId) {
  const orders = container.resolve(Modules.ORDER);
  const order = await orders.retrieveOrder(orderId, { relations: ['items', 'shipping_methods'] });
  const byKey = new Map();
  for (const item of order.items ?? []) {
    const key = item.metadata?.shoppingfeed_line;
    if (key != null) byKey.set(String(key), item);
  }
  return { order, byKey };
}

/**
 * Sets the marketplace's tax rates: each line's rate is the one its tax amount implies, shipping's the one the
 * marketplace sent (or the lines'). Prices stay tax-inclusive, so totals are exactly the marketplace's.
 */
const setMarketplaceTaxLinesStep = createStep('shoppingfeed-set-marketplace-tax-lines', async (input, { container }) => {
  const orders = container.resolve(Modules.ORDER);
  const { order, byKey } = await linesByKey(container, input.order_id);
  const itemLines = [];
  for (const { key, rate } of input.items) {
    const item = byKey.get(String(key));
    if (item && rate > 0) itemLines.push({ item_id: item.id, rate, code: TAX_CODE, description: 'Marketplace tax' });
  }
  const shippingLines = [];
  if (input.shipping_rate > 0) {
    for (const method of order.shipping_methods ?? []) {
      shippingLines.push({ shipping_method_id: method.id, rate: input.shipping_rate, code: TAX_CODE, description: 'Marketplace tax' });
    }
  }
  await orders.setOrderLineItemTaxLines(order.id, itemLines);
  await orders.setOrderShippingMethodTaxLines(order.id, shippingLines);
  return new StepResponse({ items: itemLines.length, shipping: shippingLines.length });
});

/**
 * Reserves stock for the lines of managed variants, at the locations the shop chose before the workflow
 * (createOrderWorkflow checks stock but reserves nothing, and a fulfillment needs the reservations).
 */
const reserveMarketplaceStockStep = createStep(
  'shoppingfeed-reserve-stock',
  async (input, { container }) => {
    if (!input.reservations.length) return new StepResponse([], []);
    const inventory = container.resolve(Modules.INVENTORY);
    const { byKey } = await linesByKey(container, input.order_id);
    const toCreate = input.reservations.map((r) => {
      const item = byKey.get(String(r.key));
      if (!item) throw new Error(`line ${r.key} not found in order ${input.order_id}`);
      return {
        line_item_id: item.id,
        inventory_item_id: r.inventory_item_id,
        location_id: r.location_id,
        quantity: r.quantity,
        allow_backorder: !!r.allow_backorder,
        description: input.description,
      };
    });
    const created = await inventory.createReservationItems(toCreate);
    const ids = created.map((c) => c.id);
    return new StepResponse(ids, ids);
  },
  async (ids, { container }) => {
    if (!ids?.length) return;
    await container.resolve(Modules.INVENTORY).deleteReservationItems(ids);
  },
);

/**
 * input: { order: createOrderWorkflow's input, taxes: { items: [{key, rate}], shipping_rate },
 *          reservations: [{key, inventory_item_id, location_id, quantity, allow_backorder}], amount, description }
 */
const importMarketplaceOrderWorkflow = createWorkflow(IMPORT_WORKFLOW_ID, (input) => {
  const order = createOrderWorkflow.runAsStep({ input: input.order });
  const orderId = transform({ order }, ({ order }) => order.id);
  setMarketplaceTaxLinesStep(
    transform({ input, orderId }, ({ input, orderId }) => ({ order_id: orderId, items: input.taxes.items, shipping_rate: input.taxes.shipping_rate })),
  );
  reserveMarketplaceStockStep(
    transform({ input, orderId }, ({ input, orderId }) => ({ order_id: orderId, reservations: input.reservations, description: input.description })),
  );
  const collections = createOrderPaymentCollectionWorkflow.runAsStep({
    input: transform({ input, orderId }, ({ input, orderId }) => ({ order_id: orderId, amount: input.amount })),
  });
  markPaymentCollectionAsPaid.runAsStep({
    input: transform({ collections, orderId }, ({ collections, orderId }) => ({ order_id: orderId, payment_collection_id: collections[0].id })),
  });
  return new WorkflowResponse(transform({ order }, ({ order }) => ({ id: order.id, display_id: order.display_id })));
});

module.exports = { importMarketplaceOrderWorkflow, IMPORT_WORKFLOW_ID, TAX_CODE };
