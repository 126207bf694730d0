// @ts-check
'use strict';
// Forked by sqlite.test.js: a second (third…) process on the same SQLite file. Opens the store given as
// argv[2], says `ready`, then runs `{id, method, args, at?}` calls on it and answers `{id, result}` or
// `{id, error}`. Not a test file (no `.test.` in the name); does nothing when not forked.

if (typeof process.send !== 'function') process.exit(0);
const send = /** @type {(m: any) => void} */ (process.send.bind(process));

const { SqliteStore } = require('../../lib/stores/sqlite.cjs');

/** @type {any} */
let store;
try {
  store = new SqliteStore(process.argv[2]);
  send({ ready: true, migrated: store.migrated });
} catch (err) {
  send({ ready: false, error: String(/** @type {Error} */ (err).message) });
  process.exit(1);
}

process.on('message', async (/** @type {any} */ m) => {
  if (m === 'exit') {
    store.close();
    process.exit(0);
  }
  try {
    // `at` (epoch ms): all processes start the call at the same instant, to make races real.
    if (m.at) while (performance.timeOrigin + performance.now() < m.at);
    send({ id: m.id, result: await store[m.method](...m.args) });
  } catch (err) {
    send({ id: m.id, error: String(/** @type {Error} */ (err).message) });
  }
});
process.on('disconnect', () => process.exit(0));
