'use strict';
// ShoppingfeedPlugin: a Vendure 3 plugin in plain CommonJS (decorators applied by call).
//   plugins: [DefaultSchedulerPlugin.init(), ShoppingfeedPlugin.init({ token, storeId })]

const { core } = require('./peer.cjs');
const { checkTrackingUrlTemplate } = require('../index.cjs');
const { ENTITIES } = require('./entities.cjs');
const { ShoppingfeedService, OPTIONS } = require('./service.cjs');
const {
  MarketplacePriceCalculationStrategy,
  MarketplaceTaxLineCalculationStrategy,
  marketplaceShippingCalculator,
  marketplaceOrderChecker,
  createFulfillmentHandler,
} = require('./strategies.cjs');

const { VendurePlugin, PluginCommonModule, ScheduledTask, LanguageCode } = core;

const TASK_ID = 'shoppingfeed-sync';
const en = (/** @type {string} */ value) => [{ languageCode: LanguageCode.en, value }];
const tab = { tab: 'Shoppingfeed' };

/** Read-only custom fields: visible in the admin, never writable through an API, not in the Shop API. */
const ro = (/** @type {string} */ name, /** @type {string} */ type, /** @type {string} */ label, extra = {}) => ({
  name,
  type,
  nullable: true,
  readonly: true,
  public: false,
  label: en(label),
  ui: tab,
  ...extra,
});

function orderFields() {
  return [
    ro('shoppingfeedOrderId', 'string', 'Shoppingfeed order id', { unique: true }),
    ro('shoppingfeedReference', 'string', 'Marketplace order reference'),
    ro('shoppingfeedChannel', 'string', 'Marketplace'),
    ro('shoppingfeedStatus', 'string', 'Marketplace status'),
    ro('shoppingfeedCarrier', 'string', 'Carrier chosen on the marketplace'),
    ro('shoppingfeedRelayPoint', 'string', 'Relay point id'),
    ro('shoppingfeedLatestShipDate', 'datetime', 'Ship by (marketplace deadline)'),
    ro('shoppingfeedShippingAmount', 'int', 'Marketplace shipping price (minor units, tax incl.)'),
    ro('shoppingfeedShippingTaxRate', 'float', 'Marketplace shipping tax rate (%)'),
  ];
}

function orderLineFields() {
  return [
    ro('shoppingfeedItemId', 'string', 'Shoppingfeed item id'),
    ro('shoppingfeedUnitPrice', 'int', 'Marketplace unit price (minor units, tax incl.)'),
    ro('shoppingfeedTaxAmount', 'int', 'Marketplace line tax (minor units)'),
    ro('shoppingfeedTaxRate', 'float', 'Marketplace tax rate (%)'),
  ];
}

/** @param {string} trackingUrlField @param {any[]} existing */
function fulfillmentFields(trackingUrlField, existing) {
  const fields = [ro('shoppingfeedOperationId', 'string', 'Shoppingfeed shipment operation')];
  if (!existing.some((f) => f.name === trackingUrlField)) {
    fields.push({ name: trackingUrlField, type: 'string', nullable: true, label: en('Tracking URL'), ui: tab });
  }
  return fields;
}

/** @param {any} o */
function checkOptions(o) {
  const fail = (field, message) => {
    const e = new Error(`ShoppingfeedPlugin.init: ${field}: ${message}`);
    e.name = 'ConfigError';
    e.code = 'Config';
    e.field = field;
    throw e;
  };
  if (!o || typeof o !== 'object') fail('options', 'expected an object');
  if (typeof o.token !== 'string' || !o.token.trim()) fail('token', 'is missing');
  if (o.storeId != null && !(Number.isSafeInteger(Number(o.storeId)) && Number(o.storeId) > 0)) fail('storeId', 'is not a store id');
  const every = o.everyMinutes ?? 10;
  if (!(Number.isInteger(every) && every >= 1 && (every < 60 || every % 60 === 0))) {
    fail('everyMinutes', 'must be an integer from 1 to 59, or a whole number of hours (60, 120, …)');
  }
  if (o.trackingUrlTemplates != null) {
    if (typeof o.trackingUrlTemplates !== 'object') fail('trackingUrlTemplates', 'must map carrier names to URL templates');
    for (const [carrier, url] of Object.entries(o.trackingUrlTemplates)) {
      if (typeof url !== 'string') fail(`trackingUrlTemplates.${carrier}`, 'must be an http(s) URL template');
      // The engine's template rule: known placeholders ({trackingNumber}, {carrier}), a URL a buyer can open.
      try {
        checkTrackingUrlTemplate(url);
      } catch (e) {
        fail(`trackingUrlTemplates.${carrier}`, /** @type {Error} */ (e).message);
      }
    }
  }
  return { ...o, everyMinutes: every, trackingUrlField: o.trackingUrlField ?? 'trackingUrl', trackingUrlTemplates: o.trackingUrlTemplates ?? {} };
}

class ShoppingfeedPlugin {
  /**
   * @param {import('./index').ShoppingfeedPluginOptions} options
   * @returns {typeof ShoppingfeedPlugin}
   */
  static init(options) {
    ShoppingfeedPlugin.options = checkOptions(options);
    return ShoppingfeedPlugin;
  }
}
ShoppingfeedPlugin.options = undefined;

/** @param {any} config Vendure's RuntimeVendureConfig */
function configure(config) {
  const o = ShoppingfeedPlugin.options;
  if (!o) throw new Error('ShoppingfeedPlugin: call ShoppingfeedPlugin.init({ token, storeId }) in the plugins list');
  const cf = config.customFields;
  cf.Order = [...(cf.Order ?? []), ...orderFields()];
  cf.OrderLine = [...(cf.OrderLine ?? []), ...orderLineFields()];
  cf.Fulfillment = [...(cf.Fulfillment ?? []), ...fulfillmentFields(o.trackingUrlField, cf.Fulfillment ?? [])];

  config.orderOptions.orderItemPriceCalculationStrategy = new MarketplacePriceCalculationStrategy(config.orderOptions.orderItemPriceCalculationStrategy);
  config.taxOptions.taxLineCalculationStrategy = new MarketplaceTaxLineCalculationStrategy(config.taxOptions.taxLineCalculationStrategy);
  config.shippingOptions.shippingCalculators = [...(config.shippingOptions.shippingCalculators ?? []), marketplaceShippingCalculator];
  config.shippingOptions.shippingEligibilityCheckers = [...(config.shippingOptions.shippingEligibilityCheckers ?? []), marketplaceOrderChecker];
  config.shippingOptions.fulfillmentHandlers = [...(config.shippingOptions.fulfillmentHandlers ?? []), createFulfillmentHandler(o.trackingUrlField)];

  const every = o.everyMinutes;
  config.schedulerOptions.tasks = [
    ...(config.schedulerOptions.tasks ?? []),
    new ScheduledTask({
      id: TASK_ID,
      description: 'Shoppingfeed: import marketplace orders, acknowledge them, send shipments and cancellations',
      schedule: (cron) => (every < 60 ? cron.every(every).minutes() : cron.every(every / 60).hours()),
      timeout: o.taskTimeout ?? '10m',
      preventOverlap: true,
      execute: ({ injector }) => injector.get(ShoppingfeedService).runOnce(),
    }),
  ];
  return config;
}

VendurePlugin({
  imports: [PluginCommonModule],
  providers: [{ provide: OPTIONS, useFactory: () => ShoppingfeedPlugin.options }, ShoppingfeedService],
  exports: [ShoppingfeedService],
  entities: ENTITIES,
  configuration: configure,
  compatibility: '^3.3.0',
})(ShoppingfeedPlugin);

module.exports = { ShoppingfeedPlugin, TASK_ID };
