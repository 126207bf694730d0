// @ts-check
'use strict';
// Tracking-URL templates per carrier, as a shop admin configures them: `{number}` is replaced by the
// tracking number (URL-encoded); a template without it gets the number appended. The page pre-fills the
// ship form's tracking URL from them; the engine still validates whatever URL is finally sent.

const { codedError } = require('../errors.cjs');

/** Public tracking pages of the carriers French and Benelux marketplace sellers use most. */
const DEFAULT_CARRIERS = Object.freeze({
  Colissimo: 'https://www.laposte.fr/outils/suivre-vos-envois?code={number}',
  Chronopost: 'https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}',
  DPD: 'https://trace.dpd.fr/fr/trace/{number}',
  DHL: 'https://www.dhl.com/fr-en/home/tracking.html?tracking-id={number}',
  GLS: 'https://gls-group.com/FR/fr/suivi-colis?match={number}',
  UPS: 'https://www.ups.com/track?tracknum={number}',
  'Mondial Relay': 'https://www.mondialrelay.fr/suivi-de-colis/?NumeroExpedition={number}',
  PostNL: 'https://jouw.postnl.nl/track-and-trace/{number}',
});

/**
 * Checks a template: an absolute http(s) URL once the number is in.
 * @param {string} name @param {string} template
 */
function checkTemplate(name, template) {
  const sample = fill(template, '0000');
  let url;
  try {
    url = new URL(sample);
  } catch {
    throw codedError('ConfigError', 'Config', `carrier ${name}: tracking URL template \`${template}\` is not an absolute URL`, { field: 'carriers' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw codedError('ConfigError', 'Config', `carrier ${name}: tracking URL template must be http(s), got \`${template}\``, { field: 'carriers' });
  }
}

/** The template with the number in. @param {string} template @param {string} number */
function fill(template, number) {
  const n = encodeURIComponent(number);
  return template.includes('{number}') ? template.split('{number}').join(n) : template + n;
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
    if (i <= 0) throw codedError('ConfigError', 'Config', `--carrier must be NAME=URL_TEMPLATE, got '${spec}'`, { field: 'carriers' });
    out[spec.slice(0, i).trim()] = spec.slice(i + 1).trim();
  }
  return out;
}

module.exports = { DEFAULT_CARRIERS, carrierList, parseCarrierSpecs, fill };
