'use strict';
// `order.canceled`: a marketplace order cancelled in Medusa is cancelled on Shoppingfeed.

const { getConnector } = require('../../../../connector.cjs');
const { orderCanceled } = require('../../../../hooks.cjs');

async function shoppingfeedOrderCanceled({ event, container }) {
  const connector = getConnector(container);
  await connector.enqueue(() => orderCanceled(connector, event.data.id));
}

module.exports = {
  __esModule: true,
  default: shoppingfeedOrderCanceled,
  config: { event: 'order.canceled', context: { subscriberId: 'shoppingfeed-order-canceled' } },
};
