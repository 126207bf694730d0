// @ts-check
// One error type for every refused request, so the HTTP layer turns each into the same
// RFC 7807 problem+json shape Shoppingfeed uses (§1.5).

const TITLES = /** @type {Record<number, string>} */ ({
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
});

export class ProblemError extends Error {
  /**
   * @param {number} status
   * @param {string} detail
   * @param {Record<string, unknown>} [extra] extension members (e.g. `invalidParams`)
   * @param {Record<string, string>} [headers]
   */
  constructor(status, detail, extra, headers) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.detail = detail;
    this.extra = extra ?? {};
    this.headers = headers ?? {};
  }
}

/** A 400 that names the offending field, in `detail` and in `invalidParams`. */
export function invalid(/** @type {string} */ field, /** @type {string} */ reason) {
  return new ProblemError(400, `${field}: ${reason}`, { invalidParams: [{ name: field, reason }] });
}

/** The problem document for a status. */
export function problemBody(/** @type {number} */ status, /** @type {string} */ detail, /** @type {Record<string, unknown>} */ extra = {}) {
  return {
    type: 'http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
}
