'use strict';
// MedusaShop: the engine's order side on Medusa. `createOrder(draft)` finds what the order needs in the shop
// (region, sales channel, variants by SKU, shipping option, stock locations), refuses what cannot be made (an
// unknown SKU, missing stock, a currency no region sells in…), then runs the import workflow; it is idempotent
// on the Shoppingfeed order id (kept in the order's metadata, written with the order itself).
// `marketplaceStatusChanged` cancels the Medusa order when the marketplace cancelled or refused it.

const { ContainerRegistrationKeys, Modules, MedusaError, getVariantAvailability } = require('@medusajs/framework/utils');
const { cancelOrderWorkflow } = require('@medusajs/medusa/core-flows');
const { importMarketplaceOrderWorkflow } = require('./workflows.cjs');

/** Marketplace amounts are decimals as sent; Medusa stores decimals too: only float noise is removed. */
const money = (x) => Math.round(Number(x || 0) * 100) / 100;

/** Tax rate (%) implied by a tax-inclusive amount and its tax part; 0 when there is no tax. */
function impliedRate(gross, tax) {
  const net = gross - tax;
  if (!(tax > 0) || !(net > 0)) return 0;
  return Math.round((tax / net) * 100 * 10000) / 10000;
}

/** @param {any} a a draft address → Medusa's */
function toMedusaAddress(a) {
  const street = (a.street ?? []).filter((s) => s && s.trim());
  const line2 = [...street.slice(1), a.other].filter((s) => s && s.trim()).join(', ');
  return {
    first_name: a.firstName || '',
    last_name: a.lastName || '',
    company: a.company || '',
    address_1: street[0] || a.other || '',
    address_2: street.length ? line2 : '',
    city: a.city || '',
    province: a.province || '',
    postal_code: a.postalCode || '',
    country_code: (a.country || '').toLowerCase(),
    phone: a.phone || '',
  };
}

/** Errors Medusa raises for data it refuses (→ error acknowledgement); anything else is a failure to retry. */
function isRefusal(err) {
  const refusals = [MedusaError.Types.INVALID_DATA, MedusaError.Types.NOT_ALLOWED, MedusaError.Types.NOT_FOUND, MedusaError.Types.INVALID_ARGUMENT];
  return !!err && refusals.includes(err.type);
}

class Rejection extends Error {}

class MedusaShop {
  /**
   * @param {object} deps
   * @param {any} deps.container Medusa's container (workflows, query, modules)
   * @param {Record<string, any>} deps.options the plugin's options
   * @param {{ info(m: string): void, warn(m: string): void, error(m: string): void, debug?(m: string): void }} deps.logger
   */
  constructor({ container, options, logger }) {
    this.container = container;
    this.options = options;
    this.logger = logger;
  }

  get query() {
    return this.container.resolve(ContainerRegistrationKeys.QUERY);
  }

  async graph(entity, fields, filters, pagination) {
    const { data } = await this.query.graph({ entity, fields, filters, ...(pagination ? { pagination } : {}) });
    return data;
  }

  /** The Medusa order made from a Shoppingfeed order (looked up by its metadata), or null. */
  async findOrder(shoppingfeedId) {
    const orders = await this.graph('order', ['id', 'display_id', 'status', 'created_at'], { metadata: { shoppingfeed_order_id: String(shoppingfeedId) } });
    orders.sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime());
    return orders[0] ?? null;
  }

  /** OrderStore.createOrder. */
  async createOrder(draft) {
    const existing = await this.findOrder(draft.shoppingfeedId);
    if (existing) return { outcome: 'created', shopOrderId: String(existing.display_id), existed: true };
    let plan;
    try {
      plan = await this.plan(draft);
    } catch (err) {
      if (err instanceof Rejection) return { outcome: 'rejected', message: err.message };
      throw err;
    }
    try {
      const { result } = await importMarketplaceOrderWorkflow(this.container).run({ input: plan.input });
      this.logger.info(
        `Shoppingfeed: order ${draft.reference} (${draft.channel.name}, Shoppingfeed ${draft.shoppingfeedId}) created as #${result.display_id}`,
      );
      await this.checkTotal(result.id, draft);
      return { outcome: 'created', shopOrderId: String(result.display_id) };
    } catch (err) {
      // Created meanwhile by another process: the first one stands.
      const again = await this.findOrder(draft.shoppingfeedId).catch(() => null);
      if (again) return { outcome: 'created', shopOrderId: String(again.display_id), existed: true };
      if (isRefusal(err)) return { outcome: 'rejected', message: String(err.message || 'refused by Medusa') };
      throw err;
    }
  }

  /** Everything the workflow needs, or a Rejection naming what is missing. */
  async plan(draft) {
    const currency = String(draft.currency || '').toLowerCase();
    const country = String(draft.shippingAddress.country || draft.billingAddress.country || '').toLowerCase();
    if (!country) throw new Rejection('the address has no country');

    // SKUs first: an unknown one is named in the error acknowledgement.
    const skus = [...new Set(draft.lines.map((l) => l.sku))];
    const variants = await this.graph(
      'product_variant',
      [
        'id',
        'sku',
        'title',
        'manage_inventory',
        'allow_backorder',
        'product.id',
        'product.title',
        'inventory_items.inventory_item_id',
        'inventory_items.required_quantity',
      ],
      { sku: skus },
    );
    const bySku = new Map(variants.filter((v) => v.sku).map((v) => [v.sku, v]));
    const unknown = skus.filter((s) => !bySku.has(s));
    if (unknown.length) throw new Rejection(`unknown SKU ${unknown.join(', ')}`);

    const region = await this.region(currency, country);
    const salesChannelId = await this.salesChannelId();
    const option = await this.shippingOption(draft.carrier, country);

    // Stock: managed variants need what the order takes, in the sales channel's locations.
    const reservations = [];
    const sellFromStock = !draft.fulfilledByChannel;
    if (sellFromStock) {
      const wanted = new Map();
      for (const line of draft.lines) wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
      const managed = [...wanted.keys()].map((sku) => bySku.get(sku)).filter((v) => v.manage_inventory);
      if (managed.length) {
        const availability = await getVariantAvailability(this.query, { variant_ids: managed.map((v) => v.id), sales_channel_id: salesChannelId });
        // No stock figure in the message: it must stay the same from cycle to cycle (one error ack per message).
        const short = managed.filter((v) => !v.allow_backorder && Number(availability[v.id]?.availability ?? 0) < wanted.get(v.sku));
        if (short.length) throw new Rejection(`insufficient stock for SKU ${short.map((v) => `${v.sku} (${wanted.get(v.sku)} ordered)`).join(', ')}`);
        const locations = await this.stockLocations(salesChannelId, option.locationId);
        for (const [index, line] of draft.lines.entries()) {
          const variant = bySku.get(line.sku);
          if (!variant.manage_inventory) continue;
          for (const link of variant.inventory_items ?? []) {
            const quantity = line.quantity * Number(link.required_quantity ?? 1);
            const locationId = await this.reservationLocation(link.inventory_item_id, quantity, locations, reservations);
            reservations.push({
              key: String(index),
              inventory_item_id: link.inventory_item_id,
              location_id: locationId,
              quantity,
              allow_backorder: !!variant.allow_backorder,
            });
          }
        }
      }
    }

    const linesGross = draft.lines.reduce((s, l) => s + money(l.unitPrice) * l.quantity, 0);
    const linesTax = draft.lines.reduce((s, l) => s + money(l.taxAmount), 0);
    const shipping = money(draft.shippingAmount);
    const shippingTax = Math.max(0, money(draft.taxAmount - linesTax));
    // Shipping tax as sent (Amazon's shipping_tax); otherwise the lines' own rate.
    const shippingRate = shippingTax > 0 && shipping > shippingTax ? impliedRate(shipping, shippingTax) : shipping > 0 ? impliedRate(linesGross, linesTax) : 0;

    const items = draft.lines.map((l, index) => {
      const variant = bySku.get(l.sku);
      return {
        ...(sellFromStock ? { variant_id: variant.id } : {}),
        title: variant.product?.title || l.name || l.sku,
        // Shipped goods (Medusa would infer "no shipping" for a variant without managed inventory).
        ...(sellFromStock
          ? { requires_shipping: true }
          : { product_title: variant.product?.title, variant_title: variant.title, variant_sku: l.sku, requires_shipping: false }),
        quantity: l.quantity,
        unit_price: money(l.unitPrice),
        is_tax_inclusive: true,
        metadata: {
          shoppingfeed_line: String(index),
          shoppingfeed_item_id: l.itemId == null ? null : String(l.itemId),
          shoppingfeed_reference: l.originalReference || l.sku,
          shoppingfeed_tax_amount: money(l.taxAmount),
        },
      };
    });

    // Vouchers and fees: whatever separates the lines and shipping from the marketplace's total.
    const difference = money(money(draft.totalAmount) - money(linesGross + shipping));
    const kinds = (draft.adjustments ?? []).map((a) => a.kind).join(', ');
    const creditLines = [];
    if (difference < 0) {
      creditLines.push({
        amount: -difference,
        reference: 'shoppingfeed',
        reference_id: String(draft.shoppingfeedId),
        metadata: { description: `Marketplace adjustment${kinds ? ` (${kinds})` : ''}`, kinds },
      });
    } else if (difference > 0) {
      items.push({
        title: `Marketplace fees${kinds ? ` (${kinds})` : ''}`,
        quantity: 1,
        unit_price: difference,
        is_tax_inclusive: true,
        requires_shipping: false,
        metadata: { shoppingfeed_adjustment: kinds || 'fees' },
      });
    }

    const buyer = draft.billingAddress.lastName || draft.billingAddress.firstName ? draft.billingAddress : draft.shippingAddress;
    const email = (draft.buyerEmail || buyer.email || '').trim().toLowerCase() || `${draft.shoppingfeedId}@shoppingfeed.invalid`;
    const metadata = {
      shoppingfeed_order_id: String(draft.shoppingfeedId),
      shoppingfeed_store_id: draft.storeId == null ? null : String(draft.storeId),
      shoppingfeed_reference: draft.reference,
      shoppingfeed_channel: draft.channel.name,
      shoppingfeed_channel_id: draft.channel.id,
      shoppingfeed_status: String(draft.status),
      shoppingfeed_carrier: draft.carrier || null,
      shoppingfeed_payment_method: draft.paymentMethod || null,
      shoppingfeed_relay_point: draft.relayPoint ? draft.relayPoint.id : null,
      shoppingfeed_latest_ship_date: draft.latestShipDate || null,
      shoppingfeed_business: !!draft.business,
      shoppingfeed_vat_id: draft.vatId || null,
      shoppingfeed_fulfilled_by_channel: !!draft.fulfilledByChannel,
    };
    return {
      input: {
        order: {
          region_id: region.id,
          sales_channel_id: salesChannelId,
          currency_code: currency,
          email,
          status: 'pending',
          items,
          shipping_address: toMedusaAddress(draft.shippingAddress),
          billing_address: toMedusaAddress(draft.billingAddress),
          shipping_methods: [
            {
              name: draft.carrier || option.name,
              amount: shipping,
              is_tax_inclusive: true,
              shipping_option_id: option.id,
              data: {},
              metadata: { shoppingfeed_carrier: draft.carrier || null },
            },
          ],
          credit_lines: creditLines,
          metadata,
          no_notification: true,
        },
        taxes: { items: draft.lines.map((l, index) => ({ key: String(index), rate: impliedRate(money(l.unitPrice) * l.quantity, money(l.taxAmount)) })), shipping_rate: shippingRate },
        reservations,
        amount: money(draft.totalAmount),
        description: `Shoppingfeed ${draft.channel.name} ${draft.reference}`,
      },
    };
  }

  /** The region for a currency and country: the configured one, else one selling in the currency to the country. */
  async region(currency, country) {
    const fields = ['id', 'name', 'currency_code', 'countries.iso_2'];
    if (this.options.regionId) {
      const [region] = await this.graph('region', fields, { id: this.options.regionId });
      if (!region) throw new Error(`regionId ${this.options.regionId} is not a Medusa region`);
      if (region.currency_code !== currency) throw new Rejection(`currency ${currency.toUpperCase()} is not the currency of Medusa region ${region.name}`);
      return region;
    }
    const regions = await this.graph('region', fields, { currency_code: currency });
    if (!regions.length) throw new Rejection(`no Medusa region sells in ${currency.toUpperCase()}`);
    return regions.find((r) => (r.countries ?? []).some((c) => c.iso_2 === country)) ?? regions[0];
  }

  async salesChannelId() {
    if (this.options.salesChannelId) return this.options.salesChannelId;
    if (!this.defaultSalesChannel) {
      const [store] = await this.graph('store', ['id', 'default_sales_channel_id'], {});
      if (!store?.default_sales_channel_id) throw new Error('the Medusa store has no default sales channel: set the plugin option salesChannelId');
      this.defaultSalesChannel = store.default_sales_channel_id;
    }
    return this.defaultSalesChannel;
  }

  /**
   * The shipping option marketplace orders are shipped with: the configured one, else one named like the
   * marketplace's carrier, else one whose service zone covers the country, else the first one.
   */
  async shippingOption(carrier, country) {
    const fields = [
      'id',
      'name',
      'provider_id',
      'shipping_profile_id',
      'service_zone.geo_zones.country_code',
      'service_zone.fulfillment_set.location.id',
      'rules.attribute',
      'rules.value',
    ];
    const shape = (o) => ({ id: o.id, name: o.name, locationId: o.service_zone?.fulfillment_set?.location?.id ?? null });
    if (this.options.shippingOptionId) {
      const [option] = await this.graph('shipping_option', fields, { id: this.options.shippingOptionId });
      if (!option) throw new Error(`shippingOptionId ${this.options.shippingOptionId} is not a Medusa shipping option`);
      return shape(option);
    }
    const all = (await this.graph('shipping_option', fields, {})).filter(
      (o) => !(o.rules ?? []).some((r) => r.attribute === 'is_return' && String(r.value).replace(/"/g, '') === 'true'),
    );
    if (!all.length) throw new Rejection('no shipping option is set up in Medusa');
    const wanted = String(carrier || '').trim().toLowerCase();
    const covers = (o) => (o.service_zone?.geo_zones ?? []).some((z) => z.country_code === country);
    const option =
      (wanted && all.find((o) => o.name.trim().toLowerCase() === wanted)) ||
      all.find(covers) ||
      [...all].sort((a, b) => String(a.id).localeCompare(String(b.id)))[0];
    return shape(option);
  }

  /** The sales channel's stock locations, the shipping option's own first. */
  async stockLocations(salesChannelId, preferred) {
    const [channel] = await this.graph('sales_channel', ['id', 'stock_locations.id'], { id: salesChannelId });
    const ids = (channel?.stock_locations ?? []).map((l) => l.id);
    if (preferred && ids.includes(preferred)) return [preferred, ...ids.filter((id) => id !== preferred)];
    return ids.length ? ids : preferred ? [preferred] : [];
  }

  /** Where to reserve `quantity` of an inventory item: the first location that has it available. */
  async reservationLocation(inventoryItemId, quantity, locations, planned) {
    if (!locations.length) throw new Rejection('the sales channel has no stock location');
    const levels = await this.graph('inventory_level', ['location_id', 'available_quantity'], { inventory_item_id: inventoryItemId, location_id: locations });
    const plannedAt = (loc) => planned.filter((r) => r.inventory_item_id === inventoryItemId && r.location_id === loc).reduce((s, r) => s + r.quantity, 0);
    for (const loc of locations) {
      const level = levels.find((l) => l.location_id === loc);
      if (level && Number(level.available_quantity) - plannedAt(loc) >= quantity) return loc;
    }
    const stocked = locations.find((loc) => levels.some((l) => l.location_id === loc));
    return stocked ?? locations[0];
  }

  /** Warns when Medusa's total differs from the marketplace's (a promotion of the shop, say). */
  async checkTotal(orderId, draft) {
    try {
      const [order] = await this.graph('order', ['id', 'display_id', 'total'], { id: orderId });
      if (order && money(order.total) !== money(draft.totalAmount)) {
        this.logger.warn(
          `Shoppingfeed: order #${order.display_id}: Medusa's total ${money(order.total)} differs from the marketplace's ${money(draft.totalAmount)} (a promotion of the shop?)`,
        );
      }
    } catch {
      // a check only
    }
  }

  /** Merges keys into an order's metadata. */
  async setMetadata(orderId, patch) {
    const orders = this.container.resolve(Modules.ORDER);
    const order = await orders.retrieveOrder(orderId, { select: ['id', 'metadata'] });
    await orders.updateOrders(orderId, { metadata: { ...(order.metadata ?? {}), ...patch } });
  }

  /** OrderStore.marketplaceStatusChanged: the marketplace cancelled, refused or refunded the order. */
  async marketplaceStatusChanged(record, previous) {
    const order = await this.findOrder(record.shoppingfeedId);
    if (!order) return;
    const status = String(record.order.status);
    // First the status, so the order.canceled subscriber knows not to send the cancellation back.
    await this.setMetadata(order.id, { shoppingfeed_status: status });
    const where = `on ${record.channel?.name ?? 'the marketplace'}`;
    if ((status === 'cancelled' || status === 'refused') && order.status !== 'canceled') {
      try {
        await cancelOrderWorkflow(this.container).run({ input: { order_id: order.id, no_notification: true } });
        this.logger.info(`Shoppingfeed: order #${order.display_id} ${status} ${where}: cancelled in Medusa`);
      } catch (err) {
        this.logger.warn(`Shoppingfeed: order #${order.display_id} was ${status} ${where}, but Medusa could not cancel it: ${err.message}`);
        await this.setMetadata(order.id, { shoppingfeed_error: `${status} ${where}; not cancelled in Medusa: ${err.message}` });
      }
    } else if (status !== previous) {
      this.logger.info(`Shoppingfeed: order #${order.display_id} is now ${status} ${where} (was ${previous})`);
    }
  }
}

module.exports = { MedusaShop, toMedusaAddress, impliedRate, Rejection };
