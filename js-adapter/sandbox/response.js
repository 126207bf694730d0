// @ts-check

import { problemBody } from './errors.js';

/**
 * @typedef {object} Reply
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {string|Buffer} body
 */

/** A JSON reply; GET resources are HAL (`application/hal+json`), operation answers plain JSON (§1.4). */
export function json(/** @type {number} */ status, /** @type {unknown} */ value, type = 'application/hal+json') {
  return raw(status, typeof value === 'string' ? value : JSON.stringify(value), type);
}

/** A reply whose JSON text is already built (list pages are assembled from cached order JSON). */
export function raw(/** @type {number} */ status, /** @type {string} */ text, type = 'application/hal+json') {
  return /** @type {Reply} */ ({ status, headers: { 'Content-Type': type }, body: text });
}

/** An RFC 7807 problem reply. */
export function problem(/** @type {number} */ status, /** @type {string} */ detail, extra = {}, headers = {}) {
  return /** @type {Reply} */ ({
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
    body: JSON.stringify(problemBody(status, detail, extra)),
  });
}

/** An empty reply (204). */
export function empty(/** @type {number} */ status = 204) {
  return /** @type {Reply} */ ({ status, headers: {}, body: '' });
}
