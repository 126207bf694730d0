// @ts-check
// Sandbox time: the clock that drives imports and tickets, and the date formats the API speaks.
// Shoppingfeed is a French service and emits Europe/Paris offsets (+01:00 / +02:00), so the
// sandbox does the same; naive date-times in filters are read as Paris local time.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** @type {Map<number, [number, number]>} */
const dstCache = new Map();

/** Start and end (UTC ms) of EU summer time for a year: last Sundays of March and October, 01:00 UTC. */
function dstBounds(/** @type {number} */ year) {
  let b = dstCache.get(year);
  if (!b) {
    b = [lastSundayUtc(year, 2), lastSundayUtc(year, 9)];
    dstCache.set(year, b);
  }
  return b;
}

function lastSundayUtc(/** @type {number} */ year, /** @type {number} */ month) {
  const last = new Date(Date.UTC(year, month + 1, 0, 1));
  return last.getTime() - last.getUTCDay() * DAY;
}

/** Europe/Paris UTC offset in minutes at a UTC instant. */
export function parisOffset(/** @type {number} */ ms) {
  const year = new Date(ms).getUTCFullYear();
  const [start, end] = dstBounds(year);
  return ms >= start && ms < end ? 120 : 60;
}

const p2 = (/** @type {number} */ n) => (n < 10 ? '0' + n : '' + n);

/** Paris wall-clock parts of an instant. */
function parisParts(/** @type {number} */ ms) {
  const off = parisOffset(ms);
  const d = new Date(ms + off * MINUTE);
  const date = `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return { date, time, off };
}

/** ISO 8601 with the Paris offset, second precision, as in the fixtures: `2024-08-26T14:19:19+02:00`. */
export function formatIso(/** @type {number} */ ms) {
  const { date, time, off } = parisParts(ms);
  return `${date}T${time}+${p2(off / 60)}:00`;
}

/**
 * The non-ISO form Amazon orders carry for `latestShipDate`: `2024-08-29 21:59:59`, in UTC. Amazon gives
 * ship-by dates in UTC and the fixture's 21:59:59 is end of day in Paris (23:59:59 CEST) written in UTC,
 * so the offset was dropped, not the time zone changed.
 */
export function formatSpaced(/** @type {number} */ ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** @type {Record<string, number>} minutes east of UTC */
const ZONE_ABBREVIATIONS = {
  Z: 0, UTC: 0, GMT: 0, UT: 0, WET: 0, WEST: 60, BST: 60, IST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120,
  EET: 120, EEST: 180, MSK: 180, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360,
  PST: -480, PDT: -420,
};

const DATE_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(.*)$/;
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(.*)$/;

/**
 * Reads the date-time forms clients really send, or returns null.
 * Accepted: ISO 8601 with `Z`/`±HH:MM`/`±HHMM`/`±HH`; the same with the `+` decoded to a space
 * (an unencoded `+` in a query string); a naive date-time (Paris local); a date alone (Paris midnight);
 * `T` or a space between date and time; PrestaShop's `2025-01-15CET10:00:00` (PHP `T` = zone
 * abbreviation in place of the ISO `T`); a trailing zone abbreviation; epoch seconds or milliseconds.
 * @param {string} input
 * @returns {number|null} UTC ms
 */
export function parseLenientDate(input) {
  const s = String(input).trim();
  if (s === '') return null;
  if (/^\d{9,10}$/.test(s)) return Number(s) * 1000;
  if (/^\d{12,13}$/.test(s)) return Number(s);
  const dm = DATE_RE.exec(s);
  if (!dm) return null;
  const [year, month, day] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  let rest = dm[4];
  let hour = 0, minute = 0, second = 0, millis = 0;
  /** @type {number|null} */
  let offset = null;
  if (rest !== '') {
    const sep = /^(T|t|\s+|[A-Za-z]{1,5})(?=\d)/.exec(rest);
    if (!sep) return null;
    const word = sep[1].toUpperCase();
    if (word !== 'T' && word.trim() !== '') {
      if (!(word in ZONE_ABBREVIATIONS)) return null;
      offset = ZONE_ABBREVIATIONS[word];
    }
    rest = rest.slice(sep[1].length);
    const tm = TIME_RE.exec(rest);
    if (!tm) return null;
    hour = Number(tm[1]);
    minute = Number(tm[2]);
    second = tm[3] ? Number(tm[3]) : 0;
    millis = tm[4] ? Math.round(Number('0.' + tm[4]) * 1000) : 0;
    if (hour > 23 || minute > 59 || second > 60) return null;
    const zone = tm[5].trim() === '' ? '' : tm[5];
    if (zone !== '') {
      const z = parseZone(zone);
      if (z === null) return null;
      offset = z;
    }
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (Number.isNaN(wall)) return null;
  if (offset !== null) return wall - offset * MINUTE;
  return parisWallToUtc(wall);
}

/**
 * A `latestShipDate` as a scenario gives it. A zone-less date-time is UTC, as Amazon writes it and the
 * engine reads it (`2024-08-29 21:59:59` is 23:59:59 in Paris, see `formatSpaced`); any other form is read
 * by `parseLenientDate`. Without this a scenario's Amazon-style date was read as Paris time, two hours
 * (one in winter) away from what the engine reads in the order the sandbox then serves.
 * @param {string} input
 * @returns {number|null} UTC ms
 */
export function parseShipByDate(input) {
  const s = String(input).trim();
  if (/^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/.test(s)) return parseLenientDate(`${s.replace(' ', 'T')}Z`);
  return parseLenientDate(s);
}

/** @returns {number|null} minutes east of UTC */
function parseZone(/** @type {string} */ zone) {
  const trimmed = zone.trim().toUpperCase();
  if (trimmed in ZONE_ABBREVIATIONS) return ZONE_ABBREVIATIONS[trimmed];
  // A leading space stands for a `+` that the query-string decoding turned into a space.
  const t = zone.trim();
  const m = /^([+\- ])(\d{2})(?::?(\d{2}))?$/.exec(/^\d/.test(t) && zone.startsWith(' ') ? ' ' + t : t);
  if (!m) return null;
  const sign = m[1] === '-' ? -1 : 1;
  const mins = Number(m[2]) * 60 + (m[3] ? Number(m[3]) : 0);
  if (mins > 14 * 60) return null;
  return sign * mins;
}

/** Converts a Paris wall-clock time (encoded as if UTC) to the UTC instant. */
export function parisWallToUtc(/** @type {number} */ wall) {
  const guess = wall - parisOffset(wall - HOUR) * MINUTE;
  return wall - parisOffset(guess) * MINUTE;
}

/**
 * The sandbox clock. `real` follows the wall clock (plus whatever was advanced);
 * `manual` stands still until advanced, so tests decide when tickets and imports happen.
 */
export class Clock {
  /**
   * @param {'real'|'manual'} mode
   * @param {number} startMs sandbox time at creation
   */
  constructor(mode, startMs) {
    this.mode = mode;
    this.startMs = startMs;
    /** @private */
    this.offset = 0;
    /** @private */
    this.realStart = Date.now();
  }

  /** Current sandbox time (UTC ms). */
  now() {
    if (this.mode === 'manual') return this.startMs + this.offset;
    return this.startMs + (Date.now() - this.realStart) + this.offset;
  }

  /** Moves sandbox time forward; time never goes back, so a tick or ticket cannot be undone. */
  advance(/** @type {number} */ ms) {
    if (!(ms >= 0)) throw new RangeError('the sandbox clock only moves forward');
    this.offset += ms;
  }

  /** Back to the start time (used by reset). */
  rewind() {
    this.offset = 0;
    this.realStart = Date.now();
  }
}
