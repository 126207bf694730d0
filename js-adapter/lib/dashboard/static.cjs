// @ts-check
'use strict';
// The page's files: only known extensions, only under the www directory, no dotfiles, no listing.
// Compressed once per file version (gzip, and brotli when the browser offers it) and kept in memory;
// ETag + `no-cache` so a rebuilt engine is picked up on the next load.

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
});

/** Types worth compressing. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.wasm', '.svg', '.txt']);

/**
 * @typedef {object} Cached
 * @property {string} key  size + mtime
 * @property {string} etag
 * @property {Buffer} raw
 * @property {Buffer | null} gzip
 * @property {Buffer | null} br
 */

/** @param {number} size */
const brotliOptions = (size) => ({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size } });

/**
 * Picks the encoding to send.
 * @param {string | undefined} accept
 * @returns {'br' | 'gzip' | null}
 */
function pickEncoding(accept) {
  const a = String(accept ?? '').toLowerCase();
  /** @param {string} name */
  const offered = (name) => a.split(',').some((part) => {
    const [token, ...params] = part.trim().split(';');
    if (token.trim() !== name) return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
  if (offered('br')) return 'br';
  if (offered('gzip')) return 'gzip';
  return null;
}

/**
 * A static handler over `root`.
 * @param {string} root
 * @param {{ transform?: (file: string, raw: Buffer) => Buffer }} [options]  rewrites a file once per version
 */
function staticFiles(root, options = {}) {
  const base = path.resolve(root);
  /** @type {Map<string, Cached>} */
  const cache = new Map();

  /** @param {string} urlPath @returns {string | null} */
  function resolve(urlPath) {
    let decoded;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    if (rel.split('/').some((seg) => seg.startsWith('.'))) return null;
    const file = path.resolve(base, rel);
    if (!file.startsWith(base + path.sep)) return null;
    if (!Object.hasOwn(TYPES, path.extname(file))) return null;
    return file;
  }

  /** @param {string} file @returns {Cached | null} */
  function load(file) {
    let st;
    try {
      st = fs.statSync(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const key = `${st.size}-${st.mtimeMs}`;
    const hit = cache.get(file);
    if (hit && hit.key === key) return hit;
    const raw = options.transform ? options.transform(file, fs.readFileSync(file)) : fs.readFileSync(file);
    const etag = `"${require('node:crypto').createHash('sha1').update(raw).digest('base64url').slice(0, 20)}"`;
    const entry = { key, etag, raw, gzip: null, br: null };
    cache.set(file, entry);
    return entry;
  }

  /**
   * Serves `urlPath`; returns false when there is no such file (the caller answers 404).
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} urlPath
   * @param {Record<string, string>} headers  security headers
   */
  function serve(req, res, urlPath, headers) {
    const file = resolve(urlPath);
    if (!file) return false;
    const entry = load(file);
    if (!entry) return false;
    const ext = path.extname(file);
    /** @type {Record<string, string | number>} */
    const h = {
      ...headers,
      'Content-Type': TYPES[/** @type {keyof typeof TYPES} */ (ext)],
      'Cache-Control': 'no-cache',
      ETag: entry.etag,
      Vary: 'Accept-Encoding',
    };
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, h);
      res.end();
      return true;
    }
    let body = entry.raw;
    const enc = COMPRESSIBLE.has(ext) ? pickEncoding(/** @type {string | undefined} */ (req.headers['accept-encoding'])) : null;
    if (enc === 'br') {
      entry.br ??= zlib.brotliCompressSync(entry.raw, brotliOptions(entry.raw.length));
      body = entry.br;
      h['Content-Encoding'] = 'br';
    } else if (enc === 'gzip') {
      entry.gzip ??= zlib.gzipSync(entry.raw, { level: 9 });
      body = entry.gzip;
      h['Content-Encoding'] = 'gzip';
    }
    h['Content-Length'] = body.length;
    res.writeHead(200, h);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /**
   * Compresses every servable file up front (brotli and gzip, in the thread pool), so the first page
   * load does not wait for the Wasm to be compressed.
   */
  async function warm() {
    /** @type {string[]} */
    const files = [];
    for (const rel of fs.readdirSync(base, { recursive: true }).map(String)) {
      const file = path.join(base, rel);
      if (COMPRESSIBLE.has(path.extname(file)) && resolve(`/${rel.split(path.sep).join('/')}`) === file) files.push(file);
    }
    await Promise.all(files.map(async (file) => {
      const entry = load(file);
      if (!entry) return;
      const [gz, br] = await Promise.all([
        entry.gzip ?? new Promise((ok, fail) => zlib.gzip(entry.raw, { level: 9 }, (err, out) => (err ? fail(err) : ok(out)))),
        entry.br ?? new Promise((ok, fail) => zlib.brotliCompress(entry.raw, brotliOptions(entry.raw.length), (err, out) => (err ? fail(err) : ok(out)))),
      ]);
      entry.gzip ??= /** @type {Buffer} */ (gz);
      entry.br ??= /** @type {Buffer} */ (br);
    }));
  }

  return { serve, resolve, warm };
}

module.exports = { staticFiles, pickEncoding, TYPES };
