// @ts-check
// Deterministic randomness. Every generated value goes through here so that a seed
// reproduces the same orders on every machine; Math.random is never used.

/**
 * Mixes any number of integers or strings into one 32-bit seed (murmur3 finaliser).
 * Used to give each order its own stream, so order N is the same whatever was asked before it.
 * @param {...(number|string)} parts
 * @returns {number}
 */
export function hash32(...parts) {
  let h = 0x9e3779b9;
  for (const part of parts) {
    if (typeof part === 'number') {
      h = mix(h ^ (part >>> 0));
      // Numbers above 2^32 (order ids) must not collide on their low bits alone.
      h = mix(h ^ Math.floor(part / 4294967296));
    } else {
      for (let i = 0; i < part.length; i++) h = mix(h ^ part.charCodeAt(i));
    }
  }
  return h >>> 0;
}

/** @param {number} h */
function mix(h) {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Normalises a user seed (number or string) to a 32-bit integer. */
export function seedFrom(/** @type {number|string|undefined} */ seed) {
  if (seed === undefined || seed === null || seed === '') return 1;
  if (typeof seed === 'number' && Number.isFinite(seed)) return hash32(Math.trunc(seed));
  return hash32(String(seed));
}

/** Small fast PRNG (mulberry32) with the helpers the generators need. */
export class Rng {
  /** @param {number} seed */
  constructor(seed) {
    /** @private */
    this.state = seed >>> 0;
  }

  /** @returns {number} float in [0, 1) */
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(/** @type {number} */ min, /** @type {number} */ max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** @param {number} p */
  chance(p) {
    return this.next() < p;
  }

  /**
   * @template T
   * @param {readonly T[]} list
   * @returns {T}
   */
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }

  /**
   * Picks from `[value, weight]` pairs.
   * @template T
   * @param {readonly (readonly [T, number])[]} pairs
   * @returns {T}
   */
  weighted(pairs) {
    let total = 0;
    for (const [, w] of pairs) total += w;
    let r = this.next() * total;
    for (const [v, w] of pairs) {
      r -= w;
      if (r < 0) return v;
    }
    return pairs[pairs.length - 1][0];
  }

  /** String of `n` characters drawn from `alphabet`. */
  chars(/** @type {number} */ n, alphabet = '0123456789') {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  /** Lowercase hex string of `n` characters. */
  hex(/** @type {number} */ n) {
    return this.chars(n, '0123456789abcdef');
  }
}
