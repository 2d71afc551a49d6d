'use strict';
// Issue 4, counters: incr()/decr() semantics, error codes, and the rule that a
// failed incr stores nothing.
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { nowMs, waitPastExpiry } = require('./helpers/time');

const MAX = Number.MAX_SAFE_INTEGER;

describe('41 incr/decr', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('incr'), maxKeys: 16, ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  it('a missing key starts at initial (default 0), then adds delta (default 1)', function () {
    const c = make();
    assert.equal(c.incr('a'), 1);
    assert.equal(c.incr('a'), 2);
    assert.equal(c.incr('b', 5), 5);
    assert.equal(c.incr('c', 5, { initial: 10 }), 15);
    assert.equal(c.incr('c', 5, { initial: 1000 }), 20, 'initial applies only when the key is created');
    assert.equal(c.incr('d', 0, { initial: -7 }), -7);
    assert.equal(c.incr('e', -3), -3);
  });

  it('decr mirrors incr: missing key starts at initial then subtracts delta', function () {
    const c = make();
    assert.equal(c.decr('a'), -1);
    assert.equal(c.decr('a', 4), -5);
    assert.equal(c.decr('b', 2, { initial: 10 }), 8);
    assert.equal(c.decr('b', -2), 10);
    assert.equal(c.get('b'), '10');
  });

  it('get() returns the decimal string; set() strings that are integers can be incremented', function () {
    const c = make();
    c.incr('n', 42);
    assert.equal(c.get('n'), '42');
    assert.equal(parseInt(c.get('n') || '0', 10), 42);
    c.decr('n', 50);
    assert.equal(c.get('n'), '-8');
    c.set('s', '100');
    assert.equal(c.incr('s', 1), 101);
    c.set('neg', '-5');
    assert.equal(c.incr('neg'), -4);
    assert.equal(c.get('k-missing'), undefined);
    assert.equal(parseInt(c.get('k-missing') || '0', 10), 0);
  });

  it('incr on a non-integer value -> TypeError ERR_SHM_NOT_INTEGER, value unchanged', function () {
    const c = make();
    for (const v of ['abc', '1.5', '12abc', 'NaN', '1e3']) {
      c.set('x', v);
      assert.throws(() => c.incr('x'), { name: 'TypeError', code: 'ERR_SHM_NOT_INTEGER' }, v);
      assert.throws(() => c.decr('x'), { name: 'TypeError', code: 'ERR_SHM_NOT_INTEGER' }, v);
      assert.equal(c.get('x'), v);
    }
    c.set('b', Buffer.from([0xff, 0x00]));
    assert.throws(() => c.incr('b'), { code: 'ERR_SHM_NOT_INTEGER' });
    assert.deepEqual(c.get('b'), Buffer.from([0xff, 0x00]));
  });

  it('results outside +-(2^53-1) -> RangeError ERR_SHM_OUT_OF_RANGE and nothing stored', function () {
    const c = make();
    assert.equal(c.incr('hi', MAX - 1), MAX - 1);
    assert.equal(c.incr('hi'), MAX, 'exactly MAX_SAFE_INTEGER is allowed');
    assert.throws(() => c.incr('hi'), { name: 'RangeError', code: 'ERR_SHM_OUT_OF_RANGE' });
    assert.equal(c.get('hi'), String(MAX));
    assert.equal(c.decr('lo', MAX), -MAX);
    assert.throws(() => c.decr('lo'), { name: 'RangeError', code: 'ERR_SHM_OUT_OF_RANGE' });
    assert.equal(c.get('lo'), String(-MAX));
    c.set('mid', String(MAX - 5));
    assert.throws(() => c.incr('mid', 10), { code: 'ERR_SHM_OUT_OF_RANGE' });
    assert.throws(() => c.decr('lo', MAX), { code: 'ERR_SHM_OUT_OF_RANGE' }, 'a result of -2*MAX must not wrap');
    assert.equal(c.get('mid'), String(MAX - 5));
    assert.equal(c.get('lo'), String(-MAX));
    // A missing key whose first result is out of range is not created.
    assert.throws(() => c.incr('fresh', 1, { initial: MAX }), { code: 'ERR_SHM_OUT_OF_RANGE' });
    assert.equal(c.has('fresh'), false);
    assert.throws(() => c.decr('fresh', MAX, { initial: -1 }), { code: 'ERR_SHM_OUT_OF_RANGE' });
    assert.equal(c.has('fresh'), false);
    // A stored decimal beyond the safe range is not a usable integer.
    c.set('huge', '9007199254740993');
    assert.throws(() => c.incr('huge'), (e) => e.code === 'ERR_SHM_OUT_OF_RANGE' || e.code === 'ERR_SHM_NOT_INTEGER');
    assert.equal(c.get('huge'), '9007199254740993');
  });

  it('delta and initial must be safe integers', function () {
    const c = make();
    for (const bad of [1.5, NaN, Infinity, 2 ** 53]) {
      assert.throws(() => c.incr('k', bad), { name: 'RangeError' }, String(bad));
      assert.throws(() => c.decr('k', bad), { name: 'RangeError' }, String(bad));
      assert.throws(() => c.incr('k', 1, { initial: bad }), { name: 'RangeError' }, String(bad));
    }
    assert.throws(() => c.incr('k', '1'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => c.incr('k', 1n), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(c.has('k'), false);
  });

  it('ttl applies only when incr creates the key', async function () {
    const c = make();
    c.incr('t', 1, { ttl: 600000 });
    const r1 = c.ttl('t');
    assert.ok(r1 > 0 && r1 <= 600000);
    c.incr('t', 1, { ttl: 40 });
    assert.ok(c.ttl('t') > 1000, 'a later incr ttl must not change the expiry');
    c.incr('p');
    c.incr('p', 1, { ttl: 40 });
    assert.equal(c.ttl('p'), -1, 'a later incr ttl must not add an expiry');
    c.incr('s', 1, { ttl: 40 });
    const at = nowMs();
    await waitPastExpiry(at, 40);
    assert.equal(c.get('s'), undefined);
    assert.equal(c.incr('s', 1, { initial: 5 }), 6, 'an expired counter restarts at initial');
    assert.equal(c.ttl('s'), -1);
  });

  it('incr of a new key into a full table (evict "none") -> ERR_SHM_FULL; existing keys still count', function () {
    const c = make({ maxKeys: 2 });
    c.incr('a');
    c.incr('b');
    assert.throws(() => c.incr('c'), { code: 'ERR_SHM_FULL' });
    assert.equal(c.has('c'), false);
    assert.equal(c.incr('a'), 2);
    const l = make({ maxKeys: 2, evict: 'lru' });
    l.incr('a');
    l.incr('b');
    assert.equal(l.incr('c'), 1, 'lru mode evicts for a new counter');
    assert.equal(l.stats().size, 2);
  });

  it('incr of an expired counter in a full table (evict "none") reuses its slot instead of failing', async function () {
    const c = make({ maxKeys: 2 });
    c.incr('a', 5, { ttl: 40 });
    const at = nowMs();
    c.incr('b');
    await waitPastExpiry(at, 40);
    assert.equal(c.incr('a'), 1);
    assert.equal(c.stats().size, 2);
    assert.throws(() => c.incr('c'), { code: 'ERR_SHM_FULL' });
    assert.equal(c.checkInvariants(), '');
  });

  it('Buffer and string spellings of a key address the same counter', function () {
    const c = make();
    c.incr('ctr');
    c.incr(Buffer.from('ctr'));
    assert.equal(c.incr(new Uint8Array(Buffer.from('ctr'))), 3);
  });
});
