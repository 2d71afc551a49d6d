'use strict';
// Key -> invalidation-epoch stripe (ctl keys e0..e255). FNV-1a over UTF-16 code
// units: the listener and the fillers hash the same JS strings, so they agree.
const STRIPES = 256;

function stripeOf(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (STRIPES - 1);
}

module.exports = { stripeOf, STRIPES };
