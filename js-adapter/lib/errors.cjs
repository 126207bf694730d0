// @ts-check
'use strict';
// The adapter's own errors share the engine's shape: a real Error with `name` and a stable `code`.

/**
 * @param {string} name
 * @param {string} code
 * @param {string} message
 * @param {Record<string, unknown>} [extra]
 */
function codedError(name, code, message, extra = {}) {
  const e = /** @type {Error & Record<string, unknown>} */ (new Error(message));
  e.name = name;
  e.code = code;
  Object.assign(e, extra);
  return e;
}

/** Whether `e` came from this package (engine or adapter). @param {unknown} e */
function isShoppingfeedError(e) {
  return e instanceof Error && typeof (/** @type {any} */ (e).code) === 'string'
    && ['ApiError', 'ShipmentError', 'OrderError', 'StoreError', 'ConfigError', 'SyncError', 'MappingError'].includes(e.name);
}

module.exports = { codedError, isShoppingfeedError };
