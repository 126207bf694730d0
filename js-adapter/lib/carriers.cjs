// @ts-check
'use strict';
// Tracking-URL templates per carrier, as a shop admin configures them, in the engine's one syntax
// (`{trackingNumber}`, `{carrier}`; `{number}` still read, deprecated): the page pre-fills the ship
// form's tracking URL from them and `ship --carrier` fills it in; the engine still validates whatever
// URL is finally sent.

const engine = require('./engine.cjs');
const { codedError } = require('./errors.cjs');

/** Public tracking pages of the carriers French and Benelux marketplace sellers use most. */
const DEFAULT_CARRIERS = Object.freeze({
  Colissimo: 'https://www.laposte.fr/outils/suivre-vos-envois?code={trackingNumber}',
  Chronopost: 'https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={trackingNumber}',
  DPD: 'https://trace.dpd.fr/fr/trace/{trackingNumber}',
  DHL: 'https://www.dhl.com/fr-en/home/tracking.html?tracking-id={trackingNumber}',
  GLS: 'https://gls-group.com/FR/fr/suivi-colis?match={trackingNumber}',
  UPS: 'https://www.ups.com/track?tracknum={trackingNumber}',
  'Mondial Relay': 'https://www.mondialrelay.fr/suivi-de-colis/?NumeroExpedition={trackingNumber}',
  PostNL: 'https://jouw.postnl.nl/track-and-trace/{trackingNumber}',
});

/**
 * Checks a template as the engine reads it; the error names the carrier.
 * @param {string} name @param {string} template
 */
function checkTemplate(name, template) {
  try {
    engine.checkTrackingUrlTemplate(template);
  } catch (e) {
    throw codedError('ConfigError', 'Config', `carrier ${name}: ${/** @type {Error} */ (e).message}`, { field: 'carriers' });
  }
}

/** The template with the number in. @param {string} template @param {string} number @param {string} [carrier] */
function fill(template, number, carrier = '') {
  return engine.fillTrackingUrl(template, number, carrier);
}

/**
 * The carrier list the page offers: defaults, then `extra` (same name replaces; empty template removes).
 * @param {Record<string, string>} [extra]
 * @param {{ defaults?: boolean }} [options]
 * @returns {{ name: string, template: string }[]}
 */
function carrierList(extra = {}, options = {}) {
  /** @type {Map<string, string>} */
  const map = new Map(options.defaults === false ? [] : Object.entries(DEFAULT_CARRIERS));
  for (const [name, template] of Object.entries(extra)) {
    const n = String(name).trim();
    if (!n) throw codedError('ConfigError', 'Config', 'a carrier needs a name', { field: 'carriers' });
    if (!template) {
      map.delete(n);
      continue;
    }
    checkTemplate(n, String(template));
    map.set(n, String(template));
  }
  return [...map.entries()].map(([name, template]) => ({ name, template }));
}

/**
 * Parses `NAME=TEMPLATE` command-line values.
 * @param {string[]} specs
 * @returns {Record<string, string>}
 */
function parseCarrierSpecs(specs) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const spec of specs) {
    const i = spec.indexOf('=');
    if (i <= 0) throw codedError('ConfigError', 'Config', `a carrier must be given as NAME=URL_TEMPLATE, got '${spec}'`, { field: 'carriers' });
    out[spec.slice(0, i).trim()] = spec.slice(i + 1).trim();
  }
  return out;
}

/**
 * `SHOPPINGFEED_CARRIERS`: `NAME=URL_TEMPLATE` specs separated by `;` or new lines, read by `dashboard`
 * and `ship` alike, so the page and the command line fill in the same URLs.
 * @param {string | undefined} value
 * @returns {Record<string, string>}
 */
function carriersFromEnv(value) {
  const specs = String(value ?? '').split(/[;\n]/).map((s) => s.trim()).filter(Boolean);
  try {
    return parseCarrierSpecs(specs);
  } catch (e) {
    throw codedError('ConfigError', 'Config', `SHOPPINGFEED_CARRIERS: ${/** @type {Error} */ (e).message}`, { field: 'carriers' });
  }
}

module.exports = { DEFAULT_CARRIERS, carrierList, parseCarrierSpecs, carriersFromEnv, fill };
