// @ts-check
// Minimal multipart/form-data reader for upload-documents (§5.9); enough for what fetch/FormData,
// curl and Guzzle send, with no dependency.

import { invalid } from './errors.js';

/**
 * @typedef {object} Part
 * @property {string} name
 * @property {string|null} filename
 * @property {string|null} contentType
 * @property {Buffer} data
 */

/**
 * @param {string|undefined} contentType
 * @param {Buffer} body
 * @returns {Part[]}
 */
export function parseMultipart(contentType, body) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!contentType || !/^multipart\/form-data/i.test(contentType) || !m) {
    throw invalid('Content-Type', 'must be multipart/form-data with a boundary');
  }
  const boundary = Buffer.from(`--${(m[1] ?? m[2]).trim()}`);
  /** @type {Part[]} */
  const parts = [];
  let pos = body.indexOf(boundary);
  if (pos < 0) throw invalid('body', 'multipart body has no part');
  for (;;) {
    pos += boundary.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    if (body.subarray(pos, pos + 2).toString() === '\r\n') pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw invalid('body', 'malformed multipart part headers');
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next < 0) throw invalid('body', 'multipart body is not terminated');
    // Part data ends with the CRLF that precedes the next boundary.
    const data = body.subarray(headerEnd + 4, next - 2);
    const disp = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
    if (name === undefined) throw invalid('body', 'multipart part without a name');
    const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1] ?? null;
    const ct = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1].trim() ?? null;
    parts.push({ name, filename, contentType: ct, data });
    pos = next;
  }
  return parts;
}
