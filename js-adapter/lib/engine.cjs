// @ts-check
'use strict';
// Loads the Wasm engine built for Node (CommonJS glue + .wasm, copied into ../wasm by `make build`).
// Loading is synchronous and happens once, on first require.

const path = require('node:path');

const file = path.join(__dirname, '..', 'wasm', 'shoppingfeed_orders.js');
/** @type {any} */
let engine;
try {
  engine = require(file);
} catch (err) {
  const e = new Error(`shoppingfeed-orders: the Wasm engine is missing at ${file}; run \`make build\` in the repository (${/** @type {Error} */ (err).message})`);
  /** @type {any} */ (e).code = 'EngineMissing';
  throw e;
}

module.exports = engine;
