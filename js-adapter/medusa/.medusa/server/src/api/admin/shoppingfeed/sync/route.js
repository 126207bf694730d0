'use strict';
// POST /admin/shoppingfeed/sync: runs one sync cycle now (what the scheduled job does) and answers its report.

const { getConnector } = require('../../../../../../../connector.cjs');

async function POST(req, res) {
  const report = await getConnector(req.scope).runOnce();
  res.json({ report });
}

module.exports = { POST };
