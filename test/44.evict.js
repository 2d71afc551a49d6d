'use strict';
// Issue 4, eviction: evict "none" refuses new keys when full; evict "lru"
// evicts an approximately least-recently-used entry (CLOCK), counts it in
// stats().evictions, and always reclaims expired entries before evicting.
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { nowMs, waitPastExpiry } = require('./helpers/time');

describe('44 eviction', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('evict'), ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  it('evict "none" (default): a new key into a full table -> false; updates and freed slots still work', function () {
    const c = make({ maxKeys: 8 });
    for (let i = 0; i < 8; i++) assert.equal(c.set(`k${i}`, String(i)), true);
    const sets = c.stats().sets;
    assert.equal(c.set('new', 'x'), false);
    assert.equal(c.has('new'), false);
    assert.equal(c.stats().sets, sets, 'a refused set is not counted');
    assert.equal(c.set('k3', 'updated'), true, 'an existing key can always be updated');
    assert.equal(c.get('k3'), 'updated');
    assert.equal(c.delete('k0'), true);
    assert.equal(c.set('new', 'x'), true);
    const s = c.stats();
    assert.equal(s.size, 8);
    assert.equal(s.evictions, 0);
    for (let i = 1; i < 8; i++) assert.ok(c.has(`k${i}`));
    assert.equal(c.checkInvariants(), '');
  });

  it('evict "lru": every write succeeds, size stays at capacity, each insert past capacity is one eviction', function () {
    const c = make({ maxKeys: 16, evict: 'lru' });
    const N = 500;
    for (let i = 0; i < N; i++) assert.equal(c.set(`k${i}`, `v${i}`), true, `set k${i}`);
    const s = c.stats();
    assert.equal(s.size, 16);
    assert.equal(s.evictions, N - 16);
    // Whatever survived holds its own value.
    const entries = c.entries();
    assert.equal(entries.length, 16);
    for (const [k, v] of entries) assert.equal(v, `v${k.slice(1)}`);
    assert.ok(c.has(`k${N - 1}`), 'the entry just written is never the victim');
    assert.equal(c.checkInvariants(), '');
  });

  it('evict "lru": add and incr of new keys evict too', function () {
    const c = make({ maxKeys: 4, evict: 'lru' });
    for (let i = 0; i < 4; i++) c.set(`k${i}`, 'v');
    assert.equal(c.add('a', 'v'), true);
    assert.equal(c.incr('n'), 1);
    assert.equal(c.stats().size, 4);
    assert.equal(c.stats().evictions, 2);
    assert.equal(c.get('a'), 'v');
    assert.equal(c.get('n'), '1');
  });

  it('evict "lru" is approximately LRU: keys read between inserts survive, never-read keys are evicted', function () {
    const c = make({ maxKeys: 8, evict: 'lru' });
    const hot = ['hot0', 'hot1', 'hot2'];
    for (const k of hot) c.set(k, k);
    for (let i = 0; i < 5; i++) c.set(`cold${i}`, 'c');
    for (let i = 0; i < 200; i++) {
      for (const k of hot) assert.equal(c.get(k), k, `hot key ${k} evicted at insert ${i}`);
      assert.equal(c.set(`new${i}`, 'n'), true);
    }
    for (let i = 0; i < 5; i++) assert.equal(c.has(`cold${i}`), false, `cold${i} survived 200 inserts`);
    assert.equal(c.stats().size, 8);
    assert.equal(c.stats().evictions, 200);
  });

  it('evict "lru" reclaims expired entries first (no eviction while one is expired)', async function () {
    const c = make({ maxKeys: 4, evict: 'lru' });
    c.set('e1', 'v', { ttl: 40 });
    c.set('e2', 'v', { ttl: 40 });
    const at = nowMs();
    c.set('a', 'v');
    c.set('b', 'v');
    await waitPastExpiry(at, 40);
    const before = c.stats();
    assert.equal(c.set('c', 'v'), true);
    assert.equal(c.set('d', 'v'), true);
    const after = c.stats();
    assert.equal(after.evictions, before.evictions, 'a live entry was evicted while expired ones were reclaimable');
    assert.ok(after.expired - before.expired >= 2, `expired counter rose by ${after.expired - before.expired}`);
    for (const k of ['a', 'b', 'c', 'd']) assert.equal(c.get(k), 'v', k);
    assert.equal(after.size, 4);
    assert.equal(c.set('e', 'v'), true, 'and then a real eviction');
    assert.equal(c.stats().evictions, before.evictions + 1);
    assert.equal(c.checkInvariants(), '');
  });

  it('evict "lru" survives interleaved deletes, updates and inserts with the invariants intact', function () {
    const c = make({ maxKeys: 32, evict: 'lru' });
    let x = 12345;
    const rand = (n) => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x % n; };
    for (let i = 0; i < 5000; i++) {
      const k = `k${rand(100)}`;
      const op = rand(10);
      if (op < 6) assert.equal(c.set(k, `v${i}`), true);
      else if (op < 8) c.delete(k);
      else c.get(k);
      if (i % 500 === 0) assert.equal(c.checkInvariants(), '', `after op ${i}`);
    }
    assert.ok(c.stats().size <= 32);
    assert.equal(c.checkInvariants(), '');
  });
});
