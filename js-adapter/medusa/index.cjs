'use strict';
// shoppingfeed-orders/medusa: the Shoppingfeed order connector as a Medusa v2 plugin.
// Register it in medusa-config: plugins: [{ resolve: 'shoppingfeed-orders/medusa', options: { token, storeId } }].
// Medusa loads the plugin itself from .medusa/server/src (module, scheduled job, subscribers, admin routes);
// this entry point is for the shop's own code (custom routes, workflows, scripts). Each export is loaded on
// first use, so taking the Journal alone does not load Medusa's workflows.

const lazy = {
  SHOPPINGFEED_MODULE: () => require('./connector.cjs').SHOPPINGFEED_MODULE,
  getConnector: () => require('./connector.cjs').getConnector,
  /** One sync cycle now, from any code that has Medusa's container (a script, a route, a workflow step). */
  runShoppingfeedSync: () => (container) => require('./connector.cjs').getConnector(container).runOnce(),
  /** The OrderSync of this Medusa application (orders(), refund(), deliver(), uploadInvoice(), …). */
  getShoppingfeedSync: () => (container) => require('./connector.cjs').getConnector(container).getSync(),
  MedusaShop: () => require('./shop.cjs').MedusaShop,
  Journal: () => require('./journal.cjs').Journal,
  importMarketplaceOrderWorkflow: () => require('./workflows.cjs').importMarketplaceOrderWorkflow,
  IMPORT_WORKFLOW_ID: () => require('./workflows.cjs').IMPORT_WORKFLOW_ID,
  shipFulfillment: () => require('./hooks.cjs').shipFulfillment,
  orderCanceled: () => require('./hooks.cjs').orderCanceled,
  trackingUrlFrom: () => require('./hooks.cjs').trackingUrlFrom,
};

for (const [name, load] of Object.entries(lazy)) {
  Object.defineProperty(exports, name, { enumerable: true, get: load });
}
