'use strict';
// The shop's own Vendure: @vendure/core is a peer dependency, and TypeORM / NestJS are taken from the copy
// @vendure/core itself loads, so decorators and metadata land in the registries Vendure reads.

const { createRequire } = require('node:module');

let core;
try {
  core = require('@vendure/core');
} catch (err) {
  const e = new Error(`shoppingfeed-orders/vendure needs @vendure/core (>= 3.3) installed in the shop: ${err.message}`);
  e.name = 'ConfigError';
  e.code = 'Config';
  throw e;
}

const fromCore = createRequire(require.resolve('@vendure/core'));
const typeorm = fromCore('typeorm');
const nestCommon = fromCore('@nestjs/common');

module.exports = { core, typeorm, nestCommon };
