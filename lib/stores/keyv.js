'use strict';
// A Keyv (v5) storage adapter backed by the shared cache.
//
//   const Keyv = require('keyv');
//   const { KeyvFastShm } = require('fast-sharedmemory-mmap/keyv');
//   const keyv = new Keyv({ store: new KeyvFastShm({ name: 'keyv', valueSize: 4096 }), namespace: 'users' });
//
// Contract: Keyv hands the adapter keys already prefixed "namespace:" and
// values already serialised (a string holding { value, expires }); the adapter
// stores them as they are, with Keyv's ttl (ms) as the entry's TTL so expired
// entries free their slot without Keyv reading them. clear() removes the keys
// of the current namespace, or the whole cache when there is none.
const { EventEmitter } = require('node:events');
const { resolveCache } = require('./common');

class KeyvFastShm extends EventEmitter {
  #cache;
  #owned;

  /** @param {object} options { cache } or factory options ({ name, maxKeys, valueSize, ... }) */
  constructor(options = {}) {
    super();
    const { cache, owned } = resolveCache(options, 'KeyvFastShm');
    this.#cache = cache;
    this.#owned = owned;
    /** Set by Keyv. */
    this.namespace = undefined;
    // Keyv reads opts.dialect/opts.url to decide whether it wraps iterator();
    // it only does so for its own dialects, so keyv.iterator stays undefined.
    this.opts = { name: cache.name, dialect: 'fast-sharedmemory-mmap', url: '' };
  }

  get cache() { return this.#cache; }

  async get(key) {
    const v = this.#cache.get(key);
    return v === undefined ? undefined : v;
  }

  async getMany(keys) {
    return keys.map((k) => this.#cache.get(k));
  }

  async set(key, value, ttl) {
    const v = typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value);
    const stored = this.#cache.set(key, v, typeof ttl === 'number' && ttl > 0 ? { ttl: Math.ceil(ttl) } : undefined);
    if (!stored) {
      const e = new Error(`Keyv store "${this.#cache.name}" is full (maxKeys ${this.#cache.maxKeys}); use a larger maxKeys or evict: "lru"`);
      e.code = 'ERR_SHM_FULL';
      throw e;
    }
    return true;
  }

  async delete(key) {
    return this.#cache.delete(key);
  }

  async deleteMany(keys) {
    let any = false;
    for (const k of keys) any = this.#cache.delete(k) || any;
    return any;
  }

  async has(key) {
    return this.#cache.has(key);
  }

  async clear() {
    if (this.namespace === undefined || this.namespace === '') {
      this.#cache.clear();
      return;
    }
    for (const k of this.#cache.keys({ prefix: `${this.namespace}:` })) this.#cache.delete(k);
  }

  /** Yields [key, value] for the namespace's keys (Keyv's iterator()). */
  async *iterator(namespace) {
    const prefix = namespace ? `${namespace}:` : undefined;
    for (const [k, v] of this.#cache.entries({ prefix })) yield [k, v];
  }

  async disconnect() {
    if (this.#owned) this.#cache.close();
  }
}

module.exports = KeyvFastShm;
module.exports.KeyvFastShm = KeyvFastShm;
module.exports.default = KeyvFastShm;
