'use strict';
// const cache = require('fast-sharedmemory-mmap')({ name: 'prod_cache', maxKeys: 10000 });
const binding = require('./lib/binding');
const { Cache } = require('./lib/cache');
const { cacheOptions } = require('./lib/options');
const { argTypeError, argRangeError } = require('./lib/errors');

/**
 * Opens (creating on first use) the shared cache called options.name.
 * @param {object} options see README "Options"
 * @returns {Cache}
 */
function createCache(options) {
  const cache = new Cache(cacheOptions(options));
  const ref = new WeakRef(cache);
  openCaches.add(ref);
  forget.register(cache, ref);
  return cache;
}

// process.exit() skips N-API environment cleanup hooks, so a handle still open
// then would never run its close(), and the last user's exit would leave a
// persist:false segment's files in /dev/shm (segment.h P5). 'exit' is also
// emitted after an uncaught exception. close() is idempotent; the references
// are weak, so tracking keeps no cache alive.
const openCaches = new Set();
const forget = new FinalizationRegistry((ref) => openCaches.delete(ref));
process.on('exit', () => {
  for (const ref of openCaches) {
    const cache = ref.deref();
    if (cache) cache.close();
  }
  openCaches.clear();
});

/** Removes the named segment; processes still attached keep their mapping. */
function unlink(name) {
  if (typeof name !== 'string') throw argTypeError('name', 'a string', name);
  const why = binding.validateName(name);
  if (why) throw argRangeError('name', why, name);
  return binding.unlink(name);
}

module.exports = createCache;
module.exports.createCache = createCache;
module.exports.default = createCache;
module.exports.unlink = unlink;
module.exports.Cache = Cache;
