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
  return new Cache(cacheOptions(options));
}

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
