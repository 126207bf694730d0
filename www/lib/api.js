// The dashboard's JSON API, same origin only. POST bodies are JSON (the server refuses anything else);
// the access token, when the server asks for one, travels in the Authorization header and lives in
// sessionStorage for this tab only. The Shoppingfeed API token is never here: it stays on the server.

const ACCESS_KEY = 'shoppingfeed-orders.dashboard.access';

export class ApiError extends Error {
  /** @param {number} status @param {{code?: string, message?: string, field?: string, name?: string} | undefined} error */
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = error?.code ?? 'Error';
    this.field = error?.field;
    this.engineName = error?.name;
  }
}

/** Takes `#access=TOKEN` from the address once (the fragment never reaches a server or a log). */
export function takeAccessFromFragment() {
  const m = /^#access=([^&]+)/.exec(location.hash);
  if (!m) return;
  setAccessToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/orders`);
}

/** @param {string | null} token */
export function setAccessToken(token) {
  try {
    if (token) sessionStorage.setItem(ACCESS_KEY, token);
    else sessionStorage.removeItem(ACCESS_KEY);
  } catch {
    // Storage disabled: the token lasts until the page is closed.
    memoryToken = token;
  }
}

/** @type {string | null} */
let memoryToken = null;
function accessToken() {
  try {
    return sessionStorage.getItem(ACCESS_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

/**
 * The store the page shows, when the dashboard serves many (a scale-out): its API lives under
 * /api/stores/{id}/ and its views under #/s/{id}/. Empty for a one-store dashboard.
 */
let storeId = '';

/** @param {string} id  digits, or '' for none */
export function setStore(id) {
  storeId = /^\d{1,16}$/.test(id) ? id : '';
}

export function currentStore() {
  return storeId;
}

/** A view's address in the current store (`#/orders/1` → `#/s/42/orders/1`). @param {string} hash */
export function link(hash) {
  if (!storeId || !hash.startsWith('#/') || hash.startsWith('#/s/') || hash === '#/stores' || hash.startsWith('#/stores?')) return hash;
  return `#/s/${storeId}/${hash.slice(2)}`;
}

/** The API path in the current store; /api/config and /api/stores… are the dashboard's own. @param {string} path */
function resolve(path) {
  if (!storeId || path === '/api/config' || path === '/api/stores' || path.startsWith('/api/stores/')) return path;
  return `/api/stores/${storeId}/${path.slice('/api/'.length)}`;
}

/** GETs started early (while the engine loads), each taken once by the first `api()` call for it. */
const early = /** @type {Map<string, Promise<any>>} */ (new Map());

/** Starts GET `path` now; the next `api(path)` gets this answer. @param {string} path */
export function prefetch(path) {
  const full = resolve(path);
  const p = call(full, {});
  p.catch(() => {});
  early.set(full, p);
}

/**
 * Calls the API. Resolves to the JSON answer; rejects with ApiError (status, code, field).
 * @param {string} path  starting with /api/
 * @param {{ method?: 'GET' | 'POST', body?: unknown, signal?: AbortSignal }} [options]
 */
export function api(path, options = {}) {
  const full = resolve(path);
  const method = options.method ?? 'GET';
  const pending = method === 'GET' ? early.get(full) : undefined;
  if (pending) {
    early.delete(full);
    return pending;
  }
  return call(full, options);
}

/**
 * @param {string} path
 * @param {{ method?: 'GET' | 'POST', body?: unknown, signal?: AbortSignal }} options
 */
async function call(path, options) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const method = options.method ?? 'GET';
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: method === 'POST' ? JSON.stringify(options.body ?? {}) : undefined,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      signal: options.signal,
    });
  } catch (err) {
    if (/** @type {any} */ (err)?.name === 'AbortError') throw err;
    throw new ApiError(0, { code: 'Network', message: 'the dashboard server does not answer (stopped?)' });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error);
  return data;
}

/** Query string from an object (empty values left out). @param {Record<string, unknown>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
