// The dashboard page: loads the engine (the same Rust code as the server, compiled to Wasm), then routes
// #/orders, #/orders/<id>, #/orders/<id>/ship and #/log. A dashboard over many stores (a scale-out)
// starts at #/stores and shows each store's views under #/s/<storeId>/… No framework; views build DOM
// nodes with lib/dom.js (text only, never HTML).
import init, * as wasm from './pkg/shoppingfeed_orders.js';
import { ApiError, api, currentStore, link, prefetch, setAccessToken, setStore, takeAccessFromFragment } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { renderLog } from './views/log.js';
import { renderOrder } from './views/order.js';
import { renderOrders, requests } from './views/orders.js';
import { renderStores } from './views/stores.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const notice = /** @type {HTMLElement} */ (document.getElementById('notice'));
const syncButton = /** @type {HTMLButtonElement} */ (document.getElementById('sync-now'));
const engineLabel = /** @type {HTMLElement} */ (document.getElementById('engine'));
const navStores = /** @type {HTMLElement} */ (document.getElementById('nav-stores'));
const storeLabel = /** @type {HTMLElement} */ (document.getElementById('store-label'));

/** The dashboard's own configuration; in a store of a many-store dashboard, ctx.config adds the store's. */
let rootConfig = /** @type {any} */ (null);
/** The server marks the page of a many-store dashboard (known before /api/config answers). */
const MULTI = document.documentElement.dataset.mode === 'stores';

/**
 * What every view gets.
 * @typedef {object} Ctx
 * @property {typeof wasm} engine
 * @property {any} config
 * @property {() => number} now         server (engine) time in ms, ticking with the local clock
 * @property {HTMLElement} main
 * @property {(text: string, kind?: 'info' | 'ok' | 'error') => void} notify
 * @property {(hash: string, options?: {replace?: boolean}) => void} go
 * @property {(err: unknown) => void} fail
 * @property {() => void} refresh       re-renders the current view
 * @property {number} generation        increases at every navigation (views drop stale answers)
 */

/** @type {Ctx} */
const ctx = {
  engine: wasm,
  config: null,
  now: () => Date.now(),
  main,
  notify,
  go,
  fail,
  refresh: () => route(),
  generation: 0,
};

let noticeAt = 0;

/** @param {string} text @param {'info' | 'ok' | 'error'} [kind] */
function notify(text, kind = 'info') {
  noticeAt = Date.now();
  replace(notice, text ? h('p', { class: ['notice', `notice-${kind}`] }, text, ' ', h('button', { type: 'button', class: 'link', on: { click: () => replace(notice) } }, 'Dismiss')) : null);
}

/** @param {string} hash  a view's address, in the current store when there is one @param {{replace?: boolean}} [options] */
function go(hash, options = {}) {
  hash = link(hash);
  if (location.hash === hash) route();
  else if (options.replace) {
    history.replaceState(null, '', hash);
    route();
  } else location.hash = hash;
}

/** Shows an error where the view would be (401: asks for the access token). @param {unknown} err */
function fail(err) {
  if (err instanceof ApiError && err.status === 401) return askAccessToken();
  const e = /** @type {any} */ (err);
  console.error(err);
  main.dataset.view = 'error';
  replace(main, h('h2', { tabindex: '-1' }, 'Something went wrong'), h('p', { class: 'error-text' }, String(e?.message ?? e)),
    h('p', null, h('button', { type: 'button', on: { click: () => (ctx.config ? route() : start()) } }, 'Try again')));
  main.querySelector('h2')?.focus();
  return undefined;
}

function askAccessToken() {
  const input = h('input', { id: 'access-token', name: 'access-token', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'card narrow', on: { submit: (/** @type {Event} */ ev) => {
    ev.preventDefault();
    setAccessToken(/** @type {HTMLInputElement} */ (input).value.trim());
    start();
  } } },
  h('h2', { tabindex: '-1' }, 'Access token'),
  h('p', null, 'This dashboard was started with an access token. Enter it to continue (kept for this tab only).'),
  h('div', { class: 'field' }, h('label', { for: 'access-token' }, 'Access token'), input),
  h('button', { type: 'submit' }, 'Open the dashboard'));
  main.dataset.view = 'access';
  replace(main, form);
  input.focus();
}

/** The current route: [view, ...params] from `#/…?query`. */
function parseHash() {
  const multi = rootConfig?.multiStore ?? MULTI;
  const home = multi ? 'stores' : 'orders';
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : home;
  const [path, q = ''] = raw.split('?');
  let seg = path.split('/').filter(Boolean).map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
  let store = '';
  if (multi && seg[0] === 's' && /^\d{1,16}$/.test(seg[1] ?? '')) {
    store = seg[1];
    seg = seg.slice(2);
    if (!seg.length) seg = ['orders'];
  }
  return { seg: seg.length ? seg : [home], params: new URLSearchParams(q), store };
}

/**
 * Shows one store of a many-store dashboard (its configuration: can it ship, import…) or none.
 * @param {string} id  '' for none
 */
async function enterStore(id) {
  if (id && currentStore() !== id) {
    setStore(id);
    try {
      ctx.config = { ...rootConfig, ...(await api(`/api/stores/${id}/config`)), multiStore: true, storeId: id };
    } catch (err) {
      setStore('');
      ctx.config = rootConfig;
      throw err;
    }
  } else if (!id) {
    setStore('');
    ctx.config = rootConfig;
  }
  const inStore = Boolean(currentStore());
  storeLabel.hidden = !inStore;
  storeLabel.textContent = inStore ? `Store ${currentStore()}` : '';
  for (const li of document.querySelectorAll('[data-in-store]')) /** @type {HTMLElement} */ (li).hidden = rootConfig.multiStore && !inStore;
  for (const a of document.querySelectorAll('[data-in-store] a')) {
    const nav = /** @type {HTMLElement} */ (a).dataset.nav;
    a.setAttribute('href', link(`#/${nav}`));
  }
  // The stores page has a "Run now" per store; the top button belongs to one store's views.
  syncButton.hidden = rootConfig.multiStore && !inStore;
  syncButton.disabled = !ctx.config.actions;
  syncButton.title = ctx.config.actions ? '' : ctx.config.readOnlyReason ?? 'read-only';
  syncButton.textContent = ctx.config.queuesCycles ? 'Run a cycle now' : 'Import now';
}

function route() {
  if (!ctx.config) return;
  ctx.generation += 1;
  // A notice belongs to the action that raised it: gone at the next navigation, unless just raised.
  if (Date.now() - noticeAt > 1500) replace(notice);
  const { seg, params, store } = parseHash();
  const gen = ctx.generation;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (/** @type {HTMLElement} */ (a).dataset.nav === seg[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const run = async () => {
    if (rootConfig.multiStore) {
      await enterStore(store);
      if (gen !== ctx.generation) return undefined;
      if (!store) {
        if (!location.hash) history.replaceState(null, '', '#/stores');
        if (seg[0] === 'stores' && seg.length === 1) return renderStores(ctx);
        return go('#/stores', { replace: true });
      }
    }
    if (seg[0] === 'orders' && seg.length === 1) return renderOrders(ctx, params);
    if (seg[0] === 'orders' && /^\d+$/.test(seg[1] ?? '') && (seg.length === 2 || (seg.length === 3 && seg[2] === 'ship'))) {
      return renderOrder(ctx, Number(seg[1]), { ship: seg[2] === 'ship' });
    }
    if (seg[0] === 'log' && seg.length === 1) return renderLog(ctx, params);
    main.dataset.view = 'not-found';
    replace(main, h('h2', { tabindex: '-1' }, 'Not found'), h('p', null, h('a', { href: link('#/orders') }, 'Back to the orders')));
    return undefined;
  };
  run().catch(fail);
}

/** "Import now": one connector cycle on the server (import, acknowledge, send, follow tickets). */
async function syncNow() {
  syncButton.disabled = true;
  syncButton.setAttribute('aria-busy', 'true');
  notify('Importing: one sync cycle is running…');
  try {
    const answer = await api('/api/sync', { method: 'POST', body: {} });
    if (answer.queued) {
      notify(`A cycle of store ${currentStore()} is queued: the next free worker runs it (import, acknowledge, send, follow tickets).`, 'ok');
      return undefined;
    }
    const r = answer.report;
    const parts = [`imported ${r.imported}`, `acknowledged ${r.acknowledged}`, `failed ${r.failed}`, `skipped ${r.skipped}`, `sent ${r.sent}`, `confirmed ${r.succeeded}`];
    if (r.operationsFailed) parts.push(`${r.operationsFailed} operations failed`);
    if (r.statusChanges) parts.push(`${r.statusChanges} changed on the marketplace`);
    notify(`Sync cycle done: ${parts.join(', ')}.`, r.failed || r.operationsFailed ? 'error' : 'ok');
    route();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return askAccessToken();
    notify(`Import failed: ${/** @type {Error} */ (err).message}`, 'error');
  } finally {
    syncButton.removeAttribute('aria-busy');
    syncButton.disabled = !ctx.config?.actions;
  }
  return undefined;
}

let started = false;
let wasmReady = /** @type {Promise<unknown> | null} */ (null);

async function start() {
  wasmReady ??= init({ module_or_path: new URL('./pkg/shoppingfeed_orders_bg.wasm', import.meta.url) });
  // The first view's data travels while the engine compiles.
  const first = parseHash();
  if (!first.store && first.seg[0] === 'orders' && first.seg.length === 1) for (const p of requests(first.params)) prefetch(p);
  if (MULTI && first.seg[0] === 'stores' && first.seg.length === 1) prefetch('/api/stores');
  try {
    const [config] = await Promise.all([api('/api/config'), wasmReady]);
    rootConfig = config;
    ctx.config = config;
    navStores.hidden = !config.multiStore;
    const offset = config.now - Date.now();
    ctx.now = () => Date.now() + offset;
    engineLabel.textContent = `engine ${wasm.version()}`;
    syncButton.disabled = !config.actions;
    if (!config.actions) syncButton.title = config.readOnlyReason ?? 'read-only';
  } catch (err) {
    fail(err);
    return;
  }
  if (!started) {
    started = true;
    window.addEventListener('hashchange', route);
    syncButton.addEventListener('click', syncNow);
  }
  route();
}

document.querySelector('.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
takeAccessFromFragment();
start();
