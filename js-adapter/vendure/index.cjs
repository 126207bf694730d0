'use strict';
// shoppingfeed-orders/vendure: the Shoppingfeed order connector as a Vendure 3 plugin (needs @vendure/core >= 3.3).

const { ShoppingfeedPlugin, TASK_ID } = require('./plugin.cjs');
const { ShoppingfeedService } = require('./service.cjs');
const { VendureOrderStore } = require('./store.cjs');
const { ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent } = require('./entities.cjs');
const { MarketplacePriceCalculationStrategy, MarketplaceTaxLineCalculationStrategy, CODES } = require('./strategies.cjs');

module.exports = {
  ShoppingfeedPlugin,
  ShoppingfeedService,
  VendureOrderStore,
  ShoppingfeedImport,
  ShoppingfeedOperation,
  ShoppingfeedLock,
  ShoppingfeedEvent,
  MarketplacePriceCalculationStrategy,
  MarketplaceTaxLineCalculationStrategy,
  SHOPPINGFEED_CODES: CODES,
  SHOPPINGFEED_TASK_ID: TASK_ID,
};
