// @ts-check
// The marketplaces the sandbox emulates. Capabilities follow shoppingfeed-api.md §5.12; ids 66, 111
// and 259 are the real Shoppingfeed channel ids (modules hard-code them, §6.6). The other ids are the
// sandbox's own: the real ones are not known offline, and nothing should hard-code them.

/**
 * @typedef {object} Capabilities
 * @property {boolean} refund
 * @property {boolean} partialRefund
 * @property {boolean} partialShip
 * @property {boolean} cancel
 * @property {boolean} documents
 */

/**
 * @typedef {object} Channel
 * @property {number} id
 * @property {string} key        short lowercase handle used in specs and the CLI
 * @property {string} name       `_embedded.channel.name` as Shoppingfeed spells it
 * @property {string} type       channel kind (`marketplace`)
 * @property {string} segment
 * @property {string[]} countries
 * @property {boolean} needsAcceptance  orders arrive `waiting_store_acceptance`
 * @property {Capabilities} capabilities
 * @property {{carrier: boolean, trackingNumber: boolean, trackingUrl: boolean}} shipRequires
 *   what the marketplace refuses a shipment without. `trackingUrl` is a guess (no channel list is
 *   published; Shoppingfeed's help center names the missing tracking URL among the first causes of
 *   "Update Status Shipping error"): CDiscount, ManoMano and Leroy Merlin. The engine's channel table
 *   (ChannelSupport.tracking_url in src/order/lifecycle.rs) holds the same three, so that a shipment
 *   it lets through is one this emulator accepts.
 * @property {number|null} shipByHours   deadline after creation; null = the channel sends no latestShipDate
 * @property {'iso'|'spaced'} latestShipDateFormat
 * @property {number} fulfilledShare  share of orders fulfilled by the marketplace (FBA-like)
 * @property {number} relayShare      share of orders delivered to a pickup point
 * @property {number} b2bShare        share of business orders (VAT ids)
 * @property {number} deliveryDays    buyer receives the parcel this long after shipment
 * @property {number} weight          share of seeded orders
 */

/** @type {readonly Channel[]} */
export const CHANNELS = Object.freeze(/** @type {Channel[]} */ ([
  {
    id: 66, key: 'amazon', name: 'Amazon', type: 'marketplace', segment: 'generalist',
    countries: ['FR', 'DE', 'ES', 'IT', 'GB'],
    needsAcceptance: false,
    capabilities: { refund: false, partialRefund: false, partialShip: false, cancel: true, documents: false },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: false },
    shipByHours: 48, latestShipDateFormat: 'spaced',
    fulfilledShare: 0.15, relayShare: 0, b2bShare: 0.1, deliveryDays: 2, weight: 35,
  },
  {
    id: 111, key: 'cdiscount', name: 'CDiscount', type: 'marketplace', segment: 'generalist',
    countries: ['FR'],
    needsAcceptance: true,
    capabilities: { refund: true, partialRefund: true, partialShip: false, cancel: true, documents: false },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: true },
    shipByHours: 72, latestShipDateFormat: 'iso',
    fulfilledShare: 0.1, relayShare: 0.2, b2bShare: 0, deliveryDays: 3, weight: 20,
  },
  {
    id: 259, key: 'manomano', name: 'Monechelle', type: 'marketplace', segment: 'diy',
    countries: ['FR', 'DE', 'ES', 'IT', 'GB'],
    needsAcceptance: false,
    capabilities: { refund: false, partialRefund: false, partialShip: true, cancel: false, documents: false },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: true },
    shipByHours: null, latestShipDateFormat: 'iso',
    fulfilledShare: 0.1, relayShare: 0.1, b2bShare: 0.15, deliveryDays: 3, weight: 15,
  },
  {
    id: 2261, key: 'bol', name: 'Bol', type: 'marketplace', segment: 'generalist',
    countries: ['NL', 'BE'],
    needsAcceptance: false,
    capabilities: { refund: false, partialRefund: false, partialShip: true, cancel: true, documents: true },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: false },
    shipByHours: 24, latestShipDateFormat: 'iso',
    fulfilledShare: 0.05, relayShare: 0, b2bShare: 0.05, deliveryDays: 1, weight: 10,
  },
  {
    id: 2304, key: 'zalando', name: 'Zalando', type: 'marketplace', segment: 'fashion',
    countries: ['DE', 'FR', 'PL', 'SE'],
    needsAcceptance: false,
    capabilities: { refund: true, partialRefund: true, partialShip: false, cancel: true, documents: false },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: false },
    shipByHours: 48, latestShipDateFormat: 'iso',
    fulfilledShare: 0.1, relayShare: 0, b2bShare: 0, deliveryDays: 2, weight: 10,
  },
  {
    id: 1967, key: 'leroymerlin', name: 'LeroyMerlin', type: 'marketplace', segment: 'diy',
    countries: ['FR', 'ES', 'IT'],
    needsAcceptance: true,
    capabilities: { refund: true, partialRefund: true, partialShip: true, cancel: true, documents: true },
    shipRequires: { carrier: true, trackingNumber: true, trackingUrl: true },
    shipByHours: 72, latestShipDateFormat: 'iso',
    fulfilledShare: 0, relayShare: 0.15, b2bShare: 0.05, deliveryDays: 3, weight: 10,
  },
]).map((c) => Object.freeze(c)));

/** @type {Map<number, Channel>} */
const byId = new Map(CHANNELS.map((c) => [c.id, c]));

/** Looks a channel up by id, key or name (case-insensitive); `manomano` also finds `Monechelle`. */
export function findChannel(/** @type {unknown} */ ref) {
  if (typeof ref === 'number') return byId.get(ref) ?? null;
  if (typeof ref !== 'string' || ref.trim() === '') return null;
  if (/^\d+$/.test(ref.trim())) return byId.get(Number(ref)) ?? null;
  const k = ref.trim().toLowerCase();
  return CHANNELS.find((c) => c.key === k || c.name.toLowerCase() === k || (k === 'mirakl' && c.key === 'leroymerlin')) ?? null;
}

/** The channel resource for `GET /v1/channel/{id}` and `_embedded.channel`. */
export function channelLink(/** @type {Channel} */ c) {
  return {
    id: c.id,
    name: c.name,
    _links: {
      self: { href: `/v1/channel/${c.id}` },
      image: { href: `https://assets.shopping-feed.com/channel/logo/${c.name}.png` },
    },
  };
}
