// @ts-check
'use strict';
// Forked by postgres.test.js: another process on the same PostgreSQL schema. Opens a PostgresStore
// from argv (url, store id, schema), says `ready` with the migrations it applied, then runs
// `{id, method, args, at?}` calls and answers `{id, result}` or `{id, error}`. Not a test file.

if (typeof process.send !== 'function') process.exit(0);
const send = /** @type {(m: any) => void} */ (process.send.bind(process));

const { PostgresStore } = require('../../lib/stores/postgres.cjs');

/** @type {any} */
let store;
(async () => {
  try {
    store = new PostgresStore({ connectionString: process.argv[2], storeId: Number(process.argv[3]), schema: process.argv[4] });
    send({ ready: true, migrated: await store.migrated });
  } catch (err) {
    send({ ready: false, error: String(/** @type {Error} */ (err).message) });
    process.exit(1);
  }
})();

process.on('message', async (/** @type {any} */ m) => {
  if (m === 'exit') {
    await store.close();
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
