'use strict';
// The seed contract of set/get/has/delete/keys/clear: return values, misses,
// overwrites, string vs Buffer values, keys() without duplicates, and the
// table's hash against the published FNV-1a test vectors.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const open = require('..');
const binding = require('../lib/binding');
const { nextName } = require('./helpers/names');
const { fnv1a32, sorted } = require('./helpers/core-util');

describe('api: set/get/has/delete/keys/clear', function () {
  let cache;
  beforeEach(function () {
    cache = open({ name: nextName('api'), maxKeys: 64 });
  });
  afterEach(function () {
    if (cache) {
      cache.close();
      cache = null;
    }
  });

  it('get/has on a miss: undefined / false', function () {
    assert.equal(cache.get('nope'), undefined);
    assert.equal(cache.has('nope'), false);
    assert.equal(cache.delete('nope'), false);
  });

  it('set returns true; get returns the string; has is true', function () {
    assert.equal(cache.set('k', 'v'), true);
    assert.equal(cache.get('k'), 'v');
    assert.equal(cache.has('k'), true);
    assert.equal(cache.stats().size, 1);
  });

  it('overwrite replaces the value (longer, shorter, empty) without adding an entry', function () {
    assert.equal(cache.set('k', 'first'), true);
    assert.equal(cache.set('k', 'a much longer second value'), true);
    assert.equal(cache.get('k'), 'a much longer second value');
    assert.equal(cache.set('k', 'x'), true);
    assert.equal(cache.get('k'), 'x', 'no bytes of the longer value survive');
    assert.equal(cache.set('k', ''), true);
    assert.equal(cache.get('k'), '', 'an empty value is a hit, not a miss');
    assert.equal(cache.has('k'), true);
    assert.equal(cache.stats().size, 1);
    assert.deepEqual(cache.keys(), ['k']);
  });

  it('Buffer values come back as Buffers, string values as strings; the type follows the last set', function () {
    const bin = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    cache.set('b', bin);
    const got = cache.get('b');
    assert.ok(Buffer.isBuffer(got));
    assert.deepEqual(got, bin);
    bin[0] = 9;
    assert.equal(cache.get('b')[0], 0, 'set copies the bytes');
    got[1] = 9;
    assert.equal(cache.get('b')[1], 1, 'get returns a copy');
    cache.set('b', 'now text');
    assert.equal(cache.get('b'), 'now text');
    cache.set('u8', new Uint8Array([5, 6, 7]));
    assert.deepEqual([...cache.get('u8')], [5, 6, 7]);
    cache.set('empty', Buffer.alloc(0));
    assert.ok(Buffer.isBuffer(cache.get('empty')));
    assert.equal(cache.get('empty').length, 0);
  });

  it('a key is its bytes: a string key and a Buffer key with the same UTF-8 bytes are the same key', function () {
    cache.set('h\u00e9llo', 'v1');
    assert.equal(cache.get(Buffer.from('h\u00e9llo', 'utf8')), 'v1');
    cache.set(Buffer.from('h\u00e9llo', 'utf8'), 'v2');
    assert.equal(cache.get('h\u00e9llo'), 'v2');
    assert.deepEqual(cache.keys(), ['h\u00e9llo']);
    assert.notEqual(cache.get(Buffer.from('h\u00e9llo', 'latin1')), 'v2', 'different bytes, different key');
  });

  it('the empty key is a key like any other', function () {
    assert.equal(cache.get(''), undefined);
    assert.equal(cache.set('', 'empty-key'), true);
    assert.equal(cache.get(''), 'empty-key');
    assert.equal(cache.has(''), true);
    assert.deepEqual(cache.keys(), ['']);
    assert.equal(cache.delete(''), true);
    assert.equal(cache.has(''), false);
  });

  it('delete returns true iff the key existed, and only once', function () {
    cache.set('a', '1');
    cache.set('b', '2');
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.has('a'), false);
    assert.equal(cache.get('b'), '2', 'other keys are untouched');
    assert.equal(cache.stats().size, 1);
    cache.set('a', '3');
    assert.equal(cache.get('a'), '3', 'a deleted key can be set again');
  });

  it('keys() lists every live key exactly once; prefix and limit filter it', function () {
    const want = [];
    for (let i = 0; i < 40; i++) {
      const k = `${i % 2 ? 'odd' : 'even'}:${i}`;
      want.push(k);
      cache.set(k, String(i));
      cache.set(k, String(i * 2)); // overwrites never duplicate
    }
    for (let i = 0; i < 40; i += 4) {
      cache.delete(`even:${i}`);
      want.splice(want.indexOf(`even:${i}`), 1);
    }
    const keys = cache.keys();
    assert.equal(new Set(keys).size, keys.length, 'no duplicates');
    assert.deepEqual(sorted(keys), sorted(want));
    assert.deepEqual(sorted(cache.keys({ prefix: 'odd:' })), sorted(want.filter((k) => k.startsWith('odd:'))));
    assert.equal(cache.keys({ limit: 5 }).length, 5);
    assert.deepEqual(cache.keys({ limit: 0 }), []);
    assert.deepEqual(cache.keys({ prefix: 'none:' }), []);
    const entries = cache.entries();
    assert.deepEqual(sorted(entries.map(([k]) => k)), sorted(want));
    for (const [k, v] of entries) assert.equal(v, String(Number(k.split(':')[1]) * 2));
    assert.equal(cache.stats().size, want.length);
  });

  it('clear() removes everything and the cache stays usable', function () {
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, `v${i}`);
    assert.equal(cache.clear(), undefined);
    assert.deepEqual(cache.keys(), []);
    assert.equal(cache.stats().size, 0);
    for (let i = 0; i < 50; i++) assert.equal(cache.has(`k${i}`), false);
    assert.equal(cache.checkInvariants(), '');
    for (let i = 0; i < 64; i++) assert.equal(cache.set(`n${i}`, `v${i}`), true, 'all capacity is free again');
    assert.equal(cache.stats().size, 64);
    cache.clear();
    cache.clear();
    assert.equal(cache.stats().size, 0);
  });

  it('stats() counts hits, misses, sets and deletes of this handle', function () {
    const before = cache.stats();
    cache.set('a', '1');
    cache.get('a');
    cache.get('b');
    cache.delete('a');
    const after = cache.stats();
    assert.equal(after.sets - before.sets, 1);
    assert.equal(after.hits - before.hits, 1);
    assert.equal(after.misses - before.misses, 1);
    assert.equal(after.deletes - before.deletes, 1);
  });

  it('a second handle in the same process sees the same data', function () {
    const other = open({ name: cache.name, maxKeys: 64 });
    try {
      cache.set('shared', 'yes');
      assert.equal(other.get('shared'), 'yes');
      other.delete('shared');
      assert.equal(cache.has('shared'), false);
    } finally {
      other.close();
    }
  });
});

describe('api: FNV-1a 32', function () {
  it('the reference implementation matches the published vectors (isthe.com/chongo/tech/comp/fnv)', function () {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('binding.fnv1a gives the published vectors', function () {
    assert.equal(binding.fnv1a(Buffer.from('')), 0x811c9dc5);
    assert.equal(binding.fnv1a(Buffer.from('a')), 0xe40c292c);
    assert.equal(binding.fnv1a(Buffer.from('foobar')), 0xbf9cf968);
  });

  it('binding.fnv1a equals the reference on random bytes, including bytes >= 0x80', function () {
    for (let n = 0; n < 300; n++) {
      const b = crypto.randomBytes(n % 70);
      assert.equal(binding.fnv1a(b), fnv1a32(b), b.toString('hex'));
    }
    const high = Buffer.from([0x80, 0xff, 0xc3, 0xa9]);
    assert.equal(binding.fnv1a(high), fnv1a32(high));
  });
});
