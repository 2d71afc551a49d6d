// Options shared by the stores (lib/stores/common.js).
import createCache = require('../..');

/** Either an open cache, or the factory options to open one (the store then closes it). */
export type StoreCacheOptions =
  | { cache: createCache.Cache; name?: never }
  | (createCache.CacheOptions & { cache?: never });
