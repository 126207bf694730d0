'use strict';
// Vendure strategies that keep marketplace amounts as sent:
// - the line's unit price (tax-inclusive) read from an OrderLine custom field,
// - the line's tax rate derived from the marketplace's tax amount,
// - the shipping price and its tax from Order custom fields (a ShippingCalculator),
// plus the eligibility checker that keeps that shipping method to marketplace orders, and a fulfillment
// handler asking for carrier, tracking number and tracking URL.
// Every strategy wraps the one the shop had, and only acts on orders carrying a Shoppingfeed id.

const { core } = require('./peer.cjs');

const { LanguageCode, ShippingCalculator, ShippingEligibilityChecker, FulfillmentHandler } = core;

const CODES = {
  shippingMethod: 'shoppingfeed',
  shippingCalculator: 'shoppingfeed-marketplace-shipping',
  eligibilityChecker: 'shoppingfeed-marketplace-order',
  fulfillmentHandler: 'shoppingfeed-fulfillment',
};

/** @param {any} order */
function isMarketplaceOrder(order) {
  const id = order?.customFields?.shoppingfeedOrderId;
  return id !== null && id !== undefined && id !== '';
}

/** @param {any} value */
const present = (value) => value !== null && value !== undefined;

/** Forwards init/destroy to the wrapped strategy (Vendure only calls them on the configured one). */
class Wrapper {
  /** @param {any} inner */
  constructor(inner) {
    this.inner = inner;
  }
  /** @param {any} injector */
  init(injector) {
    return this.inner?.init?.(injector);
  }
  destroy() {
    return this.inner?.destroy?.();
  }
}

/** OrderItemPriceCalculationStrategy: a marketplace line costs what the marketplace charged, tax included. */
class MarketplacePriceCalculationStrategy extends Wrapper {
  calculateUnitPrice(ctx, productVariant, orderLineCustomFields, order, quantity) {
    const price = orderLineCustomFields?.shoppingfeedUnitPrice;
    if (present(price) && isMarketplaceOrder(order)) {
      return { price: Number(price), priceIncludesTax: true };
    }
    return this.inner.calculateUnitPrice(ctx, productVariant, orderLineCustomFields, order, quantity);
  }
}

/** TaxLineCalculationStrategy: a marketplace line is taxed at the rate its tax amount implies. */
class MarketplaceTaxLineCalculationStrategy extends Wrapper {
  calculate(args) {
    const rate = args.orderLine?.customFields?.shoppingfeedTaxRate;
    if (present(rate) && isMarketplaceOrder(args.order)) {
      return [{ description: 'Marketplace tax (as sent)', taxRate: Number(rate) }];
    }
    return this.inner.calculate(args);
  }
}

const en = (/** @type {string} */ value) => [{ languageCode: LanguageCode.en, value }];

const marketplaceShippingCalculator = new ShippingCalculator({
  code: CODES.shippingCalculator,
  description: en('Marketplace shipping price, as the marketplace charged it (Shoppingfeed orders)'),
  args: {},
  calculate: (ctx, order) => {
    const cf = order?.customFields ?? {};
    return {
      price: Number(cf.shoppingfeedShippingAmount ?? 0),
      priceIncludesTax: true,
      taxRate: Number(cf.shoppingfeedShippingTaxRate ?? 0),
      metadata: { carrier: cf.shoppingfeedCarrier ?? null },
    };
  },
});

const marketplaceOrderChecker = new ShippingEligibilityChecker({
  code: CODES.eligibilityChecker,
  description: en('Only orders imported from a marketplace through Shoppingfeed'),
  args: {},
  check: (ctx, order) => isMarketplaceOrder(order),
});

/** @param {string} trackingUrlField */
function createFulfillmentHandler(trackingUrlField) {
  return new FulfillmentHandler({
    code: CODES.fulfillmentHandler,
    description: en('Ship a marketplace order (sent to Shoppingfeed)'),
    args: {
      carrier: { type: 'string', required: true, label: en('Carrier') },
      trackingCode: { type: 'string', required: true, label: en('Tracking number') },
      trackingUrl: { type: 'string', required: false, label: en('Tracking URL (optional)') },
    },
    createFulfillment: (ctx, orders, lines, args) => {
      const url = typeof args.trackingUrl === 'string' ? args.trackingUrl.trim() : '';
      return {
        method: typeof args.carrier === 'string' ? args.carrier.trim() : '',
        trackingCode: typeof args.trackingCode === 'string' ? args.trackingCode.trim() : '',
        customFields: { [trackingUrlField]: url || null },
      };
    },
  });
}

module.exports = {
  CODES,
  isMarketplaceOrder,
  MarketplacePriceCalculationStrategy,
  MarketplaceTaxLineCalculationStrategy,
  marketplaceShippingCalculator,
  marketplaceOrderChecker,
  createFulfillmentHandler,
};
