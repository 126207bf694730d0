// @ts-check
'use strict';
// Token references: what the store registry keeps instead of a token. A reference names where each
// worker finds the token at cycle time, so the token itself never reaches Redis:
//   env:NAME            the worker's environment variable NAME (upper case: A-Z, 0-9, _)
//   file:/abs/path      the whole file, trimmed (a secret mounted as a file)
//   file:/abs/path#KEY  the key KEY of a JSON object file, or the KEY=value line of a dotenv-style file

const { readFileSync } = require('node:fs');
const { isAbsolute } = require('node:path');
const { codedError } = require('../errors.cjs');

/**
 * @typedef {{ kind: 'env', name: string } | { kind: 'file', path: string, key: string | null }} TokenRef
 */

/**
 * Parses a token reference; anything else (a raw token above all) is refused.
 * @param {unknown} ref @returns {TokenRef}
 */
function parseTokenRef(ref) {
  const s = typeof ref === 'string' ? ref.trim() : '';
  let m = /^env:([A-Z_][A-Z0-9_]{0,127})$/.exec(s);
  if (m) return { kind: 'env', name: m[1] };
  m = /^file:([^#]+)(?:#([A-Za-z0-9_.-]{1,128}))?$/.exec(s);
  if (m && isAbsolute(m[1])) return { kind: 'file', path: m[1], key: m[2] ?? null };
  throw codedError('ConfigError', 'TokenRef',
    'a token reference is env:NAME (an upper-case environment variable), file:/absolute/path or file:/absolute/path#KEY; '
    + 'the token itself is never registered', { field: 'tokenRef' });
}

/**
 * The token a reference points to, read now (a rotated secret is picked up by the next cycle).
 * @param {string} ref
 * @param {{ env?: Record<string, string | undefined> }} [o]  env: where `env:` looks (default process.env)
 * @returns {string}
 */
function resolveToken(ref, o = {}) {
  const r = parseTokenRef(ref);
  /** @param {string} why */
  const missing = (why) => codedError('ConfigError', 'TokenMissing', `token reference ${ref}: ${why}`, { field: 'tokenRef' });
  if (r.kind === 'env') {
    const v = (o.env ?? process.env)[r.name];
    if (!v || !v.trim()) throw missing(`the environment variable ${r.name} is not set in this process`);
    return v.trim();
  }
  let body;
  try {
    body = readFileSync(r.path, 'utf8');
  } catch (err) {
    throw missing(`cannot read the file (${/** @type {any} */ (err).code ?? 'error'})`);
  }
  if (r.key === null) {
    const v = body.trim();
    if (!v) throw missing('the file is empty');
    return v;
  }
  /** @type {unknown} */
  let value;
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const obj = JSON.parse(trimmed);
      value = obj && typeof obj === 'object' ? obj[r.key] : undefined;
    } catch {
      throw missing('the file is not valid JSON');
    }
  } else {
    for (const line of body.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && m[1] === r.key) value = m[2].replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  if (typeof value !== 'string' || !value.trim()) throw missing(`no key ${r.key} in the file`);
  return value.trim();
}

module.exports = { parseTokenRef, resolveToken };
