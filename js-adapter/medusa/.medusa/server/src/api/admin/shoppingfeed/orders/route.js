'use strict';
// GET /admin/shoppingfeed/orders: the imported orders as the engine sees them (state, acknowledgement,
// shipment, operations, deadline), newest first. Query: limit, offset, status, channel, needsAttention.

const { getConnector } = require('../../../../../../../connector.cjs');

async function GET(req, res) {
  const q = req.query ?? {};
  const filter = {
    limit: Math.min(Number(q.limit) || 50, 500),
    offset: Number(q.offset) || 0,
    ...(q.status ? { status: String(q.status) } : {}),
    ...(q.channel ? { channel: String(q.channel) } : {}),
    ...(q.needsAttention === 'true' ? { needsAttention: true } : {}),
  };
  res.json(await getConnector(req.scope).getSync().orders(filter));
}

module.exports = { GET };
