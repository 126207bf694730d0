'use strict';
// The scheduled job's timing, from the plugin option `everyMinutes` (default 10). Medusa reads a job's
// schedule when it loads the job file, before any module exists: the options are read from the loaded
// medusa-config (the plugin entry whose `resolve` names this package).

const DEFAULT_EVERY_MINUTES = 10;

/** Minutes → Medusa's job schedule: a cron expression when it divides the hour, an interval otherwise. */
function scheduleFor(everyMinutes) {
  const n = Number(everyMinutes ?? DEFAULT_EVERY_MINUTES);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`everyMinutes must be a positive number, got ${everyMinutes}`);
  if (Number.isInteger(n) && n < 60 && 60 % n === 0) return n === 1 ? '* * * * *' : `*/${n} * * * *`;
  return { interval: Math.round(n * 60_000) };
}

/** This plugin's options in the loaded medusa-config ({} when there is none, e.g. outside Medusa). */
function pluginOptionsFromConfig() {
  try {
    const { configManager } = require('@medusajs/framework/config');
    const here = require('node:path').dirname(__filename);
    for (const plugin of configManager.config.plugins ?? []) {
      const resolve = typeof plugin === 'string' ? plugin : plugin?.resolve;
      if (typeof resolve !== 'string') continue;
      const ours = /(^|[\\/])shoppingfeed-orders[\\/]medusa[\\/]?$/.test(resolve) || require('node:path').resolve(resolve) === here;
      if (ours) return (typeof plugin === 'string' ? {} : plugin.options) ?? {};
    }
  } catch {
    // no loaded config
  }
  return {};
}

module.exports = { scheduleFor, pluginOptionsFromConfig, DEFAULT_EVERY_MINUTES };
