'use strict';
// Small generic helpers for the core tests: a seeded PRNG (reproducible
// random workloads), an independent FNV-1a reference, self-checking values
// (a torn read cannot pass verify()), and colliding-key search.

/** mulberry32: a tiny seeded PRNG; returns () => float in [0, 1). Same seed, same sequence. */
function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n) from a prng(). */
function randInt(rand, n) {
  return Math.floor(rand() * n);
}

/** Reference FNV-1a 32 over bytes (Buffer/Uint8Array or a string taken as UTF-8), written from the spec. */
function fnv1a32(input) {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** payload + ':' + 8 hex digits of fnv1a32(payload). */
function sealed(payload) {
  return `${payload}:${fnv1a32(payload).toString(16).padStart(8, '0')}`;
}

/** true if v is a string produced by sealed() (whole, not torn or mixed). */
function verify(v) {
  if (typeof v !== 'string') return false;
  const i = v.lastIndexOf(':');
  if (i < 0 || v.length - i !== 9) return false;
  return sealed(v.slice(0, i)) === v;
}

/**
 * Keys whose home slot (fnv1a32(key) % slotCount) equals home: `count` of them,
 * built as prefix + n for n = 0, 1, 2, ...
 */
function keysWithHome(slotCount, home, count, prefix = 'c') {
  const out = [];
  for (let n = 0; out.length < count; n++) {
    if (n > 10_000_000) throw new Error(`no ${count} keys with home ${home} of ${slotCount}`);
    const k = prefix + n;
    if (fnv1a32(k) % slotCount === home) out.push(k);
  }
  return out;
}

/** Sorted copy (for order-free comparisons of keys()). */
function sorted(a) {
  return [...a].sort();
}

module.exports = { prng, randInt, fnv1a32, sealed, verify, keysWithHome, sorted };
