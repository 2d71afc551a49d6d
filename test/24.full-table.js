'use strict';
// "Full" is decided by the entry count, not by slots: exactly maxKeys
// distinct keys fit; the next new key is refused (set -> false, nothing
// stored) while overwrites of present keys keep working; a delete makes room
// for exactly one new key.
const assert = require('node:assert/strict');
const open = require('..');
const { nextName } = require('./helpers/names');
const { keysWithHome, sorted } = require('./helpers/core-util');

describe('full table', function () {
  let cache;
  afterEach(function () {
    if (cache) cache.close();
    cache = null;
  });

  for (const maxKeys of [1, 2, 7, 10, 64, 1000]) {
    it(`maxKeys ${maxKeys}: exactly maxKeys distinct keys fit, then set(new) -> false`, function () {
      cache = open({ name: nextName('full'), maxKeys });
      const keys = Array.from({ length: maxKeys }, (_, i) => `key-${i}`);
      for (const k of keys) assert.equal(cache.set(k, `v-${k}`), true, k);
      assert.equal(cache.stats().size, maxKeys);

      assert.equal(cache.set('one-too-many', 'x'), false);
      assert.equal(cache.has('one-too-many'), false);
      assert.equal(cache.get('one-too-many'), undefined);
      assert.equal(cache.stats().size, maxKeys);
      assert.equal(cache.set(Buffer.from('another'), Buffer.from('x')), false);

      // Overwrites of present keys still succeed when full.
      for (const k of keys) assert.equal(cache.set(k, `w-${k}`), true);
      for (const k of keys) assert.equal(cache.get(k), `w-${k}`);

      // incr on a new key reports ERR_SHM_FULL and stores nothing.
      assert.throws(() => cache.incr('counter'), { code: 'ERR_SHM_FULL' });
      assert.equal(cache.has('counter'), false);

      // One delete makes room for exactly one new key.
      assert.equal(cache.delete(keys[0]), true);
      assert.equal(cache.set('newcomer', 'n'), true);
      assert.equal(cache.get('newcomer'), 'n');
      assert.equal(cache.set('second-newcomer', 'n'), false);
      assert.equal(cache.stats().size, maxKeys);
      assert.deepEqual(sorted(cache.keys()), sorted([...keys.slice(1), 'newcomer']));
      assert.equal(cache.checkInvariants(), '');

      // clear() frees everything.
      cache.clear();
      for (const k of keys) assert.equal(cache.set(k, 'again'), true);
      assert.equal(cache.set('one-too-many', 'x'), false);
    });
  }

  it('full with every key in one collision chain: refusals, overwrites and a delete in the chain', function () {
    cache = open({ name: nextName('fullchain'), maxKeys: 12 });
    const { slotCount } = cache.stats();
    const chain = keysWithHome(slotCount, slotCount - 3, 12, 'f'); // wraps past the end
    for (const k of chain) assert.equal(cache.set(k, k), true);
    const extra = keysWithHome(slotCount, slotCount - 3, 14, 'f').slice(12);
    for (const k of extra) assert.equal(cache.set(k, 'x'), false);
    for (const k of chain) assert.equal(cache.set(k, `${k}!`), true);
    assert.equal(cache.delete(chain[5]), true);
    assert.equal(cache.set(extra[0], 'in'), true);
    assert.equal(cache.set(extra[1], 'out'), false);
    for (const k of chain) assert.equal(cache.get(k), k === chain[5] ? undefined : `${k}!`);
    assert.equal(cache.get(extra[0]), 'in');
    assert.equal(cache.checkInvariants(), '');
  });

  it('repeated refused sets leave no trace', function () {
    cache = open({ name: nextName('fulltrace'), maxKeys: 3 });
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    for (let i = 0; i < 100; i++) assert.equal(cache.set(`x${i}`, 'x'), false);
    assert.deepEqual(sorted(cache.keys()), ['a', 'b', 'c']);
    assert.deepEqual(sorted(cache.entries().map(([k, v]) => `${k}=${v}`)), ['a=1', 'b=2', 'c=3']);
    assert.equal(cache.checkInvariants(), '');
  });
});
