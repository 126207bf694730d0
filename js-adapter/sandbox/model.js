// @ts-check
// In-memory records. An order keeps only what filters and rules need; the bulky parts (addresses,
// items, payment) are regenerated from `genKey` when the order is served, which is what lets one
// process hold 100,000 orders and still seed them in well under a second.

/** Statuses of shoppingfeed-api.md §4.1. */
export const STATUSES = Object.freeze([
  'created', 'waiting_store_acceptance', 'refused', 'waiting_shipment', 'shipped', 'cancelled',
  'refunded', 'partially_refunded', 'partially_shipped',
]);

/** Ticket types of §5.11, by operation name. */
export const TICKET_TYPES = Object.freeze({
  acknowledge: 'order.acknowledge',
  unacknowledge: 'order.unacknowledge',
  accept: 'order.notify.acceptance',
  refuse: 'order.notify.refusal',
  cancel: 'order.notify.cancellation',
  ship: 'order.notify.shipment',
  refund: 'order.notify.refund',
  deliver: 'order.notify.delivery',
  'upload-documents': 'order.notify.upload-documents',
});

export const FLAG_B2B = 1;
export const FLAG_RELAY = 2;
/** Truly fulfilled by the marketplace, whatever `fulfilledBy` says (Cdiscount/ManoMano often say `store`). */
export const FLAG_FULFILLED = 4;
/** Amazon habit: full name in `lastName`, empty `firstName`. */
export const FLAG_NAME_IN_LASTNAME = 8;
/** Seeded as already shipped by the store (its shipment is regenerated from the seed). */
export const FLAG_SEED_SHIPPED = 16;
/** Seeded as partially shipped: only the first item went out. */
export const FLAG_SEED_PARTIAL = 32;
/** Served without `items[].id`, as every order of the official modules' fixtures (it can only ship in full). */
export const FLAG_NO_ITEM_IDS = 64;
/**
 * Served with the odd values real data carries in fields no shop decision rests on: `updatedAt`
 * `0000-00-00 00:00:00` (MySQL's zero date) and `acknowledgedAt` `""` while unacknowledged, an old
 * `errors[]` entry with the API reference's example values (`"string"`, its `example` set), empty
 * strings and an unknown `shipment.type`.
 */
export const FLAG_ODD_FIELDS = 128;
/** Served with `shippingAddress: null`: the shop cannot ship it, the connector must refuse it. */
export const FLAG_NO_ADDRESS = 256;

/**
 * @typedef {object} Shipment
 * @property {number} id
 * @property {string} carrier
 * @property {string} trackingNumber
 * @property {string} trackingLink
 * @property {{carrier: string|null, trackingNumber: string|null}} returnInfo
 * @property {number} createdAt
 * @property {{id: number, quantity: number}[]} items
 */

/**
 * @typedef {object} MarketplaceState  what the buyer and the marketplace see for one order
 * @property {string} status      marketplace vocabulary: awaiting_acceptance, awaiting_shipment, shipped, delivered, cancelled, refused, refunded, partially_refunded
 * @property {string|null} carrier
 * @property {string|null} trackingNumber
 * @property {string|null} trackingLink
 * @property {number|null} shippedAt
 * @property {number|null} deliveredAt
 * @property {number|null} cancelledAt
 * @property {string|null} cancelledBy  buyer | seller
 * @property {{type: string, message: string, at: number, latestShipDate: number, shippedAt: number}[]} penalties
 * @property {{at: number, type: string, detail: string}[]} events
 * @property {number} documents
 * @property {number|null} pendingBuyerCancel  sandbox time of a buyer cancellation not yet synced by an import tick
 */

export class OrderRecord {
  constructor() {
    this.id = 0;
    this.storeId = 0;
    this.channelId = 0;
    this.reference = '';
    this.createdAt = 0;
    this.updatedAt = 0;
    this.status = 'waiting_shipment';
    /** @type {number|null} */
    this.acknowledgedAt = null;
    this.storeReference = '';
    /** @type {string|null} `store` | `channel` | `undefined` | null (absent) */
    this.fulfilledBy = 'store';
    this.isTest = false;
    this.anonymized = false;
    /** @type {number|null} */
    this.latestShipDate = null;
    /** incoming carrier (buyer's choice) or, once shipped, the one sent */
    this.carrier = '';
    this.country = 'FR';
    this.firstName = '';
    this.lastName = '';
    /** lowercase `reference first last`, for `search` */
    this.searchText = '';
    this.flags = 0;
    this.itemCount = 1;
    /** seed of the regenerated details */
    this.genKey = 0;
    /** bumped on every change; the serialisation cache keys on it */
    this.rev = 0;
    /** @type {{type: string, message: string, occurredAt: number, example?: boolean}[]|null} */
    this.errors = null;
    /** @type {Record<string, any>|null} explicit parts from a control spec */
    this.spec = null;
    /** @type {Record<string, any>|null} PATCHed addresses / aliases */
    this.patch = null;
    /** @type {boolean} lifecycle fields (shipments, quantities) derived from the seed yet? */
    this.materialized = false;
    /** @type {Shipment[]|null} */
    this.shipments = null;
    /** @type {{id: number, type: string, name: string, size: number, createdAt: number}[]|null} */
    this.documents = null;
    /** @type {Map<number, number>|null} item id -> shipped quantity */
    this.shippedQty = null;
    /** @type {Map<string, number>|null} item reference -> refunded quantity */
    this.refundedQty = null;
    /** @type {{type: string|null, carrier: string, trackingNumber: string, trackingLink: string}|null} */
    this.shipmentOverride = null;
    /** @type {MarketplaceState|null} */
    this.mp = null;
    this.deleted = false;
  }

  /** Marks the order changed at sandbox time `now`. */
  touch(/** @type {number} */ now) {
    this.rev++;
    if (now > this.updatedAt) this.updatedAt = now;
  }

  /** @param {number} flag */
  has(flag) {
    return (this.flags & flag) !== 0;
  }
}
