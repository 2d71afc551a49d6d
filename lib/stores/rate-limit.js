'use strict';
// A store for express-rate-limit (v7/v8 Store interface) backed by the shared
// cache: one counter per client for every process on the machine, so a limit
// of N is exact across cluster workers.
//
//   const { rateLimit } = require('express-rate-limit');
//   const { FastShmRateLimitStore } = require('fast-sharedmemory-mmap/rate-limit');
//   app.use(rateLimit({ windowMs: 60000, limit: 100, store: new FastShmRateLimitStore({ name: 'ratelimit' }) }));
//
// Contract: fixed windows. increment() is one atomic incr whose TTL (the
// window) is set only when it creates the counter, so the first hit opens the
// window and the counter disappears when it closes. Counters live under
// `prefix + key`. With evict "none" a full cache makes increment() throw
// ERR_SHM_FULL (express-rate-limit then fails the request unless
// passOnStoreError); evict: "lru" instead forgets the least recently used.
const { resolveCache, prefixOption } = require('./common');
const { ttl: ttlOption } = require('../options');
const { argRangeError } = require('../errors');

class FastShmRateLimitStore {
  #cache;
  #owned;
  #windowMs = 60000;

  /**
   * @param {object} options { cache } or factory options ({ name, maxKeys, evict, ... }),
   *   plus prefix (default "rl:"). The window comes from the middleware's windowMs (init).
   */
  constructor(options = {}) {
    const { cache, owned } = resolveCache(options, 'FastShmRateLimitStore');
    this.#cache = cache;
    this.#owned = owned;
    /** Prepended to every key (express-rate-limit reads it for its double-count check). */
    this.prefix = prefixOption(options, 'rl:');
    /** Counters are shared between processes. */
    this.localKeys = false;
  }

  get cache() { return this.#cache; }
  get windowMs() { return this.#windowMs; }

  init(options) {
    const w = options && options.windowMs !== undefined ? ttlOption('windowMs', options.windowMs) : 60000;
    if (w === 0) throw argRangeError('windowMs', 'must be at least 1 (ms)', w);
    this.#windowMs = w;
  }

  #info(key, hits) {
    const ttl = this.#cache.ttl(key);
    return { totalHits: hits, resetTime: ttl > 0 ? new Date(Date.now() + ttl) : undefined };
  }

  get(key) {
    const k = this.prefix + key;
    const v = this.#cache.get(k);
    if (v === undefined) return undefined;
    return this.#info(k, Number(v));
  }

  increment(key) {
    const k = this.prefix + key;
    const hits = this.#cache.incr(k, 1, { initial: 0, ttl: this.#windowMs });
    return this.#info(k, hits);
  }

  decrement(key) {
    const k = this.prefix + key;
    if (!this.#cache.has(k)) return;
    // The counter may expire between has() and decr(): decr then creates it
    // at -1 (with a fresh window); undo that so a later increment counts 1.
    if (this.#cache.decr(k, 1, { initial: 0, ttl: this.#windowMs }) < 0) this.#cache.incr(k, 1);
  }

  resetKey(key) {
    this.#cache.delete(this.prefix + key);
  }

  resetAll() {
    for (const k of this.#cache.keys({ prefix: this.prefix })) this.#cache.delete(k);
  }

  shutdown() {
    if (this.#owned) this.#cache.close();
  }
}

module.exports = FastShmRateLimitStore;
module.exports.FastShmRateLimitStore = FastShmRateLimitStore;
module.exports.default = FastShmRateLimitStore;
