// @ts-check
'use strict';
// A pino-compatible logger writing JSON lines (level, time, msg, fields) to a stream. A shop passes
// its own pino instance instead; `false` silences the connector.

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * @param {{ level?: keyof typeof LEVELS, stream?: { write(s: string): unknown } }} [options]
 */
function jsonLogger(options = {}) {
  const min = LEVELS[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  /** @param {keyof typeof LEVELS} level */
  const at = (level) => (/** @type {any} */ fields, /** @type {string} */ msg) => {
    if (LEVELS[level] < min) return;
    const line = typeof fields === 'string' ? { msg: fields } : { ...fields, msg };
    stream.write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), name: 'shoppingfeed-orders', ...line })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

module.exports = { jsonLogger, silentLogger };
