'use strict';
// The plugin's data models: the connector's journal in Medusa's database. Records are kept whole as JSON
// (the engine owns their shape); the columns beside them are what queries filter and sort on.

const { model } = require('@medusajs/framework/utils');

/** Which Shoppingfeed order became which Medusa order, and where its acknowledgement stands. */
const ShoppingfeedImport = model
  .define('shoppingfeed_import', {
    /** The Shoppingfeed order id. */
    id: model.text().primaryKey(),
    state: model.text(),
    status: model.text(),
    channel: model.text(),
    /** The Medusa display id sent as storeReference. */
    shop_order_id: model.text().nullable(),
    order_created_at: model.dateTime().nullable(),
    record: model.json(),
  })
  .indexes([{ on: ['state'] }, { on: ['order_created_at'] }]);

/** Outbound operations (ship, cancel, acknowledge batches…) and their tickets. */
const ShoppingfeedOperation = model
  .define('shoppingfeed_operation', {
    /** `<Shoppingfeed order id>:<operation>:<n>`. */
    id: model.text().primaryKey(),
    shoppingfeed_id: model.text(),
    state: model.text(),
    record: model.json(),
  })
  .indexes([{ on: ['shoppingfeed_id'] }, { on: ['state'] }]);

/** The sync lock: one cycle at a time across Medusa processes. */
const ShoppingfeedLock = model.define('shoppingfeed_lock', {
  id: model.text().primaryKey(),
  owner: model.text(),
  expires_at: model.dateTime(),
});

/** Cycle reports and operations, newest kept. */
const ShoppingfeedEvent = model
  .define('shoppingfeed_event', {
    id: model.id({ prefix: 'sfev' }).primaryKey(),
    kind: model.text(),
    at: model.dateTime(),
    data: model.json().nullable(),
  })
  .indexes([{ on: ['kind'] }]);

module.exports = { ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent };
