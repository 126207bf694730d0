// @ts-check
// The HTTP server: CORS for browser Wasm tests, faults, rate limiting, the request log, then routing
// to the API (/v1) or the test controls (/_sandbox).

import { createServer } from 'node:http';
import { handleApi, MAX_FILE_BYTES, MAX_FILES, tokenMatches } from './api.js';
import { ProblemError } from './errors.js';
import { empty, problem } from './response.js';
import { formatIso } from './time.js';

/** @typedef {import('./state.js').Sandbox} Sandbox */
/** @typedef {import('./state.js').Fault} Fault */
/** @typedef {import('./control.js').Control} Control */
/** @typedef {import('./response.js').Reply} Reply */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
  // Without this a browser client cannot read how long to wait after a 429.
  'Access-Control-Expose-Headers': 'X-RateLimit-Wait, Location',
  'Access-Control-Max-Age': '600',
};

const JSON_BODY_LIMIT = 10 * 1024 * 1024;
const UPLOAD_BODY_LIMIT = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024;
const REDACTED_KEYS = new Set(['password', 'token', 'access_token', 'client_secret']);

/**
 * @param {Sandbox} sb
 * @param {(ctx: {method: string, path: string, segments: string[], params: URLSearchParams, body: Buffer|null}) => Reply} handleControl
 */
export function createSandboxServer(sb, handleControl) {
  const server = createServer((req, res) => {
    handle(sb, handleControl, req, res).catch((err) => {
      // Last resort: a bug must not take the server down mid-test.
      if (!res.headersSent) send(res, problem(500, `sandbox error: ${err?.message ?? err}`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/**
 * @param {Sandbox} sb
 * @param {(ctx: any) => Reply} handleControl
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 */
async function handle(sb, handleControl, req, res) {
  const started = performance.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1).replace(/#.*$/, '');
  let segments;
  try {
    segments = rawPath.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    send(res, problem(400, 'malformed URL path'));
    return;
  }
  const path = '/' + segments.join('/');
  if (method === 'OPTIONS') {
    send(res, empty(204));
    return;
  }
  const params = new URLSearchParams(rawQuery);

  if (segments[0] === '_sandbox') {
    let reply;
    try {
      const body = method === 'POST' || method === 'PATCH' || method === 'PUT' ? await readBody(req, JSON_BODY_LIMIT) : null;
      reply = handleControl({ method, path, segments: segments.slice(1), params, body });
    } catch (err) {
      reply = toReply(err);
    }
    send(res, reply);
    return;
  }

  sb.runDue();
  const authorized = tokenMatches(sb, req.headers.authorization);
  /** @type {Record<string, any>} */
  const entry = {
    seq: ++sb.requestSeq,
    timestamp: new Date().toISOString(),
    sandboxTime: formatIso(sb.clock.now()),
    method,
    path,
    query: redactQuery(params),
    status: 0,
    durationMs: 0,
  };
  const log = () => {
    entry.durationMs = Math.round((performance.now() - started) * 100) / 100;
    sb.requestLog.push(/** @type {any} */ (entry));
    if (sb.requestLog.length > sb.options.requestLogSize) sb.requestLog.splice(0, sb.requestLog.length - sb.options.requestLogSize);
  };

  const fault = takeFault(sb, method, path);
  if (fault) entry.fault = fault.kind;
  if (fault && fault.kind === 'reset' && !fault.afterProcessing) {
    entry.status = 0;
    log();
    req.socket.resetAndDestroy();
    return;
  }
  if (fault && fault.kind === 'rate-limit') {
    entry.status = 429;
    log();
    send(res, problem(429, 'Too many requests', {}, { 'X-RateLimit-Wait': fault.waitSeconds.toFixed(3) }));
    return;
  }
  if (fault && fault.kind === 'server-error' && !fault.afterProcessing) {
    entry.status = fault.status;
    log();
    send(res, problem(fault.status, 'Injected server error'));
    return;
  }
  const wait = rateLimitWait(sb, authorized ? 'token' : 'anonymous');
  if (wait > 0) {
    entry.status = 429;
    log();
    send(res, problem(429, 'Too many requests', {}, { 'X-RateLimit-Wait': wait.toFixed(3) }));
    return;
  }

  let reply;
  try {
    let body = null;
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      const upload = segments[segments.length - 1] === 'upload-documents';
      body = await readBody(req, upload ? UPLOAD_BODY_LIMIT : JSON_BODY_LIMIT);
      entry.body = describeBody(body, /** @type {string|undefined} */ (req.headers['content-type']));
    }
    if (segments[0] !== 'v1') throw new ProblemError(404, `No route for ${path}`);
    reply = handleApi(sb, {
      method, path, segments: segments.slice(1), rawQuery, params, headers: req.headers, body, authorized,
    });
  } catch (err) {
    reply = toReply(err);
  }

  if (fault && fault.kind === 'server-error') reply = problem(fault.status, 'Injected server error');
  entry.status = fault && fault.kind === 'reset' ? 0 : reply.status;
  log();
  if (fault && fault.kind === 'reset') {
    req.socket.resetAndDestroy();
    return;
  }
  if (fault && fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault && fault.kind === 'truncate') {
    sendTruncated(res, reply);
    return;
  }
  send(res, reply);
}

/** @returns {Reply} */
function toReply(/** @type {unknown} */ err) {
  if (err instanceof ProblemError) return problem(err.status, err.detail, err.extra, err.headers);
  const e = /** @type {any} */ (err);
  if (e && e.code === 'BODY_TOO_LARGE') return problem(413, e.message);
  return problem(500, `sandbox error: ${e?.message ?? e}`);
}

/** @param {ServerResponse} res @param {Reply} reply */
function send(res, reply) {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.writeHead(reply.status, { ...CORS, ...reply.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

/** Announces the full length, sends half, then drops the connection: the client sees a cut body. */
function sendTruncated(/** @type {ServerResponse} */ res, /** @type {Reply} */ reply) {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.writeHead(reply.status, { ...CORS, ...reply.headers, 'Content-Length': String(body.length) });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
}

/** @returns {Fault|null} */
function takeFault(/** @type {Sandbox} */ sb, /** @type {string} */ method, /** @type {string} */ path) {
  for (let i = 0; i < sb.faults.length; i++) {
    const f = sb.faults[i];
    if (f.method && f.method !== method) continue;
    if (f.path && !path.includes(f.path)) continue;
    f.remaining--;
    if (f.remaining <= 0) sb.faults.splice(i, 1);
    return f;
  }
  return null;
}

/**
 * Token bucket of `rateLimit` requests per second (burst of one second's worth), wall-clock based:
 * throttling is about the client's pace, not sandbox time. Returns seconds to wait, 0 if allowed.
 */
function rateLimitWait(/** @type {Sandbox} */ sb, /** @type {string} */ key) {
  const rate = sb.options.rateLimit;
  if (!rate) return 0;
  const now = performance.now();
  let b = sb.buckets.get(key);
  if (!b) {
    b = { tokens: rate, at: now };
    sb.buckets.set(key, b);
  }
  b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.max(0.001, (1 - b.tokens) / rate);
}

/**
 * Reads a request body up to `limit` bytes; beyond it the rest is drained and a 413 raised, so the
 * client still gets an answer instead of a broken pipe.
 * @returns {Promise<Buffer>}
 */
function readBody(/** @type {IncomingMessage} */ req, /** @type {number} */ limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) reject(Object.assign(new Error(`request body larger than ${limit} bytes`), { code: 'BODY_TOO_LARGE' }));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Query as an object, with any credential-looking parameter masked. */
function redactQuery(/** @type {URLSearchParams} */ params) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of params) out[k] = REDACTED_KEYS.has(k.toLowerCase()) ? '[redacted]' : v;
  return out;
}

/** The body as logged: parsed JSON with secrets masked; for multipart, the JSON part and file sizes. */
function describeBody(/** @type {Buffer} */ body, /** @type {string|undefined} */ contentType) {
  if (body.length === 0) return null;
  if (/^multipart\//i.test(contentType ?? '')) {
    const text = body.toString('latin1');
    const files = [...text.matchAll(/filename="([^"]*)"/g)].map((m) => m[1]);
    const jsonPart = /name="body"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n--/.exec(text)?.[1];
    let parsed = null;
    try {
      parsed = jsonPart ? JSON.parse(Buffer.from(jsonPart, 'latin1').toString('utf8')) : null;
    } catch {
      parsed = jsonPart ?? null;
    }
    return { multipart: true, body: redact(parsed), files, bytes: body.length };
  }
  const text = body.toString('utf8');
  try {
    return redact(JSON.parse(text));
  } catch {
    return text.length > 10_000 ? text.slice(0, 10_000) + '…' : text;
  }
}

/** @returns {unknown} */
function redact(/** @type {unknown} */ v) {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = REDACTED_KEYS.has(k.toLowerCase()) ? '[redacted]' : redact(x);
    return out;
  }
  return v;
}
