// @ts-check
// A local Shoppingfeed API and marketplace emulator (`shoppingfeed-orders/sandbox`).
// Written from docs/shoppingfeed-api.md alone and never importing the engine, so the connector and
// its test bed cannot share a misunderstanding.

import { Control, controlRoutes } from './control.js';
import { createSandboxServer } from './http.js';
import { Sandbox } from './state.js';

export { CHANNELS } from './channels.js';
export { Control } from './control.js';

/** @typedef {import('./state.js').SandboxOptions} SandboxOptions */
/** @typedef {import('./state.js').StoreOptions} StoreOptions */

/**
 * @typedef {object} RunningSandbox
 * @property {string} url        base URL, e.g. `http://127.0.0.1:43123` (the API is under /v1)
 * @property {string} token      bearer token of the sandbox account
 * @property {number} storeId    the main store
 * @property {number[]} storeIds every store the token sees
 * @property {Control} control   in-process controls, same as the /_sandbox/ endpoints
 * @property {() => Promise<void>} close stops the server and drops open connections
 */

/**
 * Starts a sandbox on 127.0.0.1.
 * @param {SandboxOptions} [options]
 * @returns {Promise<RunningSandbox>}
 */
export async function startSandbox(options = {}) {
  const sb = new Sandbox(options);
  const control = new Control(sb);
  const server = createSandboxServer(sb, controlRoutes(control));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(sb.options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  let closed = false;
  return {
    url: `http://127.0.0.1:${address.port}`,
    token: sb.token,
    storeId: sb.storeIds[0],
    storeIds: sb.storeIds,
    control,
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
