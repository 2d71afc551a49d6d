'use strict';
// The two segments of a near cache, opened with the same geometry by every
// process and by the leader's listener thread.
const createCache = require('../..');

const GEN_PREFIX_BYTES = 24; // the generation tag: "\0" + up to 20 digits + ":" (22, core GenerationTag)

function openSegments(o) {
  const data = createCache({
    name: `${o.name}.near`, maxKeys: o.maxKeys, keySize: o.keySize + GEN_PREFIX_BYTES,
    valueSize: o.valueSize, evict: o.evict, mode: o.mode,
    stats: false, // the near cache counts its own hits and misses (index.js); skip the native per-call store
  });
  let ctl;
  try {
    ctl = createCache({ name: `${o.name}.near.ctl`, maxKeys: 1024, keySize: 16, valueSize: 32, mode: o.mode });
  } catch (err) {
    data.close();
    throw err;
  }
  return { data, ctl };
}

module.exports = { openSegments, GEN_PREFIX_BYTES };
