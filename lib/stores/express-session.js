'use strict';
// An express-session Store backed by the shared cache: every process on the
// machine (cluster workers, pm2 instances) sees the same sessions.
//
//   const session = require('express-session');
//   const { FastShmSessionStore } = require('fast-sharedmemory-mmap/express-session');
//   app.use(session({ store: new FastShmSessionStore({ name: 'sessions', maxKeys: 100000, valueSize: 2048 }), ... }));
//
// Contract: a session is stored as its JSON under `prefix + sid` with a TTL
// equal to the cookie's remaining lifetime (cookie.expires / maxAge), or
// options.ttl when the cookie is a browser-session cookie. A session whose JSON
// is larger than the cache's valueSize fails set() with ERR_SHM_VALUE_TOO_LARGE
// naming both sizes; a full cache (evict "none") fails it with ERR_SHM_FULL.
let Store;
try {
  ({ Store } = require('express-session'));
} catch (err) {
  const e = new Error('fast-sharedmemory-mmap/express-session needs the express-session package: npm install express-session');
  e.code = 'MODULE_NOT_FOUND';
  e.cause = err;
  throw e;
}
const { resolveCache, prefixOption } = require('./common');
const { argRangeError } = require('../errors');
const { ttl: ttlOption } = require('../options');

const DAY_MS = 86400000;

class FastShmSessionStore extends Store {
  #cache;
  #owned;
  #prefix;
  #ttl;

  /**
   * @param {object} options { cache } or factory options ({ name, maxKeys, valueSize, ... }),
   *   plus prefix (default "sess:") and ttl (ms, default one day) for cookies without maxAge.
   */
  constructor(options = {}) {
    super();
    const { cache, owned } = resolveCache(options, 'FastShmSessionStore');
    this.#cache = cache;
    this.#owned = owned;
    this.#prefix = prefixOption(options, 'sess:');
    this.#ttl = options.ttl === undefined ? DAY_MS : ttlOption('options.ttl', options.ttl);
    if (this.#ttl === 0) throw argRangeError('options.ttl', 'must be at least 1 (ms)', 0);
  }

  get cache() { return this.#cache; }

  // Remaining lifetime in ms (<= 0: already expired).
  #ttlOf(sess) {
    const cookie = sess && sess.cookie;
    if (cookie) {
      if (cookie.expires) return new Date(cookie.expires).getTime() - Date.now();
      if (typeof cookie.maxAge === 'number') return cookie.maxAge;
    }
    return this.#ttl;
  }

  get(sid, cb) {
    let sess = null;
    try {
      const raw = this.#cache.get(this.#prefix + sid);
      if (raw !== undefined) sess = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
    } catch (err) {
      return cb(err);
    }
    cb(null, sess);
  }

  set(sid, sess, cb = () => {}) {
    const key = this.#prefix + sid;
    const ttl = Math.ceil(this.#ttlOf(sess));
    try {
      if (ttl <= 0) {
        this.#cache.delete(key);
        return cb(null);
      }
      const json = JSON.stringify(sess);
      let stored;
      try {
        stored = this.#cache.set(key, json, { ttl });
      } catch (err) {
        if (err.code !== 'ERR_SHM_VALUE_TOO_LARGE') throw err;
        const e = new RangeError(
          `session ${sid} is ${Buffer.byteLength(json)} bytes of JSON, larger than the cache's valueSize ` +
            `(${this.#cache.stats().valueSize} bytes): open the session cache with a larger valueSize or keep less in the session`,
        );
        e.code = 'ERR_SHM_VALUE_TOO_LARGE';
        e.bytes = Buffer.byteLength(json);
        e.limit = this.#cache.stats().valueSize;
        throw e;
      }
      if (!stored) {
        const e = new Error(`session store "${this.#cache.name}" is full (maxKeys ${this.#cache.maxKeys}); use a larger maxKeys or evict: "lru"`);
        e.code = 'ERR_SHM_FULL';
        throw e;
      }
    } catch (err) {
      return cb(err);
    }
    cb(null);
  }

  destroy(sid, cb = () => {}) {
    try {
      this.#cache.delete(this.#prefix + sid);
    } catch (err) {
      return cb(err);
    }
    cb(null);
  }

  /** Extends the TTL to the cookie's new lifetime (express-session calls it for resave:false). */
  touch(sid, sess, cb = () => {}) {
    try {
      const ttl = Math.ceil(this.#ttlOf(sess));
      if (ttl <= 0) this.#cache.delete(this.#prefix + sid);
      else this.#cache.expire(this.#prefix + sid, ttl);
    } catch (err) {
      return cb(err);
    }
    cb(null);
  }

  /** Number of live sessions (walks the prefix: O(maxKeys)). */
  length(cb) {
    let n;
    try {
      n = this.#cache.keys({ prefix: this.#prefix }).length;
    } catch (err) {
      return cb(err);
    }
    cb(null, n);
  }

  /** Removes every session under the prefix (other keys in the cache stay). */
  clear(cb = () => {}) {
    try {
      for (const k of this.#cache.keys({ prefix: this.#prefix })) this.#cache.delete(k);
    } catch (err) {
      return cb(err);
    }
    cb(null);
  }

  /** Every live session as { [sid]: session } (like express-session's MemoryStore). */
  all(cb) {
    const out = {};
    try {
      for (const [k, v] of this.#cache.entries({ prefix: this.#prefix })) {
        out[k.slice(this.#prefix.length)] = JSON.parse(typeof v === 'string' ? v : Buffer.from(v).toString('utf8'));
      }
    } catch (err) {
      return cb(err);
    }
    cb(null, out);
  }

  /** Closes the cache if this store opened it. */
  close() {
    if (this.#owned) this.#cache.close();
  }
}

module.exports = FastShmSessionStore;
module.exports.FastShmSessionStore = FastShmSessionStore;
module.exports.default = FastShmSessionStore;
