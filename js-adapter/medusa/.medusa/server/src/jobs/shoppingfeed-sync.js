'use strict';
// Scheduled job: one Shoppingfeed sync cycle every `everyMinutes` (plugin option, default 10): import,
// acknowledge, send pending operations, follow tickets. The journal's lock keeps cycles of several Medusa
// processes from overlapping; a cycle already running in this process is joined, not doubled.

const { getConnector } = require('../../../../connector.cjs');
const { scheduleFor, pluginOptionsFromConfig } = require('../../../../schedule.cjs');

async function shoppingfeedSync(container) {
  const connector = getConnector(container);
  const logger = container.resolve('logger');
  try {
    const report = await connector.runOnce();
    logger.info(
      `Shoppingfeed: sync: ${report.imported} imported, ${report.acknowledged} acknowledged, ${report.errorAcknowledged} error-acknowledged, ${report.failed} failed, ${report.sent} operations sent`,
    );
  } catch (err) {
    logger.error(`Shoppingfeed: sync failed: ${err.code ? `${err.code}: ` : ''}${err.message}`);
  }
}

module.exports = {
  __esModule: true,
  default: shoppingfeedSync,
  config: { name: 'shoppingfeed-sync', schedule: scheduleFor(pluginOptionsFromConfig().everyMinutes) },
};
