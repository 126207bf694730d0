'use strict';
// GET /admin/shoppingfeed: the connector's state in this process (last cycle, admin hooks run) and the
// newest events of the journal.

const { getConnector } = require('../../../../../../connector.cjs');

async function GET(req, res) {
  const connector = getConnector(req.scope);
  res.json({
    storeId: connector.options.storeId ?? null,
    cycles: connector.cycles,
    lastCycle: connector.lastCycle,
    lastError: connector.lastError,
    hooks: connector.hooks,
    events: await connector.journal.events({ limit: Math.min(Number(req.query?.limit) || 20, 200) }),
  });
}

module.exports = { GET };
