// @ts-check
'use strict';
// What keeps the dashboard to its own page: response headers (CSP without inline script, no framing,
// no sniffing), the Host check against DNS rebinding on a loopback bind, the same-origin check of every
// API call (Origin / Sec-Fetch-Site), JSON-only POSTs, and the access token when one is set.

const crypto = require('node:crypto');
const net = require('node:net');

/**
 * The page's Content-Security-Policy. Scripts only from this origin; the Wasm engine needs
 * 'wasm-unsafe-eval' (WebAssembly compilation), never 'unsafe-inline' or 'unsafe-eval'. Trusted Types are
 * enforced with no policy allowed, so even a stray `innerHTML = string` would throw instead of parsing.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers on every answer, page and API alike. */
const SECURITY_HEADERS = Object.freeze({
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
});

/** Whether a bind address only accepts connections from this machine. @param {string} host */
function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Whether a Host header names this machine (loopback name or address). Without an access token the
 * dashboard answers only to those: a page of another site whose DNS name was re-pointed at 127.0.0.1
 * (DNS rebinding) is same-origin for the browser, but its Host header still carries the foreign name.
 * @param {string | undefined} hostHeader
 */
function isLoopbackHostHeader(hostHeader) {
  if (!hostHeader) return false;
  let url;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return false;
  }
  return isLoopback(url.hostname);
}

/** Constant-time comparison of an offered token with the expected one. @param {string} offered @param {string} expected */
function sameToken(offered, expected) {
  const a = crypto.createHash('sha256').update(offered).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * Checks one API request. Returns null when it may proceed, else `{status, code, message}`.
 * @param {import('node:http').IncomingMessage} req
 * @param {{ accessToken?: string | null }} options
 * @returns {{ status: number, code: string, message: string } | null}
 */
function checkApiRequest(req, options) {
  const method = req.method ?? 'GET';
  const host = req.headers.host;
  // Same-origin only. Sec-Fetch-Site is set by every current browser; `none` is the user typing the
  // URL (harmless for a GET). Origin, when present, must be this very host.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && !(site === 'none' && method === 'GET')) {
    return { status: 403, code: 'CrossOrigin', message: `cross-origin request refused (Sec-Fetch-Site: ${site})` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) {
    return { status: 403, code: 'CrossOrigin', message: 'cross-origin request refused (Origin does not match this dashboard)' };
  }
  if (options.accessToken) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
    if (!m || !sameToken(m[1], options.accessToken)) {
      return { status: 401, code: 'AccessTokenRequired', message: 'this dashboard needs its access token' };
    }
  }
  if (method === 'POST') {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return { status: 415, code: 'JsonRequired', message: 'POST bodies must be application/json' };
    }
  }
  return null;
}

/**
 * Checks the Host header of any request (page or API).
 * @param {import('node:http').IncomingMessage} req
 * @param {{ accessToken?: string | null }} options
 */
function checkHost(req, options) {
  if (options.accessToken) return null;
  if (isLoopbackHostHeader(req.headers.host)) return null;
  return { status: 403, code: 'ForeignHost', message: 'this dashboard answers only to 127.0.0.1 / localhost (start it with --access-token to serve other names)' };
}

module.exports = { CSP, SECURITY_HEADERS, isLoopback, isLoopbackHostHeader, checkApiRequest, checkHost, sameToken };
