'use strict';
// ShoppingfeedModuleService: Medusa's generated CRUD for the journal's models, plus the journal operations the
// engine's OrderStore needs (upserts in one transaction, an atomic lock), written against the module's own
// connection.

const { MedusaService } = require('@medusajs/framework/utils');
const { ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent } = require('./models/shoppingfeed');
const { Journal } = require('../../../../../journal.cjs');

class ShoppingfeedModuleService extends MedusaService({ ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent }) {
  constructor(container, options) {
    // eslint-disable-next-line prefer-rest-params
    super(...arguments);
    /** The plugin's options (token, storeId, apiUrl, …). */
    this.options_ = options ?? {};
    this.journal_ = new Journal(() => container.manager.getKnex());
  }

  /** The plugin's options, as given in medusa-config. */
  getOptions() {
    return this.options_;
  }

  /** The journal (the engine's OrderStore minus order creation), on this module's tables. */
  getJournal() {
    return this.journal_;
  }
}

module.exports = { ShoppingfeedModuleService };
