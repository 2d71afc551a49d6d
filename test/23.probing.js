'use strict';
// Linear probing with backward-shift delete, driven into its corners: keys
// forced to share a home slot (home = fnv1a(key) % slotCount), chains that
// wrap past the table end, deletes at every position of a chain, and long
// seeded random runs checked operation by operation against a Map model.
const assert = require('node:assert/strict');
const open = require('..');
const binding = require('../lib/binding');
const { nextName } = require('./helpers/names');
const { prng, randInt, fnv1a32, keysWithHome, sorted } = require('./helpers/core-util');

function homeOf(key, slotCount) {
  return binding.fnv1a(Buffer.from(key)) % slotCount;
}

function assertExact(cache, model, where) {
  for (const [k, v] of model) assert.equal(cache.get(k), v, `${where}: get(${k})`);
  const keys = cache.keys();
  assert.equal(new Set(keys).size, keys.length, `${where}: keys() has duplicates: ${keys}`);
  assert.deepEqual(sorted(keys), sorted(model.keys()), where);
  assert.equal(cache.stats().size, model.size, `${where}: size`);
  assert.equal(cache.checkInvariants(), '', where);
}

describe('probing', function () {
  let cache;
  let slotCount;
  function openSmall(maxKeys) {
    cache = open({ name: nextName('probe'), maxKeys });
    slotCount = cache.stats().slotCount;
    return cache;
  }
  afterEach(function () {
    if (cache) cache.close();
    cache = null;
  });

  it('keysWithHome really finds keys with the same home slot (checked against the binding hash)', function () {
    openSmall(16);
    const keys = keysWithHome(slotCount, 5, 6);
    for (const k of keys) {
      assert.equal(homeOf(k, slotCount), 5);
      assert.equal(fnv1a32(k), binding.fnv1a(Buffer.from(k)));
    }
  });

  for (const maxKeys of [8, 16, 64]) {
    it(`maxKeys ${maxKeys}: a full collision chain; deleting each position keeps every other key reachable`, function () {
      openSmall(maxKeys);
      const chainLength = Math.min(6, maxKeys - 1);
      const home = 2;
      const chain = keysWithHome(slotCount, home, chainLength, 'h');
      // A neighbour homed inside the chain's range, so shifts must respect it.
      const neighbour = keysWithHome(slotCount, home + 2, 1, 'n')[0];
      for (let victim = 0; victim < chainLength; victim++) {
        cache.clear();
        const model = new Map();
        for (const k of [...chain, neighbour]) {
          assert.equal(cache.set(k, `v-${k}`), true);
          model.set(k, `v-${k}`);
        }
        assertExact(cache, model, 'after inserts');
        assert.ok(cache.stats().maxProbe >= chainLength - 1, `maxProbe ${cache.stats().maxProbe}`);
        assert.equal(cache.delete(chain[victim]), true);
        model.delete(chain[victim]);
        assert.equal(cache.get(chain[victim]), undefined);
        assert.equal(cache.has(chain[victim]), false);
        assertExact(cache, model, `after deleting chain[${victim}]`);
        // Re-inserting lands once, whatever slot it takes now.
        assert.equal(cache.set(chain[victim], 'again'), true);
        model.set(chain[victim], 'again');
        assertExact(cache, model, `after re-setting chain[${victim}]`);
      }
    });
  }

  it('a chain that wraps past the table end: inserts, lookups, and deletes in every order', function () {
    openSmall(16);
    const last = slotCount - 1;
    const chain = keysWithHome(slotCount, last, 5, 'w'); // slots last, 0, 1, 2, 3
    const atZero = keysWithHome(slotCount, 0, 2, 'z'); // pushed to slots 4, 5
    const atOne = keysWithHome(slotCount, 1, 1, 'o')[0]; // pushed to slot 6
    const all = [...chain, ...atZero, atOne];
    // Several deletion orders, including chain head first (shift across the wrap).
    const rand = prng(23);
    const orders = [all.slice(), all.slice().reverse()];
    for (let n = 0; n < 10; n++) {
      const o = all.slice();
      for (let i = o.length - 1; i > 0; i--) {
        const j = randInt(rand, i + 1);
        [o[i], o[j]] = [o[j], o[i]];
      }
      orders.push(o);
    }
    for (const order of orders) {
      cache.clear();
      const model = new Map();
      for (const k of all) {
        assert.equal(cache.set(k, k.toUpperCase()), true);
        model.set(k, k.toUpperCase());
      }
      assertExact(cache, model, 'wrapped chain inserted');
      for (const k of order) {
        assert.equal(cache.delete(k), true, `delete ${k}`);
        model.delete(k);
        assert.equal(cache.delete(k), false);
        assertExact(cache, model, `after delete ${k} (order ${order.join(',')})`);
      }
    }
  });

  it('delete-then-set of keys further down a chain never creates duplicates', function () {
    openSmall(8);
    const [a, b, c, d] = keysWithHome(slotCount, slotCount - 2, 4, 'd'); // wraps too
    const model = new Map();
    const set = (k, v) => { assert.equal(cache.set(k, v), true); model.set(k, v); };
    const del = (k) => { assert.equal(cache.delete(k), model.has(k)); model.delete(k); };
    set(a, '1'); set(b, '2'); set(c, '3'); set(d, '4');
    del(a); set(c, '3b'); assertExact(cache, model, 'del a, set c');
    del(b); set(d, '4b'); set(c, '3c'); assertExact(cache, model, 'del b, set d, c');
    set(a, '1b'); set(b, '2b'); assertExact(cache, model, 're-add a, b');
    del(c); del(a); set(d, '4c'); set(b, '2c'); set(a, '1c'); assertExact(cache, model, 'mixed');
    for (let i = 0; i < 50; i++) {
      del(a); set(b, `b${i}`); set(a, `a${i}`); del(d); set(c, `c${i}`); set(d, `d${i}`);
    }
    assertExact(cache, model, 'after 50 rounds');
  });

  for (const [maxKeys, universe, seed, label] of [
    [64, 96, 0x5eed, 'maxKeys 64, 96 keys (the table fills up)'],
    [8, 12, 0xbeef, 'maxKeys 8, 12 keys'],
    [16, 16, 0xc0ffee, 'maxKeys 16, 16 keys that share 2 home slots'],
  ]) {
    it(`100k seeded random set/delete/get ops match a Map model: ${label}`, function () {
      this.timeout(120000);
      openSmall(maxKeys);
      const rand = prng(seed);
      const keys = label.includes('share')
        ? [...keysWithHome(slotCount, slotCount - 1, universe / 2, 'p'), ...keysWithHome(slotCount, 3, universe / 2, 'q')]
        : Array.from({ length: universe }, (_, i) => `key-${i}`);
      const model = new Map();
      const same = (a, b) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b);
      for (let i = 0; i < 100000; i++) {
        const k = keys[randInt(rand, keys.length)];
        const r = rand();
        if (r < 0.45) {
          const len = randInt(rand, 257);
          const v = i % 7 === 0 ? Buffer.alloc(len, i & 0xff) : String.fromCharCode(97 + (i % 26)).repeat(len);
          const expect = model.has(k) || model.size < maxKeys;
          const got = cache.set(k, v);
          if (got !== expect) assert.fail(`op ${i}: set(${k}) returned ${got}, model says ${expect} (size ${model.size})`);
          if (got) model.set(k, v);
        } else if (r < 0.8) {
          const got = cache.get(k);
          if (!same(got, model.get(k))) assert.fail(`op ${i}: get(${k}) = ${got}, model ${model.get(k)}`);
          if (cache.has(k) !== model.has(k)) assert.fail(`op ${i}: has(${k}) disagrees with the model`);
        } else {
          const got = cache.delete(k);
          if (got !== model.has(k)) assert.fail(`op ${i}: delete(${k}) returned ${got}`);
          model.delete(k);
        }
        if (i % 10000 === 9999) {
          assert.equal(cache.checkInvariants(), '', `op ${i}`);
          assert.equal(cache.stats().size, model.size, `op ${i}: size`);
        }
      }
      const keysNow = cache.keys();
      assert.equal(new Set(keysNow).size, keysNow.length, 'keys() has duplicates');
      assert.deepEqual(sorted(keysNow), sorted(model.keys()));
      for (const [k, v] of model) assert.ok(same(cache.get(k), v), k);
      assert.equal(cache.checkInvariants(), '');
    });
  }
});
