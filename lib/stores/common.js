'use strict';
// Shared by the stores: each takes either an open cache ({ cache }) or the
// factory options to open one ({ name, maxKeys, ... }), and a key prefix.
const { argTypeError } = require('../errors');

const STORE_KEYS = new Set(['cache', 'prefix', 'ttl', 'windowMs']);

/** Returns { cache, owned }: owned caches are closed by the store's close(). */
function resolveCache(options, storeName) {
  if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options);
  if (options.cache !== undefined) {
    const c = options.cache;
    if (c === null || typeof c !== 'object' || typeof c.get !== 'function' || typeof c.incr !== 'function') {
      throw argTypeError('options.cache', 'a cache from require("fast-sharedmemory-mmap")(...)', c);
    }
    return { cache: c, owned: false };
  }
  if (typeof options.name !== 'string') {
    throw argTypeError('options.name', `a string (or pass options.cache) for ${storeName}`, options.name);
  }
  const factory = {};
  for (const [k, v] of Object.entries(options)) if (!STORE_KEYS.has(k)) factory[k] = v;
  return { cache: require('../..')(factory), owned: true };
}

function prefixOption(options, fallback) {
  const p = options.prefix === undefined ? fallback : options.prefix;
  if (typeof p !== 'string') throw argTypeError('options.prefix', 'a string', p);
  return p;
}

module.exports = { resolveCache, prefixOption };
