'use strict';
// ShoppingfeedService: the connector hosted in Vendure. It creates marketplace orders through Vendure's
// services (OrderService, CustomerService…), keeps the journal in Vendure's database (VendureOrderStore),
// and turns admin actions into Shoppingfeed operations: a fulfillment created or shipped → `ship` (once),
// an order cancelled → `cancel`; a marketplace cancellation cancels the Vendure order.
// Every order rule (what to import, when to acknowledge, ship validation…) stays in the engine.

const { core, nestCommon, typeorm } = require('./peer.cjs');
const { createOrderSync, trackingUrlFor } = require('../index.cjs');
const { connectorOptions } = require('../lib/sync.cjs');
const { VendureOrderStore } = require('./store.cjs');
const { CODES } = require('./strategies.cjs');

const {
  TransactionalConnection,
  OrderService,
  ProductVariantService,
  CustomerService,
  ShippingMethodService,
  CountryService,
  RequestContextService,
  EventBus,
  ConfigService,
  Order,
  OrderLine,
  Fulfillment,
  FulfillmentEvent,
  FulfillmentStateTransitionEvent,
  OrderStateTransitionEvent,
  Logger,
  isGraphQlErrorResult,
} = core;

const LOG = 'ShoppingfeedPlugin';
const OPTIONS = Symbol.for('shoppingfeed-orders.vendure.options');

/** A business refusal: the order cannot be created as sent (→ error acknowledgement). */
class Rejection extends Error {}

/** Marketplace amounts (major units, as sent) → Vendure integers (minor units). @param {number} x */
const minor = (x) => Math.round(Number(x || 0) * 100);

/** Tax rate (%) implied by a tax-inclusive amount and its tax part, both in minor units. */
function impliedRate(gross, tax) {
  const net = gross - tax;
  if (!(tax > 0) || !(net > 0)) return 0;
  return (tax / net) * 100;
}

/** @param {any} a draft address */
function toVendureAddress(a) {
  const street = (a.street ?? []).filter((s) => s && s.trim());
  const line2 = [...street.slice(1), a.other].filter((s) => s && s.trim()).join(', ');
  return {
    fullName: [a.firstName, a.lastName].filter((s) => s && s.trim()).join(' '),
    company: a.company || '',
    streetLine1: street[0] || a.other || '',
    streetLine2: street.length ? line2 : '',
    city: a.city || '',
    province: a.province || '',
    postalCode: a.postalCode || '',
    countryCode: (a.country || '').toUpperCase(),
    phoneNumber: a.phone || '',
  };
}

/** Vendure's messages are i18n keys outside a request (`message.cannot-transition-…`): make them readable. */
function readable(message) {
  const m = /^(?:message|error)\.([a-z0-9-]+)$/.exec(String(message ?? ''));
  return m ? m[1].replaceAll('-', ' ') : String(message ?? 'refused');
}

/** Engine log lines and adapter messages into Vendure's logger (never the token). */
const vendureLogger = {
  debug: (fields, msg) => Logger.debug(format(fields, msg), LOG),
  info: (fields, msg) => Logger.info(format(fields, msg), LOG),
  warn: (fields, msg) => Logger.warn(format(fields, msg), LOG),
  error: (fields, msg) => Logger.error(format(fields, msg), LOG),
};
function format(fields, msg) {
  if (typeof fields === 'string') return fields;
  const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  return `${msg ?? ''}${extra}`;
}

/**
 * The tracking URL from the per-carrier templates, by the engine's one rule (as the dashboard and `ship
 * --carrier`): `{trackingNumber}`, `{carrier}`; `{trackingCode}` still read, deprecated.
 */
function trackingUrlFrom(templates, carrier, trackingNumber) {
  if (!templates || !carrier || !trackingNumber) return null;
  return trackingUrlFor(templates, carrier, trackingNumber);
}

class ShoppingfeedService {
  constructor(options, connection, orderService, variantService, customerService, shippingMethodService, countryService, requestContextService, eventBus, configService) {
    this.options = options;
    this.configService = configService;
    this.connection = connection;
    this.orderService = orderService;
    this.variantService = variantService;
    this.customerService = customerService;
    this.shippingMethodService = shippingMethodService;
    this.countryService = countryService;
    this.requestContextService = requestContextService;
    this.eventBus = eventBus;
    /** Admin hooks run one at a time in this process (a fulfillment's two events never race). */
    this.queue = Promise.resolve();
    /** Admin hooks run so far in this process (ship, cancel events handled). */
    this.hooksRun = 0;
    this.sync = null;
    this.store = new VendureOrderStore({
      dataSource: () => this.connection.rawConnection,
      shop: this,
      lockName: `sync:${options.storeId ?? 'default'}`,
    });
  }

  onApplicationBootstrap() {
    const scheduler = this.configService.schedulerOptions?.schedulerStrategy;
    if (!scheduler || scheduler.constructor?.name === 'NoopSchedulerStrategy') {
      Logger.warn('no scheduler: orders will not be imported on schedule; add DefaultSchedulerPlugin.init() to the plugins', LOG);
    }
    this.subscriptions = [
      this.eventBus.ofType(FulfillmentEvent).subscribe((e) => {
        if (e.type === 'created') this.enqueue(() => this.shipFulfillment(e.entity.id, 'created'));
      }),
      this.eventBus.ofType(FulfillmentStateTransitionEvent).subscribe((e) => {
        if (e.toState === 'Shipped') this.enqueue(() => this.shipFulfillment(e.fulfillment.id, 'shipped'));
      }),
      this.eventBus.ofType(OrderStateTransitionEvent).subscribe((e) => {
        if (e.toState === 'Cancelled') this.enqueue(() => this.orderCancelled(e.order));
      }),
    ];
  }

  onApplicationShutdown() {
    for (const s of this.subscriptions ?? []) s.unsubscribe();
  }

  /** The connector (engine + this store), made on first use. */
  getSync() {
    if (!this.sync) {
      const o = this.options;
      this.sync = createOrderSync({
        ...connectorOptions(o),
        store: this.store,
        logger: o.logger === false ? false : o.logger ?? vendureLogger,
      });
    }
    return this.sync;
  }

  /** One sync cycle (what the scheduled task runs); resolves to a short summary of the report. */
  async runOnce() {
    const report = await this.getSync().runOnce();
    const { issues, ...counts } = report;
    return { ...counts, issues: issues.slice(0, 10) };
  }

  /** @param {() => Promise<void>} job */
  enqueue(job) {
    this.queue = this.queue
      .then(job)
      .catch((err) => Logger.error(`admin hook failed: ${err?.message ?? err}`, LOG))
      .finally(() => {
        this.hooksRun += 1;
      });
    return this.queue;
  }

  /** Resolves when the admin hooks queued so far have run (tests, graceful shutdowns). */
  idle() {
    return this.queue;
  }

  /** @param {{ currencyCode?: string }} [extra] */
  async context(extra = {}) {
    return this.requestContextService.create({
      apiType: 'admin',
      ...(this.options.channelToken ? { channelOrToken: this.options.channelToken } : {}),
      ...extra,
    });
  }

  /** The Vendure order made from a Shoppingfeed order, if any. */
  async findOrder(ctx, shoppingfeedId) {
    return this.connection.getRepository(ctx, Order).findOne({
      where: { customFields: { shoppingfeedOrderId: String(shoppingfeedId) } },
    });
  }

  /** The shipping method marketplace orders use (made in this channel on first need). */
  async shippingMethodId(ctx) {
    const list = await this.shippingMethodService.findAll(ctx, { filter: { code: { eq: CODES.shippingMethod } }, take: 1 });
    if (list.items.length) return list.items[0].id;
    const created = await this.shippingMethodService.create(ctx, {
      code: CODES.shippingMethod,
      fulfillmentHandler: CODES.fulfillmentHandler,
      checker: { code: CODES.eligibilityChecker, arguments: [] },
      calculator: { code: CODES.shippingCalculator, arguments: [] },
      translations: [
        {
          languageCode: ctx.channel.defaultLanguageCode,
          name: 'Marketplace shipping (Shoppingfeed)',
          description: 'Shipping as charged by the marketplace. Used only for orders imported from Shoppingfeed.',
        },
      ],
    });
    Logger.info(`created the shipping method "${CODES.shippingMethod}" for marketplace orders`, LOG);
    return created.id;
  }

  /**
   * OrderStore.createOrder: idempotent on the Shoppingfeed id; every step in one transaction, so a
   * refusal or a crash leaves no half-made order.
   */
  async createOrder(draft) {
    const baseCtx = await this.context();
    const existing = await this.findOrder(baseCtx, draft.shoppingfeedId);
    if (existing) return { outcome: 'created', shopOrderId: existing.code, existed: true };

    const channel = baseCtx.channel;
    if (!channel.availableCurrencyCodes.includes(draft.currency)) {
      return { outcome: 'rejected', message: `currency ${draft.currency} is not available in Vendure channel ${channel.code}` };
    }
    const ctx = await this.context({ currencyCode: draft.currency });

    // SKUs first: an unknown one is named in the error acknowledgement.
    const variants = new Map();
    const unknown = [];
    for (const line of draft.lines) {
      if (variants.has(line.sku) || unknown.includes(line.sku)) continue;
      const found = await this.variantService.findAll(ctx, { filter: { sku: { eq: line.sku } }, take: 2 });
      const variant = found.items.find((v) => v.sku === line.sku);
      if (variant) variants.set(line.sku, variant);
      else unknown.push(line.sku);
    }
    if (unknown.length) return { outcome: 'rejected', message: `unknown SKU ${unknown.join(', ')}` };
    const wanted = new Map();
    for (const line of draft.lines) wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
    const short = [];
    for (const [sku, quantity] of wanted) {
      const available = await this.variantService.getSaleableStockLevel(ctx, variants.get(sku));
      // No stock figure in the message: it must stay the same from cycle to cycle (one error ack per message).
      if (quantity > available) short.push(`${sku} (${quantity} ordered)`);
    }
    if (short.length) return { outcome: 'rejected', message: `insufficient stock for SKU ${short.join(', ')}` };
    for (const a of [draft.shippingAddress, draft.billingAddress]) {
      const code = (a.country || '').toUpperCase();
      if (!code) return { outcome: 'rejected', message: 'the address has no country' };
      try {
        await this.countryService.findOneByCode(ctx, code);
      } catch {
        return { outcome: 'rejected', message: `country ${code} is not set up in Vendure` };
      }
    }

    try {
      const code = await this.connection.withTransaction(ctx, (tx) => this.createInTransaction(tx, draft, variants));
      Logger.debug(`order ${draft.reference} (${draft.channel.name}, Shoppingfeed ${draft.shoppingfeedId}) created as ${code}`, LOG);
      return { outcome: 'created', shopOrderId: code };
    } catch (err) {
      if (err instanceof Rejection) return { outcome: 'rejected', message: err.message };
      // Created meanwhile by another process (unique Shoppingfeed id): the first one stands.
      const again = await this.findOrder(baseCtx, draft.shoppingfeedId).catch(() => null);
      if (again) return { outcome: 'created', shopOrderId: again.code, existed: true };
      throw err;
    }
  }

  async createInTransaction(ctx, draft, variants) {
    const os = this.orderService;
    const check = (result, what) => {
      if (isGraphQlErrorResult(result)) throw new Rejection(`${what}: ${readable(result.transitionError ?? result.message)}`);
      return result;
    };
    const linesGross = draft.lines.reduce((s, l) => s + minor(l.unitPrice) * l.quantity, 0);
    const linesTax = draft.lines.reduce((s, l) => s + minor(l.taxAmount), 0);
    const shipping = minor(draft.shippingAmount);
    const shippingTax = Math.max(0, minor(draft.taxAmount) - linesTax);
    // Shipping tax as sent (Amazon's shipping_tax); otherwise the lines' own rate.
    const shippingTaxRate = shippingTax > 0 && shipping > shippingTax ? impliedRate(shipping, shippingTax) : impliedRate(linesGross, linesTax);

    const order = await os.createDraft(ctx);
    await os.updateCustomFields(ctx, order.id, {
      shoppingfeedOrderId: String(draft.shoppingfeedId),
      shoppingfeedReference: draft.reference,
      shoppingfeedChannel: draft.channel.name,
      shoppingfeedStatus: String(draft.status),
      shoppingfeedCarrier: draft.carrier || null,
      shoppingfeedRelayPoint: draft.relayPoint ? `${draft.relayPoint.id}` : null,
      shoppingfeedLatestShipDate: draft.latestShipDate ? new Date(draft.latestShipDate) : null,
      shoppingfeedShippingAmount: shipping,
      shoppingfeedShippingTaxRate: shippingTaxRate,
    });

    const added = await os.addItemsToOrder(
      ctx,
      order.id,
      draft.lines.map((l) => ({
        productVariantId: variants.get(l.sku).id,
        quantity: l.quantity,
        customFields: {
          shoppingfeedItemId: l.itemId == null ? null : String(l.itemId),
          shoppingfeedUnitPrice: minor(l.unitPrice),
          shoppingfeedTaxAmount: minor(l.taxAmount),
          shoppingfeedTaxRate: impliedRate(minor(l.unitPrice) * l.quantity, minor(l.taxAmount)),
        },
      })),
    );
    if (added.errorResults?.length) {
      throw new Rejection(added.errorResults.map((e) => e.message).join('; '));
    }

    const buyer = draft.billingAddress.lastName || draft.billingAddress.firstName ? draft.billingAddress : draft.shippingAddress;
    const email = (draft.buyerEmail || '').trim() || `${draft.shoppingfeedId}@shoppingfeed.invalid`;
    const known = await this.connection.getRepository(ctx, core.Customer).findOne({ where: { emailAddress: email.toLowerCase(), deletedAt: typeorm.IsNull() } }).catch(() => null);
    const customer = check(
      await this.customerService.createOrUpdate(
        ctx,
        known
          ? { emailAddress: email }
          : { emailAddress: email, firstName: buyer.firstName || '', lastName: buyer.lastName || '', phoneNumber: buyer.phone || draft.shippingAddress.phone || '' },
        false,
      ),
      'customer',
    );
    await os.addCustomerToOrder(ctx, order.id, customer);
    await os.setShippingAddress(ctx, order.id, toVendureAddress(draft.shippingAddress));
    await os.setBillingAddress(ctx, order.id, toVendureAddress(draft.billingAddress));
    check(await os.setShippingMethod(ctx, order.id, [await this.shippingMethodId(ctx)]), 'shipping method');

    // Vouchers and fees: whatever makes the marketplace's total, as one surcharge.
    const difference = minor(draft.totalAmount) - (linesGross + shipping);
    if (difference !== 0) {
      const kinds = (draft.adjustments ?? []).map((a) => a.kind).join(', ');
      await os.addSurchargeToOrder(ctx, order.id, {
        description: `Marketplace adjustment${kinds ? ` (${kinds})` : ''}`,
        listPrice: difference,
        listPriceIncludesTax: true,
        sku: 'SHOPPINGFEED-ADJUSTMENT',
        taxLines: [],
      });
    }

    check(await os.transitionToState(ctx, order.id, 'ArrangingPayment'), 'cannot take the order');
    check(
      await os.addManualPaymentToOrder(ctx, {
        orderId: order.id,
        method: `shoppingfeed:${draft.channel.name}`,
        transactionId: draft.reference,
        metadata: {
          shoppingfeedId: draft.shoppingfeedId,
          channel: draft.channel.name,
          reference: draft.reference,
          paymentMethod: draft.paymentMethod,
        },
      }),
      'payment',
    );
    // Vendure's payment process usually moves a fully paid order on by itself.
    let placed = await os.findOne(ctx, order.id);
    if (placed.state !== 'PaymentSettled') placed = check(await os.transitionToState(ctx, order.id, 'PaymentSettled'), 'cannot settle the payment');
    if (placed.totalWithTax !== minor(draft.totalAmount)) {
      Logger.warn(
        `order ${placed.code}: Vendure total ${placed.totalWithTax} differs from the marketplace's ${minor(draft.totalAmount)} (a promotion or a price strategy of the shop?)`,
        LOG,
      );
    }
    return placed.code;
  }

  /** OrderStore.marketplaceStatusChanged: the marketplace cancelled, refused or refunded the order. */
  async marketplaceStatusChanged(record, previous) {
    const ctx = await this.context();
    const order = await this.findOrder(ctx, record.shoppingfeedId);
    if (!order) return;
    const status = String(record.order.status);
    await this.connection.withTransaction(ctx, async (tx) => {
      await this.orderService.updateCustomFields(tx, order.id, { shoppingfeedStatus: status });
      const where = `on ${record.channel?.name ?? 'the marketplace'}`;
      if ((status === 'cancelled' || status === 'refused') && order.state !== 'Cancelled') {
        const result = await this.orderService.cancelOrder(tx, { orderId: order.id, reason: `${status} ${where} (Shoppingfeed)`, cancelShipping: true });
        if (isGraphQlErrorResult(result)) {
          await this.note(tx, order.id, `Shoppingfeed: the order was ${status} ${where}, but Vendure could not cancel it: ${readable(result.message)}`);
        }
      } else if (status !== previous) {
        await this.note(tx, order.id, `Shoppingfeed: the order is now ${status} ${where} (was ${previous}).`);
      }
    });
  }

  async note(ctx, orderId, note) {
    try {
      await this.orderService.addNoteToOrder(ctx, { id: orderId, note, isPublic: false });
    } catch (err) {
      Logger.warn(`could not add a note to order ${orderId}: ${err.message}`, LOG);
    }
  }

  /**
   * Admin hook: a fulfillment was created, or moved to Shipped. Sends `ship` once per fulfillment (the
   * fulfillment keeps the operation id), with the fulfillment's method as carrier, its tracking code, and
   * the tracking URL custom field or the carrier's template.
   * @param {string|number} fulfillmentId @param {'created'|'shipped'} trigger
   */
  async shipFulfillment(fulfillmentId, trigger) {
    const ctx = await this.context();
    const field = this.options.trackingUrlField;
    const fulfillment = await this.connection.getRepository(ctx, Fulfillment).findOne({ where: { id: fulfillmentId }, relations: ['lines'] });
    if (!fulfillment || fulfillment.customFields?.shoppingfeedOperationId) return;
    const lines = await this.connection.getRepository(ctx, OrderLine).find({
      where: { id: typeorm.In(fulfillment.lines.map((l) => l.orderLineId)) },
      relations: ['order'],
    });
    const byOrder = new Map();
    for (const line of lines) {
      if (!line.order?.customFields?.shoppingfeedOrderId) continue;
      if (!byOrder.has(line.order.id)) byOrder.set(line.order.id, { order: line.order, lines: [] });
      byOrder.get(line.order.id).lines.push(line);
    }
    if (byOrder.size === 0) return;
    const trackingNumber = (fulfillment.trackingCode || '').trim();
    if (!trackingNumber && trigger === 'created') return; // wait for Shipped: the tracking may come then
    const sent = [];
    for (const { order } of byOrder.values()) {
      const carrier = (fulfillment.method || '').trim() || order.customFields.shoppingfeedCarrier || '';
      const trackingUrl = (field && fulfillment.customFields?.[field]) || trackingUrlFrom(this.options.trackingUrlTemplates, carrier, trackingNumber);
      const allLines = await this.connection.getRepository(ctx, OrderLine).find({ where: { order: { id: order.id } } });
      const shippedHere = new Map(fulfillment.lines.map((l) => [String(l.orderLineId), l.quantity]));
      const whole = allLines.filter((l) => l.quantity > 0).every((l) => (shippedHere.get(String(l.id)) ?? 0) >= l.quantity);
      const items = whole
        ? []
        : allLines
            .filter((l) => shippedHere.has(String(l.id)))
            .map((l) => ({ id: Number(l.customFields?.shoppingfeedItemId), quantity: shippedHere.get(String(l.id)) }));
      const sfId = Number(order.customFields.shoppingfeedOrderId);
      // Same parcel already recorded (e.g. by another server process): keep that operation.
      const recorded = (await this.store.operations({ states: [], shoppingfeedId: sfId })).find(
        (op) => op.payload?.operation === 'ship' && op.payload.shipment?.trackingNumber === trackingNumber && !['failed', 'canceled'].includes(op.state),
      );
      if (recorded) {
        sent.push(recorded.id);
        continue;
      }
      try {
        if (items.some((i) => !Number.isSafeInteger(i.id))) {
          throw new Error('a partial shipment needs the Shoppingfeed item ids, and this order has none');
        }
        const op = await this.getSync().ship(sfId, { carrier, trackingNumber, trackingUrl: trackingUrl || null, items });
        sent.push(op.id);
        await this.note(ctx, order.id, `Shoppingfeed: shipment sent (${carrier}, ${trackingNumber}${trackingUrl ? `, ${trackingUrl}` : ''}): ${op.state}.`);
      } catch (err) {
        if (err?.code === 'AlreadyShipped' && trigger === 'shipped') continue;
        Logger.warn(`order ${order.code}: shipment not sent: ${err.message}`, LOG);
        await this.note(ctx, order.id, `Shoppingfeed: shipment not sent: ${err.message}`);
      }
    }
    if (sent.length) {
      await this.connection.getRepository(ctx, Fulfillment).update(fulfillment.id, { customFields: { shoppingfeedOperationId: sent.join(' ') } });
    }
  }

  /** Admin hook: a marketplace order was cancelled in Vendure → `cancel` (not when the marketplace did it). */
  async orderCancelled(order) {
    const sfId = order?.customFields?.shoppingfeedOrderId;
    if (!sfId) return;
    const status = order.customFields.shoppingfeedStatus;
    if (['cancelled', 'refused', 'refunded'].includes(status)) return;
    const ctx = await this.context();
    try {
      const op = await this.getSync().cancel(Number(sfId), 'Cancelled by the merchant');
      await this.note(ctx, order.id, `Shoppingfeed: cancellation sent: ${op.state}.`);
    } catch (err) {
      Logger.warn(`order ${order.code}: cancellation not sent: ${err.message}`, LOG);
      await this.note(ctx, order.id, `Shoppingfeed: cancellation not sent: ${err.message}`);
    }
  }
}

nestCommon.Injectable()(ShoppingfeedService);
nestCommon.Inject(OPTIONS)(ShoppingfeedService, undefined, 0);
Reflect.defineMetadata(
  'design:paramtypes',
  [Object, TransactionalConnection, OrderService, ProductVariantService, CustomerService, ShippingMethodService, CountryService, RequestContextService, EventBus, ConfigService],
  ShoppingfeedService,
);

module.exports = { ShoppingfeedService, OPTIONS, trackingUrlFrom, toVendureAddress, impliedRate, vendureLogger };
