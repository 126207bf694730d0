// @ts-check
// Order generation. Shapes follow the fixtures in shared/fixtures (key order, nulls, `""` where real
// data has empty strings, channel-specific `additionalFields`); values are invented but deterministic.
// Names, products and addresses are deliberately international (accents, apostrophes, ß, Ł, Å, CJK,
// emoji, an HTML-looking product name) because marketplace strings reach shops unfiltered.

import { Rng, hash32 } from './prng.js';
import { DAY, HOUR, MINUTE, formatIso, parisWallToUtc, parisOffset } from './time.js';
import {
  FLAG_B2B, FLAG_FULFILLED, FLAG_NAME_IN_LASTNAME, FLAG_NO_ADDRESS, FLAG_NO_ITEM_IDS, FLAG_ODD_FIELDS, FLAG_RELAY, FLAG_SEED_PARTIAL, FLAG_SEED_SHIPPED, OrderRecord,
} from './model.js';

/** @typedef {import('./channels.js').Channel} Channel */

/** @type {Record<string, {first: string[], last: string[], cities: [string, string][], streets: string[], phone: (r: Rng) => string, province?: string[]}>} */
const PEOPLE = {
  FR: {
    first: ['Zoé', 'Léa', 'Chloé', 'Élodie', 'Hélène', 'François', 'Jérôme', 'Benoît', 'Maël', 'Anaïs', 'Loïc', 'Cécile', 'Thérèse', 'Noël', 'Agnès', 'Gaëlle', 'Yasmine', 'Karim', 'Bernard', 'Marie-Ève'],
    last: ['Lefèvre', 'Dubois', 'Moreau', 'Fontaine', 'Chevalier', 'Lemaître', 'Girard', 'Rousseau', 'Faure', 'Mercier', 'Béranger', "D'Aubigné", 'Le Goff', 'Nguyễn', 'Benali', 'Haddad', 'Martin', 'Saint-Exupéry'],
    cities: [['75002', 'Paris'], ['69003', 'Lyon'], ['13008', 'Marseille'], ['33000', 'Bordeaux'], ['59800', 'Lille'], ['44000', 'Nantes'], ['67000', 'Strasbourg'], ['97400', 'Saint-Denis'], ['20000', 'Ajaccio'], ['74400', 'Chamonix-Mont-Blanc']],
    streets: ['10 rue Vivienne', '3 allée des Châtaigniers', '45 boulevard Haussmann', "12 rue de l'Église", 'Lieu-dit Le Pré Fleuri', '8 bis avenue Jean-Jaurès', '27 quai Saint-Michel'],
    phone: (r) => (r.chance(0.5) ? '06' + r.chars(8) : '+33 6 ' + r.chars(2) + ' ' + r.chars(2) + ' ' + r.chars(2) + ' ' + r.chars(2)),
  },
  DE: {
    first: ['Jürgen', 'Björn', 'Günther', 'Sören', 'Jörg', 'Käthe', 'Lena', 'Maximilian', 'Hannelore'],
    last: ['Müller', 'Schröder', 'Weiß', 'Groß', 'Köhler', 'Becker', 'Hoffmann', 'von Düsseldorf'],
    cities: [['10115', 'Berlin'], ['80331', 'München'], ['50667', 'Köln'], ['20095', 'Hamburg']],
    streets: ['Hauptstraße 5', 'Königsallee 27a', 'Schloßstraße 3', 'Am Grünen Weg 12'],
    phone: (r) => '+49 151 ' + r.chars(8),
  },
  ES: {
    first: ['José', 'Martín', 'Sofía', 'Lucía', 'Íñigo', 'Begoña', 'Nuria'],
    last: ['Martínez', 'Núñez', 'García', 'Peña', 'Ibáñez', 'López de la Fuente'],
    cities: [['28001', 'Madrid'], ['08001', 'Barcelona'], ['41001', 'Sevilla']],
    streets: ['Calle Mayor 12, 3º B', 'Avenida de la Constitución 8', 'Plaza de España 1'],
    phone: (r) => '6' + r.chars(8),
    province: ['Madrid', 'Barcelona', 'Sevilla'],
  },
  IT: {
    first: ['Niccolò', 'Giulia', 'Lorenzo', 'Chiara', 'Salvatore'],
    last: ['Rossi', 'Esposito', 'Bianchi', "Dell'Acqua", 'Ferrà'],
    cities: [['00184', 'Roma'], ['20121', 'Milano'], ['80121', 'Napoli']],
    streets: ['Via Roma 10', 'Corso Vittorio Emanuele II 45', 'Piazza del Duomo 2'],
    phone: (r) => '+39 3' + r.chars(9),
    province: ['RM', 'MI', 'NA'],
  },
  GB: {
    first: ['Siobhán', 'Oliver', 'Amelia', 'Niamh', 'George'],
    last: ["O'Brien", 'Smith', 'Taylor', 'Ní Bhriain', 'Jones-Whitaker'],
    cities: [['SW1A 1AA', 'London'], ['M1 1AE', 'Manchester'], ['EH1 1YZ', 'Edinburgh']],
    streets: ['221B Baker Street', 'Flat 3, 14 Queen’s Road', '1 Castle Wynd'],
    phone: (r) => '07' + r.chars(9),
  },
  NL: {
    first: ['Sanne', 'Daan', 'Eefje', 'Bram', 'Ruud'],
    last: ['de Vries', 'van den Berg', 'Bakker', 'Jansen', "van 't Hek"],
    cities: [['1012 JS', 'Amsterdam'], ['3011 AD', 'Rotterdam'], ['3511 AX', 'Utrecht']],
    streets: ['Prinsengracht 263', 'Coolsingel 40', 'Oudegracht 99 bis'],
    phone: (r) => '06' + r.chars(8),
  },
  BE: {
    first: ['Lotte', 'Wout', 'Amélie', 'Gilles'],
    last: ['Peeters', 'Janssens', 'Dupont', 'Van de Velde'],
    cities: [['1000', 'Bruxelles'], ['2000', 'Antwerpen'], ['9000', 'Gent']],
    streets: ['Rue Neuve 12', 'Meir 50', 'Korenmarkt 3'],
    phone: (r) => '+32 47' + r.chars(7),
  },
  PL: {
    first: ['Łukasz', 'Zofia', 'Małgorzata', 'Paweł', 'Wojciech'],
    last: ['Wiśniewski', 'Kowalczyk', 'Wójcik', 'Dąbrowska', 'Żak'],
    cities: [['00-001', 'Warszawa'], ['30-001', 'Kraków'], ['80-001', 'Gdańsk']],
    streets: ['ul. Marszałkowska 10/4', 'ul. Floriańska 3', 'al. Grunwaldzka 82'],
    phone: (r) => '+48 5' + r.chars(8),
  },
  SE: {
    first: ['Åsa', 'Björn', 'Märta', 'Linnéa', 'Östen'],
    last: ['Lindqvist', 'Öberg', 'Ångström', 'Karlsson', 'Sjöberg'],
    cities: [['111 29', 'Stockholm'], ['411 04', 'Göteborg'], ['211 20', 'Malmö']],
    streets: ['Drottninggatan 5', 'Kungsportsavenyen 12', 'Södra Förstadsgatan 7'],
    phone: (r) => '+46 70 ' + r.chars(7),
  },
};

/** @type {Record<string, {currency: string, rate: number, vat: number, vatId: (r: Rng) => string}>} */
const COUNTRY = {
  FR: { currency: 'EUR', rate: 1, vat: 0.2, vatId: (r) => 'FR' + r.chars(11) },
  DE: { currency: 'EUR', rate: 1, vat: 0.19, vatId: (r) => 'DE' + r.chars(9) },
  ES: { currency: 'EUR', rate: 1, vat: 0.21, vatId: (r) => 'ESB' + r.chars(8) },
  IT: { currency: 'EUR', rate: 1, vat: 0.22, vatId: (r) => 'IT' + r.chars(11) },
  GB: { currency: 'GBP', rate: 0.85, vat: 0.2, vatId: (r) => 'GB' + r.chars(9) },
  NL: { currency: 'EUR', rate: 1, vat: 0.21, vatId: (r) => 'NL' + r.chars(9) + 'B01' },
  BE: { currency: 'EUR', rate: 1, vat: 0.21, vatId: (r) => 'BE0' + r.chars(9) },
  PL: { currency: 'PLN', rate: 4.3, vat: 0.23, vatId: (r) => 'PL' + r.chars(10) },
  SE: { currency: 'SEK', rate: 11.2, vat: 0.25, vatId: (r) => 'SE' + r.chars(12) },
};

/** @type {Record<string, {reference: string, name: string, price: number}[]>} */
const PRODUCTS = {
  generalist: [
    { reference: '8', name: 'Macaron - 6 verres à pied 60 cl', price: 53.7 },
    { reference: '1_3', name: 'Mug Today is a good day', price: 11.9 },
    { reference: 'colored-hoodie', name: 'Hoodie', price: 45 },
    { reference: 'TDM-2381', name: 'Carafe « Élégance » 1,5 L', price: 24.5 },
    { reference: 'KB-DE-101', name: 'Tastatur QWERTZ – kabellos, Größe M', price: 39.99 },
    { reference: '4006381333931', name: 'Stylo-plume Schwan ✒️ bleu nuit', price: 18.2 },
    { reference: 'CUS-45-DECO', name: 'Coussin <b>déco</b> 45×45 cm', price: 14.99 },
    { reference: 'BOU-3-PAR', name: 'Lot de 3 bougies parfumées 🕯️ vanille & figue', price: 22 },
    { reference: 'THE-MATCHA-100', name: '抹茶 Matcha bio – 100 g', price: 16.5 },
    { reference: 'LAMP-ETE', name: 'Lampe de chevet "Été indien"', price: 34.9 },
  ],
  diy: [
    { reference: '1', name: 'Perceuse-visseuse 18 V – 2 batteries', price: 129 },
    { reference: 'VIS-4X40-50', name: 'Kit 50 vis Ø4×40 mm inox A2', price: 8.9 },
    { reference: 'SCIE-SAUT-750', name: 'Scie sauteuse 750 W + 10 lames', price: 74.5 },
    { reference: 'PEINT-BLC-10L', name: 'Peinture acrylique blanc mat 10 L', price: 59.9 },
    { reference: 'ROB-THERM-M', name: 'Robinet thermostatique ½" – laiton', price: 42 },
    { reference: 'ESCAB-5M', name: 'Escabeau alu 5 marches (150 kg)', price: 89.99 },
    { reference: 'GANTS-T9', name: 'Gants de jardinage taille 9 – lot de 3', price: 12.5 },
  ],
  fashion: [
    { reference: 'ZS-TSHIRT-M-BLK', name: 'T-Shirt Basic – Schwarz, Größe M', price: 19.95 },
    { reference: 'ZS-JEANS-32-34', name: 'Jeans Slim Fit W32/L34', price: 79.95 },
    { reference: 'ZS-SNEAK-42', name: 'Baskets cuir blanc pointure 42', price: 99 },
    { reference: 'ZS-ROBE-38', name: 'Robe d’été fleurie – 38', price: 49.9 },
    { reference: 'ZS-KURTKA-L', name: 'Kurtka przeciwdeszczowa – L', price: 129.95 },
    { reference: 'ZS-MOSSA', name: 'Mössa i ull – grå', price: 24.95 },
  ],
};

/** @type {Record<string, {home: Record<string, string[]>|string[], relay: string[]}>} */
const INCOMING_CARRIERS = {
  amazon: { home: { FR: ['Std FR Dom_1', 'Exp FR Dom_2'], DE: ['Std DE Dom_1'], ES: ['Std ES Dom_1'], IT: ['Std IT Dom_1'], GB: ['Std UK Dom_1', 'Exp UK Dom_2'] }, relay: [] },
  cdiscount: { home: ['Colissimo', 'SO1', 'Standard'], relay: ['DPD Pickup - Livraison en point relais', 'Relais Colis'] },
  manomano: { home: ['DPD', 'Colissimo', 'Chronopost'], relay: ['Mondial Relay'] },
  bol: { home: ['PostNL', 'DHL'], relay: [] },
  zalando: { home: ['DHL', 'Hermes'], relay: ['Colissimo'] },
  leroymerlin: { home: ['Colissimo', 'Geodis', 'DPD'], relay: ['Mondial Relay'] },
};

/** Carriers a store ships with, and the tracking page template they use. */
export const OUTGOING_CARRIERS = Object.freeze([
  ['Colissimo', 'https://www.laposte.fr/outils/suivre-vos-envois?code='],
  ['DPD', 'https://trace.dpd.fr/fr/trace/'],
  ['DHL', 'https://www.dhl.com/fr-en/home/tracking.html?tracking-id='],
  ['PostNL', 'https://jouw.postnl.nl/track-and-trace/'],
  ['Chronopost', 'https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT='],
]);

const RELAY_SHOPS = ['Tabac Presse du Centre', 'Carrefour City', "Pressing de l'Église", 'Librairie Les Mots Dits', 'Épicerie Chez Zoë'];
const ALNUM_UP = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const ALNUM_LOW = 'abcdefghijklmnopqrstuvwxyz0123456789';

const round2 = (/** @type {number} */ n) => Math.round(n * 100) / 100;

/** Currency of a delivery country. */
export function currencyOf(/** @type {string} */ country) {
  return (COUNTRY[country] ?? COUNTRY.FR).currency;
}

/**
 * Marketplace order number in the channel's own format (e.g. Amazon `408-7273836-0105146`).
 * @param {Rng} r
 * @param {Channel} channel
 * @param {number} createdAt
 */
export function channelReference(r, channel, createdAt) {
  const d = new Date(createdAt + parisOffset(createdAt) * MINUTE);
  const yy = String(d.getUTCFullYear() % 100).padStart(2, '0');
  switch (channel.key) {
    case 'amazon': return `${r.int(100, 999)}-${r.chars(7)}-${r.chars(7)}`;
    case 'cdiscount': {
      const stamp = yy + [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()].map((n) => String(n).padStart(2, '0')).join('');
      return stamp + r.chars(5, ALNUM_UP);
    }
    case 'manomano': return `M${yy}${r.chars(10)}`;
    case 'bol': return `1${r.chars(9)}`;
    case 'zalando': return `1010${r.chars(10)}`;
    default: return `${r.chars(10)}-A`;
  }
}

/**
 * Draws everything a filter or a rule needs to know about a new order.
 * @param {Rng} r
 * @param {Channel} channel
 * @param {{id: number, storeId: number, createdAt: number, genKey: number}} base
 * @returns {OrderRecord}
 */
export function generateCore(r, channel, base) {
  const rec = new OrderRecord();
  rec.id = base.id;
  rec.storeId = base.storeId;
  rec.channelId = channel.id;
  rec.createdAt = base.createdAt;
  rec.updatedAt = base.createdAt;
  rec.genKey = base.genKey;
  rec.country = r.pick(channel.countries);
  const people = PEOPLE[rec.country];
  rec.firstName = r.pick(people.first);
  rec.lastName = r.pick(people.last);
  let flags = 0;
  if (r.chance(channel.b2bShare)) flags |= FLAG_B2B;
  if (r.chance(channel.fulfilledShare)) flags |= FLAG_FULFILLED;
  else if (r.chance(channel.key === 'zalando' ? ZALANDO_RELAY_SHARE : channel.relayShare) && rec.country === 'FR') flags |= FLAG_RELAY;
  if (channel.key === 'amazon' && r.chance(0.7)) flags |= FLAG_NAME_IN_LASTNAME;
  rec.flags = flags;
  rec.fulfilledBy = fulfilledByFor(r, channel, (flags & FLAG_FULFILLED) !== 0);
  const carriers = INCOMING_CARRIERS[channel.key];
  if ((flags & FLAG_RELAY) !== 0 && carriers.relay.length > 0) rec.carrier = r.pick(carriers.relay);
  else {
    const home = carriers.home;
    rec.carrier = Array.isArray(home) ? r.pick(home) : r.pick(home[rec.country] ?? Object.values(home)[0]);
  }
  rec.itemCount = r.weighted([[1, 70], [2, 20], [3, 7], [4, 3]]);
  rec.reference = channelReference(r, channel, base.createdAt);
  if (channel.shipByHours !== null) rec.latestShipDate = shipBy(base.createdAt, channel.shipByHours, channel.key === 'amazon');
  rec.searchText = `${rec.reference} ${rec.firstName} ${rec.lastName}`.toLowerCase();
  return rec;
}

/**
 * What `fulfilledBy` says. Cdiscount (`clogistique`) and ManoMano (`env=epmm`) often report `store`
 * for orders they fulfil themselves, which is why clients must also look at payment.method / env (§6.6).
 */
function fulfilledByFor(/** @type {Rng} */ r, /** @type {Channel} */ channel, /** @type {boolean} */ fulfilled) {
  if (!fulfilled) return 'store';
  if (channel.key === 'cdiscount' || channel.key === 'manomano') return r.chance(0.5) ? 'channel' : 'store';
  return 'channel';
}

/**
 * Zalando France delivers to Colissimo pickup points, the point named in `additionalFields.service_point_id`
 * as `<product code>:<point id>` (`BPR:100562` in the PrestaShop module's fixture). The channel table has
 * no relay share for Zalando; this is its share of French orders. The draw is made for every order
 * whatever the share, so the stream of the other channels is unchanged.
 */
const ZALANDO_RELAY_SHARE = 0.2;
/** Colissimo product codes a Zalando point can carry: post office, pickup shop, locker. */
const COLISSIMO_PRODUCTS = ['BPR', 'A2P', 'CMT'];

/**
 * Ship-by deadline on the day `hours` after creation. Amazon's is the end of the marketplace day, 23:59:59
 * in Paris: that is what the fixture's zone-less `2024-08-29 21:59:59` is once read as UTC (the engine's
 * reading, and Amazon's, whose order API gives ship-by dates in UTC), written back the same way by
 * `formatSpaced`. The other channels cut off in the evening, 21:59:59 Paris time.
 */
export function shipBy(/** @type {number} */ createdAt, /** @type {number} */ hours, endOfDay = false) {
  const due = createdAt + hours * HOUR;
  const wall = due + parisOffset(due) * MINUTE;
  const day = Math.floor(wall / DAY) * DAY;
  return parisWallToUtc(day + (endOfDay ? 23 : 21) * HOUR + 59 * MINUTE + 59_000);
}

/**
 * @typedef {object} Details
 * @property {Record<string, any>} payment
 * @property {Record<string, any>} shipment   incoming shipment block (before any ship operation)
 * @property {Record<string, any>|null} additionalFields
 * @property {Record<string, any>[]} items
 * @property {Record<string, string>|null} itemsReferencesAliases
 * @property {number|null} commission
 * @property {Record<string, any>} shippingAddress
 * @property {Record<string, any>} billingAddress
 * @property {{carrier: string, trackingNumber: string, trackingLink: string, at: number}} seedShipment  used when the seed says the order was already shipped
 */

/**
 * Regenerates the bulky part of an order. Pure function of the record's identity fields and genKey.
 * @param {OrderRecord} rec
 * @param {Channel} channel
 * @returns {Details}
 */
export function generateDetails(rec, channel) {
  const r = new Rng(rec.genKey);
  const country = COUNTRY[rec.country] ?? COUNTRY.FR;
  const b2b = rec.has(FLAG_B2B);
  const relay = rec.has(FLAG_RELAY);
  const fulfilled = rec.has(FLAG_FULFILLED);

  const catalogue = PRODUCTS[channel.segment] ?? PRODUCTS.generalist;
  /** @type {Record<string, any>[]} */
  const items = [];
  const used = new Set();
  let productAmount = 0;
  for (let i = 0; i < rec.itemCount; i++) {
    let p = r.pick(catalogue);
    while (used.has(p.reference) && used.size < catalogue.length) p = r.pick(catalogue);
    used.add(p.reference);
    const quantity = r.weighted([[1, 80], [2, 15], [3, 5]]);
    const price = round2(p.price * country.rate * (r.chance(0.2) ? 0.9 : 1));
    const line = price * quantity;
    productAmount += line;
    const crossBorderB2b = b2b && rec.country !== 'FR';
    items.push({
      id: itemId(rec.id, i),
      reference: p.reference,
      status: itemStatus(r, channel, rec.status),
      quantity,
      price,
      commission: channel.key === 'cdiscount' ? round2(line * 0.15) : null,
      taxAmount: crossBorderB2b ? 0 : round2(line - line / (1 + country.vat)),
      ecotaxAmount: channel.segment === 'diy' && r.chance(0.3) ? round2(0.5 * quantity) : 0,
      channelReference: channel.key === 'amazon' ? r.chars(14) : channel.key === 'manomano' ? '0' : r.chars(8),
      additionalFields: itemAdditionalFields(r, channel, rec.id, i, country.vat),
      name: p.name,
      image: r.chance(0.9) ? `https://images.sandbox.example/p/${encodeURIComponent(p.reference)}.jpg` : null,
    });
  }
  productAmount = round2(productAmount);
  const voucher = channel.key === 'manomano' && productAmount > 60 && r.chance(0.15) ? 10 * r.int(1, 5) : 0;
  productAmount = round2(productAmount - voucher);
  const shippingAmount = fulfilled ? 0 : round2(r.weighted([[0, 50], [4.99, 20], [6.9, 15], [9.9, 10], [20, 5]]) * country.rate);

  /** @type {Record<string, any>} */
  const payment = {
    shippingAmount,
    productAmount,
    totalAmount: round2(productAmount + shippingAmount),
    currency: country.currency,
    method: paymentMethod(r, channel, fulfilled),
  };
  if (channel.key === 'amazon' || channel.key === 'manomano') payment.taxMode = 'undefined';

  // Cdiscount orders come without `type` / `returnInfo`, as in the fixture.
  /** @type {Record<string, any>} */
  const shipment = channel.key === 'cdiscount'
    ? { carrier: rec.carrier, trackingNumber: '', trackingLink: '' }
    : { type: null, carrier: rec.carrier, trackingNumber: '', trackingLink: '', returnInfo: { carrier: null, trackingNumber: null } };

  let buyer = person(r, rec, channel);
  if (rec.has(FLAG_NAME_IN_LASTNAME)) buyer = { ...buyer, firstName: '', lastName: `${rec.firstName} ${rec.lastName}` };
  const billingAddress = buyer;
  let shippingAddress = buyer;
  if (relay) shippingAddress = relayAddress(r, channel, buyer);
  else if (r.chance(0.15)) shippingAddress = { ...buyer, street: r.pick(PEOPLE[rec.country].streets), street2: r.pick(['c/o Reception', 'Bureau 4', '']) };

  const vatId = b2b ? country.vatId(r) : '';
  const additionalFields = orderAdditionalFields(r, rec, channel, { b2b, vatId, fulfilled, relay, relayName: shippingAddress.company, voucher, shippingAmount, vat: country.vat });

  const aliasRoll = r.next();
  /** @type {Record<string, string>|null} */
  let itemsReferencesAliases = null;
  if (aliasRoll < 0.06) itemsReferencesAliases = { [items[0].reference]: aliasFor(items[0].reference) };
  else if (aliasRoll < 0.3) itemsReferencesAliases = {};

  const sent = OUTGOING_CARRIERS.find(([name]) => name === rec.carrier) ?? OUTGOING_CARRIERS[0];
  const trackingNumber = r.chars(2, ALNUM_UP) + r.chars(11);
  const seedShipment = {
    carrier: sent[0],
    trackingNumber,
    trackingLink: sent[1] + trackingNumber,
    at: rec.createdAt + r.int(2, 40) * HOUR,
  };

  return {
    payment,
    shipment,
    additionalFields,
    items,
    itemsReferencesAliases,
    commission: channel.key === 'cdiscount' && r.chance(0.5) ? round2(productAmount * 0.12) : null,
    shippingAddress,
    billingAddress,
    seedShipment,
  };
}

/** SF order-item ids: derived from the order id so they are stable and unique. */
export function itemId(/** @type {number} */ orderId, /** @type {number} */ index) {
  return (orderId % 100_000_000) * 10 + index + 3_000_000_000;
}

/** The shop-side reference an alias points to (e.g. `colored-hoodie` -> `woo-hoodie-with-logo`). */
function aliasFor(/** @type {string} */ ref) {
  return ref === 'colored-hoodie' ? 'woo-hoodie-with-logo' : `SKU-${ref.toUpperCase()}`;
}

/** Raw line status; always draws, so later status changes never shift the rest of the stream. */
function itemStatus(/** @type {Rng} */ r, /** @type {Channel} */ channel, /** @type {string} */ status) {
  const drawn = r.pick(['', 'new', 'created', 'toship']);
  if (channel.key === 'amazon' || channel.key === 'manomano') return '';
  return status === 'shipped' ? 'shipped' : drawn;
}

/** @returns {Record<string, any>|null} */
function itemAdditionalFields(/** @type {Rng} */ r, /** @type {Channel} */ channel, /** @type {number} */ orderId, /** @type {number} */ i, /** @type {number} */ vat) {
  switch (channel.key) {
    case 'manomano': return { taxRate: Math.round(vat * 10000) / 100 };
    case 'zalando': return { article_id: r.chars(9, ALNUM_UP), order_item_id: String(itemId(orderId, i)) };
    case 'leroymerlin': return { order_line_id: `${orderId}-${i + 1}` };
    default: return null;
  }
}

function paymentMethod(/** @type {Rng} */ r, /** @type {Channel} */ channel, /** @type {boolean} */ fulfilled) {
  switch (channel.key) {
    case 'amazon': return fulfilled ? 'AFN' : 'MFN';
    case 'cdiscount': return fulfilled ? 'clogistique' : r.pick(['', '1X', 'CB']);
    case 'manomano': return '';
    case 'bol': return r.pick(['iDEAL', 'Bancontact', '']);
    case 'zalando': return r.pick(['Paypal', 'CreditCard', 'Klarna']);
    default: return r.pick(['CreditCard', 'Paypal']);
  }
}

/** Buyer address; marketplace e-mails are aliases (reserved `.example` domains, so nothing is ever mailed). */
function person(/** @type {Rng} */ r, /** @type {OrderRecord} */ rec, /** @type {Channel} */ channel) {
  const people = PEOPLE[rec.country] ?? PEOPLE.FR;
  const [postalCode, city] = r.pick(people.cities);
  const b2b = rec.has(FLAG_B2B);
  /** @type {Record<string, any>} */
  const a = {
    firstName: rec.firstName,
    lastName: rec.lastName,
    company: b2b ? r.pick(['202 ecommerce', 'Dupont & Fils SARL', 'Müller Bau GmbH', 'Atelier Ŝaŭmo', 'Ferretti S.p.A.']) : '',
    street: r.pick(people.streets),
    street2: r.chance(0.15) ? r.pick(['Bâtiment B', 'Appartement 12', '2e étage', 'c/o Reception']) : '',
    other: r.chance(0.05) ? `Digicode ${r.chars(4)}` : '',
    postalCode,
    city,
    country: rec.country,
    phone: r.chance(0.9) ? people.phone(r) : '',
    mobilePhone: r.chance(0.4) ? people.phone(r) : '',
    email: buyerEmail(r, channel),
  };
  if (people.province || r.chance(0.3)) a.province = people.province ? r.pick(people.province) : '';
  return a;
}

function buyerEmail(/** @type {Rng} */ r, /** @type {Channel} */ channel) {
  const local = r.chars(14, ALNUM_LOW);
  switch (channel.key) {
    case 'amazon': return `${local}@marketplace.amazon.example`;
    case 'cdiscount': return `${local}@cdiscount-mkp.example`;
    case 'manomano': return `${local}@buyer.manomano.example`;
    case 'zalando': return `${local}@partner.zalando.example`;
    case 'bol': return `${local}@verkopen.bol.example`;
    default: return `${local}@mirakl.example`;
  }
}

/** Pickup-point delivery, each channel with its own encoding of the point id (§6.7). */
function relayAddress(/** @type {Rng} */ r, /** @type {Channel} */ channel, /** @type {Record<string, any>} */ buyer) {
  const shop = r.pick(RELAY_SHOPS);
  const code = r.chars(6);
  const [postalCode, city] = r.pick(PEOPLE.FR.cities);
  const base = { ...buyer, company: '', street: r.pick(PEOPLE.FR.streets), street2: '', postalCode, city };
  if (channel.key === 'cdiscount') return { ...base, lastName: `Relais Pickup ${shop}`, other: `PICKUP-${code}` };
  if (channel.key === 'manomano') return { ...base, company: shop, relayId: code };
  return { ...base, company: shop };
}

/** Raw marketplace data; keys differ per channel and may be absent (§3.7). */
function orderAdditionalFields(/** @type {Rng} */ r, /** @type {OrderRecord} */ rec, /** @type {Channel} */ channel, /** @type {{b2b: boolean, vatId: string, fulfilled: boolean, relay: boolean, relayName: string, voucher: number, shippingAmount: number, vat: number}} */ o) {
  switch (channel.key) {
    case 'amazon': {
      /** @type {Record<string, any>} */
      const f = {
        is_ispu: '',
        is_prime: r.chance(0.3) ? '1' : '',
        shipping_tax: String(round2(o.shippingAmount - o.shippingAmount / (1 + o.vat))),
        is_business_order: o.b2b ? '1' : '0',
        purchase_order_number: o.b2b && r.chance(0.5) ? `PO-${r.chars(6)}` : '',
      };
      if (o.b2b) f.tax_registration_id = o.vatId;
      return f;
    }
    case 'cdiscount': {
      /** @type {Record<string, any>} */
      const f = { CorporationCode: 'CDSFR' };
      if (r.chance(0.2)) f.INTERETBCA = '1.49';
      if (r.chance(0.1)) f.FRAISTRAITEMENT = '0.99';
      return f;
    }
    case 'manomano': {
      /** @type {Record<string, any>} */
      const f = {
        seller_voucher: String(o.voucher),
        channel_voucher: '0',
        intraco_vat_number: o.vatId,
        billing_fiscal_number: '',
        buyer_identification_number: '',
      };
      // `env` is missing on part of the orders: modules have crashed on exactly that (§7 item 4).
      if (o.fulfilled) f.env = 'epmm';
      else if (r.chance(0.5)) f.env = o.b2b ? 'manomanopro' : 'manomano';
      return f;
    }
    case 'bol':
      if (o.b2b) return { 'numero-tva-ue': o.vatId };
      return r.chance(0.4) ? null : { shipping_type_code: o.fulfilled ? 'LVB' : 'FBR' };
    case 'zalando':
      return {
        order_id: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
        customer_number: `10${r.chars(8)}`,
        return_tracking: `RT${r.chars(12)}`,
        ...(o.fulfilled ? { fulfilled_by: 'ZFS', fulfillment_center_code: 'ERF1' } : {}),
        ...(o.relay ? { service_point_id: `${r.pick(COLISSIMO_PRODUCTS)}:${r.chars(6)}`, service_point_name: o.relayName } : {}),
      };
    default: {
      /** @type {Record<string, any>} */
      const f = { channel_code: `LM${rec.country}`, shipping_type_code: o.relay ? 'PUDO' : 'STD' };
      if (o.relay) f.shipping_pudo_id = `MR-${rec.country}-${r.chars(6)}`;
      if (o.b2b) f.intraco_vat_number = o.vatId;
      return f;
    }
  }
}

/**
 * Lifecycle of a seeded order: the older it is, the further along. Orders fulfilled by the
 * marketplace arrive shipped and mostly stay unacknowledged (modules skip them).
 * @param {Rng} r
 * @param {OrderRecord} rec
 * @param {Channel} channel
 * @param {number} now
 * @param {{autoAccept: boolean, nextStoreReference: () => string}} store
 */
export function seedLifecycle(r, rec, channel, now, store) {
  const age = now - rec.createdAt;
  const caps = channel.capabilities;
  /** @type {(readonly [string, number])[]} */
  let choices;
  let ackShare;
  if (rec.has(FLAG_FULFILLED)) {
    choices = [['shipped', 90], ['cancelled', 5], ['refunded', caps.refund ? 5 : 0]];
    ackShare = 0.1;
  } else if (age < DAY) {
    const accept = channel.needsAcceptance && !store.autoAccept ? 60 : 0;
    choices = [['waiting_store_acceptance', accept], ['waiting_shipment', 95], ['cancelled', 3]];
    ackShare = 0.25;
  } else if (age < 2 * DAY) {
    choices = [['waiting_shipment', 95], ['cancelled', 5]];
    ackShare = 0.4;
  } else if (age < 7 * DAY) {
    choices = [['waiting_shipment', 35], ['shipped', 55], ['partially_shipped', caps.partialShip && rec.itemCount > 1 ? 3 : 0], ['cancelled', 5], ['refunded', caps.refund ? 2 : 0]];
    ackShare = 0.8;
  } else {
    choices = [['shipped', 85], ['cancelled', 7], ['refunded', caps.refund ? 4 : 0], ['partially_refunded', caps.partialRefund ? 2 : 0], ['refused', channel.needsAcceptance ? 2 : 0], ['waiting_shipment', 2]];
    ackShare = 0.95;
  }
  rec.status = r.weighted(choices);
  if (rec.status === 'waiting_store_acceptance') ackShare = 0;
  if (rec.status !== 'waiting_shipment' && rec.status !== 'waiting_store_acceptance' && !rec.has(FLAG_FULFILLED)) ackShare = 0.97;
  if (r.chance(ackShare)) {
    rec.acknowledgedAt = Math.min(now, rec.createdAt + r.int(5, 120) * MINUTE);
    rec.storeReference = store.nextStoreReference();
  } else if (rec.status === 'waiting_shipment' && r.chance(0.04)) {
    rec.errors = [{ type: 'acknowledge', message: r.pick(['Product reference KB-DE-101 does not match a product on the shop.', 'Not enough stock for product VIS-4X40-50.', 'Unsupported currency']), occurredAt: Math.min(now, rec.createdAt + 20 * MINUTE) }];
  }
  if (!rec.has(FLAG_FULFILLED) && (rec.status === 'shipped' || rec.status === 'partially_shipped' || rec.status === 'partially_refunded')) {
    rec.flags |= FLAG_SEED_SHIPPED;
    // After shipping, `shipment.carrier` (and the carrier filter) reflect what the store sent.
    rec.carrier = r.pick(OUTGOING_CARRIERS)[0];
  }
  if (rec.status === 'partially_shipped') rec.flags |= FLAG_SEED_PARTIAL;
  if (age > 30 * DAY && r.chance(channel.key === 'amazon' ? 0.1 : 0.04)) rec.anonymized = true;
  rec.updatedAt = Math.min(now, rec.createdAt + r.int(1, 72) * HOUR);
  if (rec.acknowledgedAt !== null && rec.updatedAt < rec.acknowledgedAt) rec.updatedAt = rec.acknowledgedAt;
  realShapes(rec);
}

/**
 * Shapes of real data that the happy path never shows, on a share of seeded orders (control-spec and
 * live orders stay clean, so a test that builds one gets what it asked for). Drawn from a stream of
 * their own, so adding them changed no other seeded value.
 * - No `items[].id` (none of the official modules' fixtures has one): such an order ships in full
 *   only. Not on partially shipped seeds, whose served shipment names the item.
 * - Odd values in fields nothing depends on (FLAG_ODD_FIELDS).
 * - `shippingAddress: null` on a few orders waiting for shipment, among good ones.
 * @param {OrderRecord} rec
 */
function realShapes(rec) {
  const s = new Rng(hash32(rec.genKey, 'real-shapes'));
  if (s.chance(0.12) && !rec.has(FLAG_SEED_PARTIAL)) rec.flags |= FLAG_NO_ITEM_IDS;
  if (s.chance(0.05)) {
    rec.flags |= FLAG_ODD_FIELDS;
    // Oldest first, as the API lists them: the newest entry (what a failed push left) stays last.
    rec.errors = [{ type: 'acknowledge', message: 'string', occurredAt: rec.createdAt, example: true }, ...(rec.errors ?? [])];
  }
  if (s.chance(0.01) && rec.status === 'waiting_shipment' && rec.acknowledgedAt === null && !rec.has(FLAG_FULFILLED)) rec.flags |= FLAG_NO_ADDRESS;
}

/** Marks an order as a test order (reference format of §5.10). */
export function makeTest(/** @type {OrderRecord} */ rec, /** @type {number} */ storeId, /** @type {number} */ seq) {
  rec.isTest = true;
  const iso = formatIso(rec.createdAt);
  rec.reference = `TEST-${storeId}-${iso.slice(0, 19).replace(/[-:T]/g, '')}${seq > 0 ? '-' + seq : ''}`;
  rec.searchText = `${rec.reference} ${rec.firstName} ${rec.lastName}`.toLowerCase();
}

/** A per-order seed that does not depend on the order of generation. */
export function genKeyFor(/** @type {number} */ seed, /** @type {string} */ stream, /** @type {number} */ n) {
  return hash32(seed, stream, n);
}
