'use strict';
// Wrong argument types never crash and never reach the table: every method
// taking a key or value throws TypeError ERR_INVALID_ARG_TYPE for anything
// other than a string, Buffer or Uint8Array; option objects are validated.
const assert = require('node:assert/strict');
const open = require('..');
const { Cache } = require('..');
const { nextName } = require('./helpers/names');

const badBytes = {
  undefined: undefined,
  null: null,
  number: 42,
  NaN: NaN,
  boolean: true,
  bigint: 10n,
  symbol: Symbol('key'),
  object: { toString: () => 'k' },
  array: ['k'],
  function: () => 'k',
  Date: new Date(0),
  Uint16Array: new Uint16Array([1, 2]),
  Int8Array: new Int8Array([1]),
  Uint8ClampedArray: new Uint8ClampedArray([1]),
  ArrayBuffer: new ArrayBuffer(4),
  DataView: new DataView(new ArrayBuffer(4)),
  'String object': new String('k'), // eslint-disable-line no-new-wrappers
};

const keyMethods = {
  get: (c, k) => c.get(k),
  has: (c, k) => c.has(k),
  ttl: (c, k) => c.ttl(k),
  set: (c, k) => c.set(k, 'v'),
  add: (c, k) => c.add(k, 'v'),
  replace: (c, k) => c.replace(k, 'v'),
  cas: (c, k) => c.cas(k, 'v', 'w'),
  incr: (c, k) => c.incr(k),
  decr: (c, k) => c.decr(k),
  expire: (c, k) => c.expire(k, 1000),
  delete: (c, k) => c.delete(k),
};

const valueMethods = {
  set: (c, v) => c.set('k', v),
  add: (c, v) => c.add('k2', v),
  replace: (c, v) => c.replace('k', v),
  'cas (expected)': (c, v) => c.cas('k', v, 'w'),
  'cas (value)': (c, v) => c.cas('k', 'v', v),
};

function typeError(err) {
  assert.ok(err instanceof TypeError, `${err && err.constructor.name}: ${err && err.message}`);
  assert.equal(err.code, 'ERR_INVALID_ARG_TYPE');
  return true;
}

describe('bad arguments', function () {
  let cache;
  before(function () {
    cache = open({ name: nextName('args'), maxKeys: 16 });
  });
  after(function () {
    cache.close();
  });
  beforeEach(function () {
    cache.clear();
    cache.set('k', 'v');
  });
  afterEach(function () {
    // Nothing was stored or broken by the refused calls.
    assert.deepEqual(cache.keys(), ['k']);
    assert.equal(cache.get('k'), 'v');
    assert.equal(cache.checkInvariants(), '');
  });

  for (const [method, call] of Object.entries(keyMethods)) {
    it(`${method}(key): a non-string, non-Buffer key -> TypeError`, function () {
      for (const [label, bad] of Object.entries(badBytes)) {
        assert.throws(() => call(cache, bad), typeError, `${method}(${label})`);
      }
      assert.throws(() => cache[method](), typeError, `${method}() without arguments`);
    });
  }

  for (const [method, call] of Object.entries(valueMethods)) {
    it(`${method}: a non-string, non-Buffer value -> TypeError, nothing stored`, function () {
      for (const [label, bad] of Object.entries(badBytes)) {
        assert.throws(() => call(cache, bad), typeError, `${method} with ${label}`);
      }
    });
  }

  it('the error message names the argument and what was received', function () {
    assert.throws(() => cache.get(42), (err) => /"key"/.test(err.message) && /number/.test(err.message));
    assert.throws(() => cache.set('k', Symbol('s')), (err) => /"value"/.test(err.message) && /symbol/.test(err.message));
  });

  it('per-call options are validated', function () {
    assert.throws(() => cache.set('k', 'x', 'ttl'), typeError);
    assert.throws(() => cache.set('k', 'x', null), typeError);
    assert.throws(() => cache.set('k', 'x', { ttl: '5' }), typeError);
    assert.throws(() => cache.set('k', 'x', { ttl: -1 }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => cache.set('k', 'x', { ttl: 1.5 }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => cache.expire('k', 'soon'), typeError);
    assert.throws(() => cache.expire('k'), typeError);
    assert.throws(() => cache.incr('n', '1'), typeError);
    assert.throws(() => cache.incr('n', 1.5), { name: 'RangeError' });
    assert.throws(() => cache.incr('n', 1, 'x'), typeError);
    assert.throws(() => cache.keys('prefix'), typeError);
    assert.throws(() => cache.keys({ prefix: 42 }), typeError);
    assert.throws(() => cache.keys({ limit: -1 }), { name: 'RangeError' });
    assert.throws(() => cache.keys({ limit: '3' }), typeError);
    assert.throws(() => cache.entries({ prefix: {} }), typeError);
    assert.equal(cache.has('n'), false, 'refused incr stored nothing');
  });

  it('unlink(name) validates its argument', function () {
    assert.throws(() => open.unlink(42), typeError);
    assert.throws(() => open.unlink(undefined), typeError);
    assert.throws(() => open.unlink('a/b'), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => open.unlink('..'), { name: 'RangeError' });
  });

  it('methods called on a foreign receiver throw TypeError instead of crashing', function () {
    assert.throws(() => Cache.prototype.get.call({}, 'k'), TypeError);
    assert.throws(() => Cache.prototype.set.call(Object.create(Cache.prototype), 'k', 'v'), TypeError);
  });

  it('20k calls with wrong types leave the process and the cache intact', function () {
    const values = Object.values(badBytes);
    const methods = Object.values(keyMethods);
    let thrown = 0;
    for (let i = 0; i < 20000; i++) {
      try {
        methods[i % methods.length](cache, values[i % values.length]);
      } catch (err) {
        if (err.code === 'ERR_INVALID_ARG_TYPE') thrown++;
        else throw err;
      }
    }
    assert.equal(thrown, 20000);
  });
});
