// @ts-check
// Realistic store inputs, shaped as the engine writes them (serde camelCase of OrderDraft, ImportRecord,
// OperationRecord): shared by the store test files. No tests here.

/**
 * An order draft as the engine hands it to createOrder.
 * @param {number} shoppingfeedId
 * @param {{ skus?: string[], channel?: {id: number|null, name: string}, reference?: string }} [o]
 * @returns {any}
 */
export function draft(shoppingfeedId, o = {}) {
  const skus = o.skus ?? ['SCIE-SAUT-750', 'LAME-BOIS-T101'];
  const address = {
    firstName: 'José',
    lastName: 'Ibáñez',
    company: '',
    street: ['Calle Mayor 12, 3º B', 'c/o Reception'],
    other: '',
    postalCode: '41001',
    city: 'Sevilla',
    country: 'ES',
    province: 'Sevilla',
    phone: '692372185',
    email: 'sk307ieriyf1fz@mirakl.example',
  };
  return {
    shoppingfeedId,
    storeId: 80607,
    reference: o.reference ?? `6185243201-${shoppingfeedId % 1000}`,
    channel: o.channel ?? { id: 1967, name: 'LeroyMerlin' },
    status: 'waiting_shipment',
    createdAt: '2026-11-29T14:50:36+01:00',
    latestShipDate: '2026-12-02T21:59:59+01:00',
    currency: 'EUR',
    lines: skus.map((sku, i) => ({
      itemId: 3014546920 + i,
      sku,
      originalReference: `${sku}-MKP`,
      channelReference: String(24839965 + i),
      name: `Article ${sku} « spécial »`,
      quantity: i + 2,
      unitPrice: 74.5 + i,
      taxAmount: 25.86 + i,
      ecotaxAmount: i === 0 ? 0.5 : 0,
      image: i === 0 ? `https://images.sandbox.example/p/${sku}.jpg` : null,
    })),
    shippingAmount: 4.9,
    productAmount: 149 + 3 * 75.5,
    totalAmount: 149 + 3 * 75.5 + 4.9,
    taxAmount: 25.86 + 26.86,
    paymentMethod: 'Paypal',
    carrier: 'Relais Colis',
    shippingAddress: address,
    billingAddress: { ...address, street: ['Calle Mayor 12, 3º B'] },
    buyerEmail: address.email,
    relayPoint: { id: 'RC-04512', source: 'additionalFields.shipping_pudo_id' },
    fulfilledByChannel: false,
    business: true,
    vatId: 'ESX1234567T',
    adjustments: [{ kind: 'seller_voucher', amount: -5 }],
    isTest: false,
    anonymized: false,
  };
}

/**
 * A journal entry.
 * @param {number} shoppingfeedId
 * @param {Partial<{state: string, status: string, channel: {id: number|null, name: string}, createdAt: string|null,
 *   shopOrderId: string|null, tries: number, lastError: string|null, errorAcked: string|null, ackBatchId: string|null}>} [o]
 * @returns {any}
 */
export function importRecord(shoppingfeedId, o = {}) {
  return {
    shoppingfeedId,
    reference: `702-${shoppingfeedId}-3456`,
    channel: o.channel ?? { id: 66, name: 'Amazon' },
    state: o.state ?? 'acknowledged',
    shopOrderId: o.shopOrderId === undefined ? `SO-${shoppingfeedId}` : o.shopOrderId,
    order: {
      status: o.status ?? 'waiting_shipment',
      lines: [
        { id: shoppingfeedId * 10 + 1, quantity: 2 },
        { id: null, quantity: 1 },
      ],
      latestShipDate: '2026-12-01 23:59:59',
      createdAt: o.createdAt === undefined ? '2026-11-28T09:46:20+01:00' : o.createdAt,
    },
    tries: o.tries ?? 0,
    lastError: o.lastError ?? null,
    errorAcked: o.errorAcked ?? null,
    ackBatchId: o.ackBatchId === undefined ? 'b853abdb7bf06cb747956672be2778f9' : o.ackBatchId,
    updatedAt: '2026-11-29T14:15:45+00:00',
  };
}

/** Operation records of every payload shape, on two orders. @returns {any[]} */
export function operationRecords() {
  const base = (/** @type {number} */ sfId, /** @type {string} */ op, /** @type {number} */ n) => ({
    id: `${sfId}:${op}:${n}`,
    shoppingfeedId: sfId,
    reference: `702-${sfId}-3456`,
    batchId: null,
    message: null,
    attempts: 0,
    recordedAt: `2026-11-29T14:${String(10 + n).padStart(2, '0')}:05+00:00`,
    updatedAt: `2026-11-29T14:${String(10 + n).padStart(2, '0')}:05+00:00`,
  });
  return [
    {
      ...base(1001, 'ship', 1),
      payload: {
        operation: 'ship',
        shipment: {
          carrier: 'Colissimo',
          trackingNumber: '6A98765432109',
          trackingUrl: 'https://www.laposte.fr/suivi?code=6A98765432109',
          items: [{ id: 10011, quantity: 2 }],
          warehouseId: 'WH-1',
          returnInfo: { carrier: 'Colissimo', trackingNumber: '8R00000000001' },
          complete: false,
        },
      },
      state: 'sent',
      batchId: '68e760f34a4aa5d1a20bec4164001189',
      attempts: 1,
    },
    { ...base(1001, 'upload-documents', 2), payload: { operation: 'upload-documents', documents: ['invoice'] }, state: 'pending' },
    {
      ...base(1002, 'refund', 3),
      payload: { operation: 'refund', shipping: true, products: [{ reference: 'SKU-1', quantity: 1 }] },
      state: 'failed',
      message: 'order_not_refundable: the order is not shipped',
      attempts: 2,
    },
    { ...base(1002, 'cancel', 4), payload: { operation: 'cancel', reason: 'rupture de stock' }, state: 'sending', attempts: 1 },
    { ...base(1002, 'deliver', 5), payload: { operation: 'deliver' }, state: 'canceled', batchId: 'ffee', message: 'order deleted' },
  ];
}
