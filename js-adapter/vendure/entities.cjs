'use strict';
// The connector's journal in Vendure's database: four plain TypeORM entities (decorators applied by call,
// as TypeScript would emit them). Shoppingfeed ids are kept as text: they exceed 32-bit integers.

const { typeorm } = require('./peer.cjs');

const { Entity, PrimaryColumn, PrimaryGeneratedColumn, Column, Index } = typeorm;

/**
 * Applies column decorators, then the entity decorator.
 * @param {Function} cls
 * @param {string} table
 * @param {Record<string, [Function, object?]>} columns
 * @param {string[]} [indexed]
 */
function define(cls, table, columns, indexed = []) {
  for (const [prop, [decorator, options]] of Object.entries(columns)) {
    decorator(options)(cls.prototype, prop);
  }
  for (const prop of indexed) Index()(cls.prototype, prop);
  Entity(table)(cls);
  return cls;
}

/** One imported (or failed) Shoppingfeed order: the engine's ImportRecord as JSON plus queryable columns. */
class ShoppingfeedImport {
  /** @param {Partial<ShoppingfeedImport>} [input] */
  constructor(input) {
    if (input) Object.assign(this, input);
  }
}
define(
  ShoppingfeedImport,
  'shoppingfeed_import',
  {
    shoppingfeedId: [PrimaryColumn, { type: 'varchar', length: 32 }],
    state: [Column, { type: 'varchar', length: 16 }],
    status: [Column, { type: 'varchar', length: 40 }],
    channel: [Column, { type: 'varchar', length: 128 }],
    shopOrderId: [Column, { type: 'varchar', length: 64, nullable: true }],
    orderCreatedAt: [Column, { type: 'varchar', length: 40, nullable: true }],
    updatedAt: [Column, { type: 'varchar', length: 40 }],
    record: [Column, { type: 'text' }],
  },
  ['status', 'orderCreatedAt'],
);

/** One outbound operation (ship, cancel, acknowledge…): the engine's OperationRecord as JSON. */
class ShoppingfeedOperation {
  /** @param {Partial<ShoppingfeedOperation>} [input] */
  constructor(input) {
    if (input) Object.assign(this, input);
  }
}
define(
  ShoppingfeedOperation,
  'shoppingfeed_operation',
  {
    id: [PrimaryColumn, { type: 'varchar', length: 128 }],
    shoppingfeedId: [Column, { type: 'varchar', length: 32 }],
    state: [Column, { type: 'varchar', length: 16 }],
    updatedAt: [Column, { type: 'varchar', length: 40 }],
    record: [Column, { type: 'text' }],
  },
  ['shoppingfeedId', 'state'],
);

/** The sync lock (one row per Shoppingfeed store), so two processes never run a cycle at once. */
class ShoppingfeedLock {
  /** @param {Partial<ShoppingfeedLock>} [input] */
  constructor(input) {
    if (input) Object.assign(this, input);
  }
}
define(ShoppingfeedLock, 'shoppingfeed_lock', {
  name: [PrimaryColumn, { type: 'varchar', length: 64 }],
  owner: [Column, { type: 'varchar', length: 128 }],
  expiresAt: [Column, { type: 'bigint' }],
});

/** The connector's event log (cycle reports, operations), pruned to the newest entries. */
class ShoppingfeedEvent {
  /** @param {Partial<ShoppingfeedEvent>} [input] */
  constructor(input) {
    if (input) Object.assign(this, input);
  }
}
define(ShoppingfeedEvent, 'shoppingfeed_event', {
  id: [PrimaryGeneratedColumn, undefined],
  kind: [Column, { type: 'varchar', length: 64 }],
  at: [Column, { type: 'varchar', length: 40 }],
  data: [Column, { type: 'text' }],
});

const ENTITIES = [ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent];

module.exports = { ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent, ENTITIES };
