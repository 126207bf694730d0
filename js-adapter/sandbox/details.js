// @ts-check
// The full content of an order: generated from its seed, then overlaid with what a control spec
// said explicitly. Kept apart from serialisation so rules (partial ship, refunds) see the same items.

import { findChannel } from './channels.js';
import { generateDetails, itemId } from './generate.js';

/** @typedef {import('./model.js').OrderRecord} OrderRecord */
/** @typedef {import('./generate.js').Details} Details */

const VAT = /** @type {Record<string, number>} */ ({ FR: 0.2, DE: 0.19, ES: 0.21, IT: 0.22, GB: 0.2, NL: 0.21, BE: 0.21, PL: 0.23, SE: 0.25 });
const round2 = (/** @type {number} */ n) => Math.round(n * 100) / 100;

/**
 * @param {OrderRecord} rec
 * @returns {Details}
 */
export function detailsOf(rec) {
  const channel = findChannel(rec.channelId);
  if (!channel) throw new Error(`order ${rec.id} has unknown channel ${rec.channelId}`);
  const d = generateDetails(rec, channel);
  const spec = rec.spec;
  if (!spec) return d;

  if (Array.isArray(spec.items)) {
    const vat = VAT[rec.country] ?? 0.2;
    d.items = spec.items.map((/** @type {Record<string, any>} */ it, /** @type {number} */ i) => {
      const line = it.price * it.quantity;
      return {
        id: it.id ?? itemId(rec.id, i),
        reference: it.reference,
        status: it.status ?? '',
        quantity: it.quantity,
        price: it.price,
        commission: it.commission ?? null,
        taxAmount: it.taxAmount ?? round2(line - line / (1 + vat)),
        ecotaxAmount: it.ecotaxAmount ?? 0,
        channelReference: it.channelReference ?? String(i + 1),
        additionalFields: it.additionalFields ?? null,
        name: it.name ?? it.reference,
        image: it.image ?? null,
      };
    });
    const productAmount = round2(d.items.reduce((sum, it) => sum + it.price * it.quantity, 0));
    d.payment = { ...d.payment, productAmount, totalAmount: round2(productAmount + d.payment.shippingAmount) };
    // A generated voucher belongs to generated items; explicit items come without one.
    if (d.additionalFields && 'seller_voucher' in d.additionalFields) d.additionalFields = { ...d.additionalFields, seller_voucher: '0' };
  }
  if (spec.payment) {
    d.payment = { ...d.payment, ...spec.payment };
    if (spec.payment.totalAmount === undefined && spec.payment.shippingAmount !== undefined) {
      d.payment.totalAmount = round2(d.payment.productAmount + d.payment.shippingAmount);
    }
  }
  if (spec.shipment) d.shipment = { ...d.shipment, ...spec.shipment };
  if (spec.shippingAddress) d.shippingAddress = { ...d.shippingAddress, ...spec.shippingAddress };
  if (spec.billingAddress) d.billingAddress = { ...d.billingAddress, ...spec.billingAddress };
  if (spec.additionalFields === null) d.additionalFields = null;
  else if (spec.additionalFields) d.additionalFields = { ...(d.additionalFields ?? {}), ...spec.additionalFields };
  if (spec.itemsReferencesAliases !== undefined) d.itemsReferencesAliases = spec.itemsReferencesAliases;
  if (spec.commission !== undefined) d.commission = spec.commission;
  return d;
}
