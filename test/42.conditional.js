'use strict';
// Issue 4, conditional writes: add (only if absent or expired), replace (only
// if present), cas (only if the current value equals `expected` byte for byte).
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { nowMs, waitPastExpiry } = require('./helpers/time');

describe('42 add/replace/cas', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('cond'), maxKeys: 16, ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  it('add stores only when the key is absent; a refused add changes nothing', function () {
    const c = make();
    assert.equal(c.add('k', 'first', { ttl: 600000 }), true);
    assert.equal(c.get('k'), 'first');
    const ttl = c.ttl('k');
    assert.equal(c.add('k', 'second'), false);
    assert.equal(c.add('k', 'third', { ttl: 0 }), false);
    assert.equal(c.get('k'), 'first');
    assert.ok(c.ttl('k') > 0 && c.ttl('k') <= ttl, 'a refused add must not touch the expiry');
    c.delete('k');
    assert.equal(c.add('k', 'again'), true);
    assert.equal(c.get('k'), 'again');
  });

  it('add succeeds over an expired entry; replace and cas fail on it', async function () {
    const c = make();
    c.set('a', 'old', { ttl: 40 });
    c.set('r', 'old', { ttl: 40 });
    c.set('c', 'old', { ttl: 40 });
    const at = nowMs();
    await waitPastExpiry(at, 40);
    assert.equal(c.replace('r', 'new'), false);
    assert.equal(c.has('r'), false);
    assert.equal(c.cas('c', 'old', 'new'), false);
    assert.equal(c.has('c'), false);
    assert.equal(c.add('a', 'new'), true);
    assert.equal(c.get('a'), 'new');
    assert.equal(c.ttl('a'), -1);
  });

  it('replace stores only when the key is present, and applies its ttl', function () {
    const c = make();
    assert.equal(c.replace('k', 'v'), false);
    assert.equal(c.has('k'), false, 'a refused replace must not create the key');
    c.set('k', 'v1', { ttl: 600000 });
    assert.equal(c.replace('k', 'v2'), true);
    assert.equal(c.get('k'), 'v2');
    assert.equal(c.ttl('k'), -1, 'replace without ttl stores without expiry, like set');
    assert.equal(c.replace('k', Buffer.from([9]), { ttl: 600000 }), true);
    assert.deepEqual(c.get('k'), Buffer.from([9]));
    assert.ok(c.ttl('k') > 0);
  });

  it('cas swaps only on an exact byte match', function () {
    const c = make();
    assert.equal(c.cas('k', 'x', 'y'), false, 'missing key');
    assert.equal(c.has('k'), false);
    c.set('k', 'abc');
    assert.equal(c.cas('k', 'ab', 'no'), false, 'prefix of the value');
    assert.equal(c.cas('k', 'abcd', 'no'), false, 'value is a prefix of expected');
    assert.equal(c.cas('k', 'abC', 'no'), false, 'one byte differs');
    assert.equal(c.get('k'), 'abc');
    assert.equal(c.cas('k', 'abc', 'def'), true);
    assert.equal(c.get('k'), 'def');
    assert.equal(c.cas('k', 'abc', 'ghi'), false, 'a stale expected value loses');
    assert.equal(c.get('k'), 'def');
  });

  it('cas compares bytes, not types: a string and a Buffer with the same UTF-8 bytes match', function () {
    const c = make();
    c.set('s', 'héllo');
    assert.equal(c.cas('s', Buffer.from('héllo'), Buffer.from([1, 2])), true);
    assert.deepEqual(c.get('s'), Buffer.from([1, 2]), 'the new value keeps its own (binary) type');
    assert.equal(c.cas('s', new Uint8Array([1, 2]), 'text'), true);
    assert.equal(c.get('s'), 'text');
    assert.equal(c.cas('s', Buffer.from('héllo', 'latin1'), 'no'), false, 'latin1 bytes differ from UTF-8');
    c.set('e', '');
    assert.equal(c.cas('e', Buffer.alloc(0), 'filled'), true, 'empty matches empty');
    assert.equal(c.get('e'), 'filled');
  });

  it('cas applies its ttl (absent ttl = no expiry)', function () {
    const c = make();
    c.set('k', '1', { ttl: 600000 });
    assert.equal(c.cas('k', '1', '2'), true);
    assert.equal(c.ttl('k'), -1);
    assert.equal(c.cas('k', '2', '3', { ttl: 600000 }), true);
    assert.ok(c.ttl('k') > 0);
  });

  it('conditional writes validate their arguments like set', function () {
    const c = make({ valueSize: 8 });
    assert.throws(() => c.add('k', 'x'.repeat(9)), { code: 'ERR_SHM_VALUE_TOO_LARGE' });
    assert.throws(() => c.replace('k', 5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => c.cas('k', 5, 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => c.cas('k', 'x', {}), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(c.has('k'), false);
  });

  it('add of a new key into a full table (evict "none") returns false', function () {
    const c = make({ maxKeys: 2 });
    c.set('a', '1');
    c.set('b', '2');
    assert.equal(c.add('c', '3'), false);
    assert.equal(c.has('c'), false);
    assert.equal(c.checkInvariants(), '');
  });
});
