'use strict';
// `shipment.created` (a fulfillment marked as shipped, with its labels): the shipment goes to Shoppingfeed once.

const { getConnector } = require('../../../../connector.cjs');
const { shipFulfillment } = require('../../../../hooks.cjs');

async function shoppingfeedShipment({ event, container }) {
  const connector = getConnector(container);
  await connector.enqueue(() => shipFulfillment(connector, event.data.id));
}

module.exports = {
  __esModule: true,
  default: shoppingfeedShipment,
  config: { event: 'shipment.created', context: { subscriberId: 'shoppingfeed-shipment' } },
};
