'use strict';
// Issue 4, expiry: per-write ttl, the factory default, ttl()/expire()/
// purgeExpired(), and the rule that an expired entry is absent everywhere
// from the moment it expires and gives its slot back.
// Timing: "absent after expiry" waits (bounded poll) until the monotonic clock
// is past the latest possible expiry; "present before expiry" uses ttls far
// longer than any stall, so no assertion depends on the scheduler.
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { nowMs, waitPastExpiry } = require('./helpers/time');

const SHORT = 40; // ms; only ever asserted as "expired by now"
const LONG = 600000; // ms; never expires during a test

describe('40 ttl: expiry', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('ttl'), maxKeys: 16, ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  // Every public view of one key agrees that it is absent.
  function assertAbsent(c, key) {
    assert.equal(c.get(key), undefined, `get(${key})`);
    assert.equal(c.has(key), false, `has(${key})`);
    assert.equal(c.ttl(key), undefined, `ttl(${key})`);
    assert.ok(!c.keys().includes(key), `keys() lists ${key}`);
    assert.ok(!c.entries().some(([k]) => k === key), `entries() lists ${key}`);
  }

  it('an entry is visible with its ttl until it expires, then absent from get/has/ttl/keys/entries/size', async function () {
    const c = make();
    assert.equal(c.set('short', 'a', { ttl: SHORT }), true);
    const at = nowMs();
    assert.equal(c.set('long', 'b', { ttl: LONG }), true);
    assert.equal(c.set('forever', 'c'), true);
    assert.equal(c.get('long'), 'b');
    assert.equal(c.has('long'), true);
    assert.equal(c.stats().size >= 2, true);
    await waitPastExpiry(at, SHORT);
    assertAbsent(c, 'short');
    assert.equal(c.get('long'), 'b');
    assert.equal(c.get('forever'), 'c');
    assert.deepEqual(c.keys().sort(), ['forever', 'long']);
    assert.deepEqual(c.entries().sort(), [['forever', 'c'], ['long', 'b']]);
    assert.equal(c.stats().size, 2, 'stats().size must not count the expired entry');
    assert.equal(c.checkInvariants(), '');
  });

  it('ttl(key): remaining ms within (0, ttl], -1 without expiry, undefined when missing or expired', async function () {
    const c = make();
    const before = nowMs();
    c.set('k', 'v', { ttl: LONG });
    const r = c.ttl('k');
    const elapsed = nowMs() - before;
    assert.equal(typeof r, 'number');
    assert.ok(r <= LONG && r >= LONG - elapsed - 1, `ttl ${r} not within [${LONG - elapsed - 1}, ${LONG}]`);
    c.set('p', 'v');
    assert.equal(c.ttl('p'), -1);
    c.set('z', 'v', { ttl: 0 });
    assert.equal(c.ttl('z'), -1, 'ttl:0 means no expiry');
    assert.equal(c.ttl('missing'), undefined);
    c.set('s', 'v', { ttl: SHORT });
    const at = nowMs();
    await waitPastExpiry(at, SHORT);
    assert.equal(c.ttl('s'), undefined);
  });

  it('set without ttl replaces an earlier expiry with none (Redis SET)', async function () {
    const c = make();
    c.set('k', 'old', { ttl: SHORT });
    c.set('k', 'new');
    const at = nowMs();
    assert.equal(c.ttl('k'), -1);
    await waitPastExpiry(at, SHORT);
    assert.equal(c.get('k'), 'new');
    // and the reverse: a later ttl applies to a key that had none
    c.set('k', 'short', { ttl: SHORT });
    const at2 = nowMs();
    assert.ok(c.ttl('k') > 0 && c.ttl('k') <= SHORT || c.ttl('k') === undefined);
    await waitPastExpiry(at2, SHORT);
    assertAbsent(c, 'k');
  });

  it('factory ttl is the default for set/add/replace/cas/incr; an explicit ttl (0 included) overrides it', async function () {
    const c = make({ ttl: SHORT });
    c.set('set', '1');
    c.add('add', '1');
    c.set('rep', '0', { ttl: LONG });
    c.replace('rep', '1'); // a replace without ttl takes the default
    c.set('cas', '0', { ttl: LONG });
    c.cas('cas', '0', '1');
    c.incr('incr');
    c.set('explicit0', '1', { ttl: 0 });
    c.set('explicitLong', '1', { ttl: LONG });
    const at = nowMs();
    assert.equal(c.ttl('explicit0'), -1);
    assert.ok(c.ttl('explicitLong') > SHORT);
    await waitPastExpiry(at, SHORT);
    for (const k of ['set', 'add', 'rep', 'cas', 'incr']) assertAbsent(c, k);
    assert.equal(c.get('explicit0'), '1');
    assert.equal(c.get('explicitLong'), '1');
    assert.equal(c.stats().size, 2);
  });

  it('expire(): sets, shortens, removes (0) an expiry; false for missing or expired keys', async function () {
    const c = make();
    c.set('a', '1');
    assert.equal(c.expire('a', LONG), true);
    assert.ok(c.ttl('a') > 0);
    assert.equal(c.expire('a', 0), true);
    assert.equal(c.ttl('a'), -1);
    assert.equal(c.expire('missing', 100), false);
    assert.equal(c.has('missing'), false, 'expire must not create a key');
    c.set('b', '2', { ttl: LONG });
    assert.equal(c.expire('b', SHORT), true);
    const at = nowMs();
    c.set('c', '3', { ttl: 400 });
    const atC = nowMs();
    assert.equal(c.expire('c', 0), true, 'expire(0) right after a 400 ms ttl write');
    await waitPastExpiry(Math.max(at, atC), 400); // past both expiries (SHORT < 400)
    assertAbsent(c, 'b');
    assert.equal(c.expire('b', LONG), false, 'an expired key cannot be revived by expire()');
    assertAbsent(c, 'b');
    assert.equal(c.get('a'), '1');
    assert.equal(c.get('c'), '3');
    assert.equal(c.get('a'), '1');
  });

  it('expire() keeps the value and its type', function () {
    const c = make();
    c.set('bin', Buffer.from([0, 1, 2]));
    c.set('str', 'text');
    assert.equal(c.expire('bin', LONG), true);
    assert.equal(c.expire('str', LONG), true);
    assert.deepEqual(c.get('bin'), Buffer.from([0, 1, 2]));
    assert.equal(c.get('str'), 'text');
  });

  it('purgeExpired() removes exactly the expired entries and returns how many', async function () {
    const c = make();
    for (let i = 0; i < 5; i++) c.set(`x${i}`, 'v', { ttl: SHORT });
    const at = nowMs();
    for (let i = 0; i < 3; i++) c.set(`keep${i}`, 'v', { ttl: i === 0 ? 0 : LONG });
    await waitPastExpiry(at, SHORT);
    const expiredBefore = c.stats().expired;
    assert.equal(c.purgeExpired(), 5);
    assert.equal(c.purgeExpired(), 0);
    assert.equal(c.stats().expired - expiredBefore, 5);
    assert.deepEqual(c.keys().sort(), ['keep0', 'keep1', 'keep2']);
    assert.equal(c.stats().size, 3);
    assert.equal(c.checkInvariants(), '');
  });

  it('a full table (evict "none") with an expired entry accepts a new key', async function () {
    const c = make({ maxKeys: 4 });
    c.set('e', 'v', { ttl: SHORT });
    const at = nowMs();
    for (let i = 0; i < 3; i++) assert.equal(c.set(`k${i}`, 'v'), true);
    // Full: a new key is refused, unless a stall already let 'e' expire.
    if (c.set('late', 'v', { ttl: LONG })) assert.equal(c.has('e'), false, 'a full table accepted a new key');
    await waitPastExpiry(at, SHORT);
    c.delete('late'); // in case it got in because the machine stalled past the ttl
    assert.equal(c.set('new', 'v'), true, 'the expired slot must be reusable');
    assert.equal(c.get('new'), 'v');
    assert.equal(c.stats().size, 4);
    assert.equal(c.set('another', 'v'), false, 'the table is full again');
    assert.equal(c.checkInvariants(), '');
  });

  it('incr()/add() on an expired key start afresh', async function () {
    const c = make();
    c.set('n', '41', { ttl: SHORT });
    c.set('a', 'old', { ttl: SHORT });
    const at = nowMs();
    await waitPastExpiry(at, SHORT);
    assert.equal(c.incr('n', 1, { initial: 100 }), 101);
    assert.equal(c.ttl('n'), -1);
    assert.equal(c.add('a', 'new'), true);
    assert.equal(c.get('a'), 'new');
    assert.equal(c.ttl('a'), -1);
  });

  it('the largest ttl (Number.MAX_SAFE_INTEGER) is accepted and does not wrap into the past', function () {
    const c = make();
    assert.equal(c.set('k', 'v', { ttl: Number.MAX_SAFE_INTEGER }), true);
    assert.equal(c.get('k'), 'v');
    assert.ok(c.ttl('k') > 1e15, `ttl ${c.ttl('k')}`);
    assert.equal(c.expire('k', Number.MAX_SAFE_INTEGER), true);
    assert.equal(c.has('k'), true);
    assert.equal(c.purgeExpired(), 0);
  });

  it('rejects bad ttls: negative, fractional, non-number', function () {
    const c = make();
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      assert.throws(() => c.set('k', 'v', { ttl: bad }), { name: 'RangeError' }, String(bad));
      assert.throws(() => c.expire('k', bad), { name: 'RangeError' }, String(bad));
    }
    assert.throws(() => c.set('k', 'v', { ttl: '10' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createCache({ name: nextName('ttl'), ttl: -5 }), { name: 'RangeError' });
    assert.equal(c.has('k'), false, 'a rejected write stores nothing');
  });
});
