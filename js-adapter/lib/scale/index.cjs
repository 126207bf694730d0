// @ts-check
'use strict';
// Scale-out on BullMQ/Redis with a shared PostgreSQL journal (`shoppingfeed-orders worker` and
// `shoppingfeed-orders stores`). Needs the optional dependencies bullmq, ioredis and pg.

const { openScale } = require('./scale.cjs');
const { startWorker } = require('./worker.cjs');
const { parseTokenRef, resolveToken } = require('./tokens.cjs');
const { DEFAULT_QUEUE, DEFAULT_EVERY_MINUTES } = require('./registry.cjs');

module.exports = { openScale, startWorker, parseTokenRef, resolveToken, DEFAULT_QUEUE, DEFAULT_EVERY_MINUTES };
