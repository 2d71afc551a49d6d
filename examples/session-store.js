'use strict';
// Sessions with a TTL, stored as JSON, visible to every process on the host.
// Sliding expiry: each read that finds a session extends it with expire().
//
//   node examples/session-store.js
const { randomUUID } = require('node:crypto');
const createCache = require('fast-sharedmemory-mmap');

class SessionStore {
  /** @param {{ name: string, ttlMs: number, maxSessions?: number }} options */
  constructor({ name, ttlMs, maxSessions = 10000 }) {
    // A UUID key is 36 bytes, plus the 'sess:' prefix; JSON values up to 1 KiB.
    this.cache = createCache({ name, maxKeys: maxSessions, keySize: 48, valueSize: 1024, ttl: ttlMs });
    this.ttlMs = ttlMs;
  }

  create(data) {
    const id = randomUUID();
    // add() never overwrites: a colliding id would return false. The cache's
    // default ttl (ttlMs) applies because no { ttl } is given.
    if (!this.cache.add(`sess:${id}`, JSON.stringify(data))) throw new Error('session id collision');
    return id;
  }

  get(id) {
    const json = this.cache.get(`sess:${id}`);
    if (json === undefined) return undefined; // never existed, destroyed or expired
    this.cache.expire(`sess:${id}`, this.ttlMs); // sliding expiry
    return JSON.parse(json);
  }

  save(id, data) {
    // replace() only updates a live session: an expired one stays gone.
    return this.cache.replace(`sess:${id}`, JSON.stringify(data));
  }

  destroy(id) {
    return this.cache.delete(`sess:${id}`);
  }

  close() {
    this.cache.close();
  }
}

const store = new SessionStore({ name: `example-sessions-${process.pid}`, ttlMs: 200 });

const alice = store.create({ user: 'alice', cart: [] });
const bob = store.create({ user: 'bob', cart: ['book'] });
console.log('alice:', store.get(alice));
store.save(alice, { user: 'alice', cart: ['tea'] });
console.log('alice after save:', store.get(alice));
console.log('bob expires in', store.cache.ttl(`sess:${bob}`), 'ms');

try {
  store.save(bob, { user: 'bob', notes: 'x'.repeat(2000) });
} catch (err) {
  console.log(`too large: ${err.code} (${err.bytes} > ${err.limit} bytes)`);
}

// Keep alice active (each get() slides her expiry); leave bob idle.
let ticks = 0;
const timer = setInterval(() => {
  store.get(alice);
  if (++ticks < 5) return;
  clearInterval(timer);
  // 250 ms have passed: bob (idle) has expired, alice (active) has not.
  console.log('after 250 ms: alice', store.get(alice) ? 'active' : 'expired', '| bob', store.get(bob) ? 'active' : 'expired');
  console.log('sessions still stored:', store.cache.keys({ prefix: 'sess:' }).length);
  console.log('expired entries reclaimed by purgeExpired():', store.cache.purgeExpired());
  console.log('save() on an expired session:', store.save(bob, { user: 'bob' }));
  store.destroy(alice);
  console.log('after destroy:', store.get(alice));
  store.close();
}, 50);
