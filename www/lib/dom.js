// DOM helpers. Every string from the server (marketplace data, error texts) enters the page as a Text
// node or an attribute value through these helpers: nothing here parses HTML, and the page's CSP
// enforces Trusted Types with no policy, so an accidental HTML sink assignment would throw, not render.

/**
 * Creates an element. `props`: attributes (strings), `class`, `on: {event: fn}`, `dataset`; children:
 * nodes or strings (strings become text), arrays flattened, null/false skipped.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv != null) el.dataset[dk] = String(dv); }
    else if (/^on/i.test(k)) throw new Error(`inline handler ${k} refused`);
    else if (k === 'value' && 'value' in el) /** @type {any} */ (el).value = String(v);
    else if (k === 'checked' || k === 'selected' || k === 'disabled') /** @type {any} */ (el)[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (text for strings). @param {Node} el @param {any[]} children */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's content. @param {Element} el @param {...any} children */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * An absolute http(s) URL, or null: the only URLs the page turns into links (tracking URLs are
 * validated by the engine before they are recorded; this is the page's own second check).
 * @param {unknown} value
 */
export function safeHttpUrl(value) {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** A timestamp for people, or '—'. @param {string | null | undefined} iso @param {boolean} [seconds] */
export function when(iso, seconds = false) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return (seconds ? dateTimeSeconds : dateTime).format(t);
}

/** A <time> element. @param {string | null | undefined} iso @param {boolean} [seconds] */
export function time(iso, seconds = false) {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? document.createTextNode(when(iso, seconds)) : h('time', { datetime: new Date(t).toISOString() }, when(iso, seconds));
}

/** "2 d 4 h", "5 h 12 min", "12 min", "< 1 min". @param {number} seconds */
export function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${hh} h`;
  if (hh > 0) return `${hh} h ${m} min`;
  if (m > 0) return `${m} min`;
  return '< 1 min';
}

/** Deadline text from the engine's verdict. @param {{state: string, secondsLeft: number | null}} d */
export function deadlineText(d) {
  switch (d.state) {
    case 'on_time':
      return `${duration(d.secondsLeft ?? 0)} left`;
    case 'at_risk':
      // No time left known: the marketplace's ship-by date could not be read.
      return d.secondsLeft == null ? 'at risk · ship-by date unreadable' : `at risk · ${duration(d.secondsLeft)} left`;
    case 'overdue':
      return `overdue by ${duration(d.secondsLeft ?? 0)}`;
    default:
      return '—';
  }
}

/** An amount in its currency (the marketplace's code; shown as sent when Intl does not know it). @param {unknown} amount @param {unknown} currency */
export function money(amount, currency) {
  const n = Number(amount);
  if (!Number.isFinite(n)) return '—';
  const code = String(currency ?? '');
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(n);
  } catch {
    return `${n.toFixed(2)} ${code}`.trim();
  }
}

const number = new Intl.NumberFormat();
/** @param {number} n */
export const count = (n) => number.format(n);

/** Human label of a Shoppingfeed status. @param {string} status */
export function statusLabel(status) {
  return String(status ?? '').replace(/_/g, ' ') || 'unknown';
}

/** A channel's name, or what to show when the order could not be read. @param {{name?: string} | null | undefined} channel */
export function channelName(channel) {
  return channel?.name || 'Unknown channel';
}
