'use strict';
// Byte limits: a key of exactly keySize bytes and a value of exactly
// valueSize bytes are stored (UTF-8 bytes are counted, not characters); one
// byte more is a RangeError naming the limit and the actual byte length, and
// nothing is stored. NUL bytes are ordinary bytes in keys and values.
const assert = require('node:assert/strict');
const open = require('..');
const { nextName } = require('./helpers/names');

function tooLarge(code, bytes, limit) {
  return (err) => {
    assert.ok(err instanceof RangeError, `${err && err.constructor.name}: ${err && err.message}`);
    assert.equal(err.code, code);
    assert.equal(err.bytes, bytes);
    assert.equal(err.limit, limit);
    assert.ok(err.message.includes(String(bytes)), err.message);
    assert.ok(err.message.includes(String(limit)), err.message);
    return true;
  };
}
const keyTooLong = (bytes, limit = 64) => tooLarge('ERR_SHM_KEY_TOO_LONG', bytes, limit);
const valueTooLarge = (bytes, limit = 256) => tooLarge('ERR_SHM_VALUE_TOO_LARGE', bytes, limit);

describe('limits', function () {
  let cache;
  beforeEach(function () {
    cache = open({ name: nextName('lim'), maxKeys: 32 });
  });
  afterEach(function () {
    cache.close();
  });

  const keysAtLimit = {
    'ASCII x64': 'k'.repeat(64),
    "21 x '\u20ac' + 'a' (3-byte UTF-8)": '\u20ac'.repeat(21) + 'a',
    '16 x emoji (4-byte UTF-8)': '\u{1F600}'.repeat(16),
    "32 x '\u00e9' (2-byte UTF-8)": '\u00e9'.repeat(32),
  };
  const keysOver = {
    'ASCII x65': ['k'.repeat(65), 65],
    "21 x '\u20ac' + 'ab'": ['\u20ac'.repeat(21) + 'ab', 65],
    "22 x '\u20ac'": ['\u20ac'.repeat(22), 66],
    '63 ASCII + emoji': ['k'.repeat(63) + '\u{1F600}', 67],
    '16 x emoji + a': ['\u{1F600}'.repeat(16) + 'a', 65],
    'ASCII x1000': ['k'.repeat(1000), 1000],
  };

  for (const [label, key] of Object.entries(keysAtLimit)) {
    it(`a key of exactly 64 bytes is stored: ${label}`, function () {
      assert.equal(Buffer.byteLength(key), 64);
      assert.equal(cache.set(key, 'v'), true);
      assert.equal(cache.get(key), 'v');
      assert.equal(cache.has(key), true);
      assert.deepEqual(cache.keys(), [key], 'keys() returns the whole key');
      assert.equal(cache.get(key.slice(0, -1)), undefined, 'a prefix of the key is a different key');
      assert.equal(cache.delete(key), true);
    });
  }

  for (const [label, [key, bytes]] of Object.entries(keysOver)) {
    it(`a key one or more bytes over -> RangeError naming 64 and ${bytes}: ${label}`, function () {
      assert.equal(Buffer.byteLength(key), bytes);
      assert.throws(() => cache.set(key, 'v'), keyTooLong(bytes));
      assert.throws(() => cache.get(key), keyTooLong(bytes));
      assert.throws(() => cache.has(key), keyTooLong(bytes));
      assert.throws(() => cache.delete(key), keyTooLong(bytes));
      assert.equal(cache.stats().size, 0, 'nothing stored');
      // The 64-byte prefix must not have been stored in its place either.
      assert.deepEqual(cache.keys(), []);
    });
  }

  const valuesAtLimit = {
    'ASCII x256': 'v'.repeat(256),
    "85 x '\u20ac' + 'a'": '\u20ac'.repeat(85) + 'a',
    '64 x emoji': '\u{1F600}'.repeat(64),
    'NULs x256': '\0'.repeat(256),
  };
  for (const [label, value] of Object.entries(valuesAtLimit)) {
    it(`a value of exactly 256 bytes round-trips: ${label}`, function () {
      assert.equal(Buffer.byteLength(value), 256);
      assert.equal(cache.set('k', value), true);
      assert.equal(cache.get('k'), value);
    });
  }

  for (const [label, value, bytes] of [
    ['ASCII x257', 'v'.repeat(257), 257],
    ["85 x '\u20ac' + 'ab'", '\u20ac'.repeat(85) + 'ab', 257],
    ['255 ASCII + emoji', 'v'.repeat(255) + '\u{1F600}', 259],
    ['64 KiB', 'v'.repeat(65536), 65536],
  ]) {
    it(`a value over the limit -> RangeError naming 256 and ${bytes}, the old value stays: ${label}`, function () {
      cache.set('k', 'old');
      assert.throws(() => cache.set('k', value), valueTooLarge(bytes));
      assert.equal(cache.get('k'), 'old');
      assert.throws(() => cache.set('new', value), valueTooLarge(bytes));
      assert.equal(cache.has('new'), false);
      assert.equal(cache.stats().size, 1);
      assert.equal(cache.checkInvariants(), '');
    });
  }

  it('Buffer keys and values at and over the limits', function () {
    const key = Buffer.alloc(64, 0xff);
    const value = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) value[i] = i;
    assert.equal(cache.set(key, value), true);
    assert.deepEqual(cache.get(key), value);
    assert.throws(() => cache.set(Buffer.alloc(65, 1), value), keyTooLong(65));
    assert.throws(() => cache.set(key, Buffer.alloc(257)), valueTooLarge(257));
    assert.deepEqual(cache.get(key), value, 'the old value stays');
    assert.throws(() => cache.set(key, new Uint8Array(257)), valueTooLarge(257));
    assert.equal(cache.stats().size, 1);
  });

  it("'a\\0b', 'a\\0' and 'a' are three different keys", function () {
    cache.set('a', '1');
    cache.set('a\0b', '2');
    cache.set('a\0', '3');
    assert.equal(cache.get('a'), '1');
    assert.equal(cache.get('a\0b'), '2');
    assert.equal(cache.get('a\0'), '3');
    assert.equal(cache.stats().size, 3);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.get('a\0b'), '2');
    assert.equal(cache.get('a\0'), '3');
    assert.deepEqual(cache.keys().sort(), ['a\0', 'a\0b']);
  });

  it('values containing NUL round-trip whole', function () {
    for (const v of ['\0', 'a\0b', '\0\0\0x', 'end\0']) {
      cache.set('k', v);
      assert.equal(cache.get('k'), v);
    }
    const b = Buffer.from([0, 0, 1, 0]);
    cache.set('b', b);
    assert.deepEqual(cache.get('b'), b);
  });

  it('custom keySize/valueSize are the limits (keySize 8, valueSize 1)', function () {
    const small = open({ name: nextName('lims'), maxKeys: 4, keySize: 8, valueSize: 1 });
    try {
      assert.equal(small.set('12345678', 'x'), true);
      assert.equal(small.get('12345678'), 'x');
      assert.equal(small.set('k', ''), true);
      assert.throws(() => small.set('123456789', 'x'), keyTooLong(9, 8));
      assert.throws(() => small.set('k', 'xy'), valueTooLarge(2, 1));
      assert.throws(() => small.set('k', '\u00e9'), valueTooLarge(2, 1));
      assert.equal(small.get('k'), '');
    } finally {
      small.close();
    }
  });
});
