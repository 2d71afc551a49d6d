'use strict';
// The public cache class. It holds one native handle (src/node/cache_wrap.cc)
// and turns option objects into the positional arguments the handle takes.
// Hot paths (get/has/set without options) add one property load and a call.
const binding = require('./binding');
const options = require('./options');
const { fullError } = require('./errors');

const FILL_RESULTS = ['ok', 'stale', 'full'];
const SET = 0;
const ADD = 1;
const REPLACE = 2;

class Cache {
  #native;
  // Functions bound to the native handle (no unwrap per call; src/node/cache_wrap.cc).
  #get;
  #has;
  #set;
  #delete;
  #incr;
  #ttlOf;
  #cas;
  #expire;
  #ttl;
  #name;
  #maxKeys;

  /** @param {object} opts normalised by options.cacheOptions */
  constructor(opts) {
    this.#native = new binding.NativeCache(
      opts.name, opts.maxKeys, opts.keySize, opts.valueSize, opts.evict, opts.persist, opts.mode, !opts.create, opts.observe,
    );
    const fast = this.#native.fastMethods();
    this.#get = fast.get;
    this.#has = fast.has;
    this.#set = fast.set;
    this.#delete = fast.delete;
    this.#incr = fast.incr;
    this.#ttlOf = fast.ttl;
    this.#cas = fast.cas;
    this.#expire = fast.expire;
    if (!opts.stats) this.#native.setCounting(false);
    this.#ttl = opts.ttl;
    this.#name = opts.name;
    this.#maxKeys = this.#native.info().maxKeys;
  }

  get name() { return this.#name; }
  get maxKeys() { return this.#maxKeys; }

  get(key) { return this.#get(key); }
  has(key) { return this.#has(key); }
  ttl(key) { return this.#ttlOf(key); }

  set(key, value, opts) {
    return this.#set(key, value, opts === undefined ? this.#ttl : options.writeTtl(opts, this.#ttl), SET);
  }
  add(key, value, opts) { return this.#set(key, value, options.writeTtl(opts, this.#ttl), ADD); }
  replace(key, value, opts) { return this.#set(key, value, options.writeTtl(opts, this.#ttl), REPLACE); }
  cas(key, expected, value, opts) { return this.#cas(key, expected, value, options.writeTtl(opts, this.#ttl)); }

  incr(key, delta = 1, opts) {
    options.safeInteger('delta', delta);
    let initial = 0;
    let ttl = this.#ttl;
    if (opts !== undefined) {
      if (opts === null || typeof opts !== 'object') throw require('./errors').argTypeError('options', 'an object', opts);
      if (opts.initial !== undefined) initial = options.safeInteger('options.initial', opts.initial);
      if (opts.ttl !== undefined) ttl = options.ttl('options.ttl', opts.ttl);
    }
    const result = this.#incr(key, delta, initial, ttl);
    if (result === null) throw fullError(this.#name, this.#maxKeys);
    return result;
  }
  decr(key, delta = 1, opts) {
    options.safeInteger('delta', delta);
    return this.incr(key, -delta, opts);
  }

  expire(key, ttl) { return this.#expire(key, options.ttl('ttl', ttl)); }
  delete(key) { return this.#delete(key); }
  clear() { this.#native.clear(); }
  purgeExpired() { return this.#native.purgeExpired(); }

  keys(opts) {
    const { prefix, limit } = options.listOptions(opts);
    return this.#native.list(prefix, limit, false);
  }
  entries(opts) {
    const { prefix, limit } = options.listOptions(opts);
    return this.#native.list(prefix, limit, true);
  }

  stats() {
    const s = this.#native.stats();
    return {
      capacity: s.capacity, size: s.size, keySize: s.keySize, valueSize: s.valueSize,
      hits: s.hits, misses: s.misses, sets: s.sets, deletes: s.deletes,
      evictions: s.evictions, expired: s.expired, recoveries: s.recoveries, maxProbe: s.maxProbe,
      slotCount: s.slotCount, regionBytes: s.regionBytes,
    };
  }

  /** Unmaps the segment; idempotent. Later calls throw ERR_SHM_CLOSED. */
  close() { this.#native.close(); }

  /** Test support: "" if the table's invariants hold (docs/DESIGN.md), else the first violation. */
  checkInvariants() { return this.#native.checkInvariants(); }

  // The segment's trust window (src/core/layout.h N1-N6) for lib/near; not public API.
  static trustWindowOf(cache) {
    const n = cache.#native;
    return {
      getTrusted: n.fastMethods().getTrusted, // (key) -> value | undefined (miss) | null (no window)
      clockMs: () => n.clockMs(),
      goLive: (untilMs) => n.trustGoLive(untilMs),
      renew: (generation, untilMs) => n.trustRenew(generation, untilMs),
      flush: () => n.trustFlush(),
      state: () => n.trustState(), // { generation, untilMs, trustedGeneration }
      trustedGeneration: () => n.trustState().trustedGeneration,
      epochOf: (key) => n.trustEpoch(key), // the key's stripe epoch: a fill's snapshot (N5)
      // Guarded fill (N5) -> 'ok' | 'stale' (generation or epoch moved: refused) | 'full'
      fill: (key, value, ttlMs, generation, epoch) => FILL_RESULTS[n.putTrusted(key, value, ttlMs, generation, epoch)],
      invalidate: (key) => n.invalidateTrusted(key), // epoch++ and delete, one step (N5)
      // Removes entries of generations below `below` in a span of slots (N7) ->
      // { removed, cursor, epoch, disturbed }; pass each span the epoch the previous one returned.
      purge: (below, cursor, maxSlots, epoch) => n.purgeGenerations(below, cursor, maxSlots, epoch),
    };
  }
}

module.exports = { Cache, trustWindowOf: (cache) => Cache.trustWindowOf(cache) };
