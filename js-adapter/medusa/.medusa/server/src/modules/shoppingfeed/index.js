'use strict';
// The `shoppingfeed` module: the connector's journal (imports, operations, lock, events) as data models in
// Medusa's database, with their migrations; its options are the plugin's options.

const { Module } = require('@medusajs/framework/utils');
const { ShoppingfeedModuleService } = require('./service');

const SHOPPINGFEED_MODULE = 'shoppingfeed';

module.exports = {
  __esModule: true,
  SHOPPINGFEED_MODULE,
  ShoppingfeedModuleService,
  default: Module(SHOPPINGFEED_MODULE, { service: ShoppingfeedModuleService }),
};
