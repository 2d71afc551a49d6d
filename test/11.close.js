'use strict';
// close(): idempotent; afterwards every method throws ERR_SHM_CLOSED and the
// segment of a persist:false cache is removed by its last user. Closing one
// handle never affects another handle on the same name.
const assert = require('node:assert/strict');
const open = require('..');
const { nextName, shmEntries } = require('./helpers/names');

const calls = {
  get: (c) => c.get('k'),
  has: (c) => c.has('k'),
  ttl: (c) => c.ttl('k'),
  set: (c) => c.set('k', 'v'),
  add: (c) => c.add('k', 'v'),
  replace: (c) => c.replace('k', 'v'),
  cas: (c) => c.cas('k', 'v', 'w'),
  incr: (c) => c.incr('n'),
  decr: (c) => c.decr('n'),
  expire: (c) => c.expire('k', 1000),
  delete: (c) => c.delete('k'),
  clear: (c) => c.clear(),
  purgeExpired: (c) => c.purgeExpired(),
  keys: (c) => c.keys(),
  entries: (c) => c.entries(),
  stats: (c) => c.stats(),
  checkInvariants: (c) => c.checkInvariants(),
};

describe('close', function () {
  it('is idempotent', function () {
    const name = nextName('close');
    const cache = open({ name });
    cache.set('k', 'v');
    cache.close();
    cache.close();
    cache.close();
    assert.deepEqual(shmEntries(name), []);
  });

  for (const [method, call] of Object.entries(calls)) {
    it(`${method}() after close throws ERR_SHM_CLOSED`, function () {
      const cache = open({ name: nextName('closed'), maxKeys: 4 });
      cache.set('k', 'v');
      cache.close();
      assert.throws(() => call(cache), (err) => {
        assert.ok(err instanceof Error);
        assert.equal(err.code, 'ERR_SHM_CLOSED');
        return true;
      });
      // Still closed, still the same error (no state changed by the failed call).
      assert.throws(() => call(cache), { code: 'ERR_SHM_CLOSED' });
    });
  }

  it('closing one handle leaves another handle on the same name working', function () {
    const name = nextName('twohandles');
    const a = open({ name, maxKeys: 8 });
    const b = open({ name, maxKeys: 8 });
    try {
      a.set('k', 'v');
      a.close();
      assert.equal(b.get('k'), 'v');
      assert.equal(b.set('k2', 'v2'), true);
      assert.deepEqual(shmEntries(name).length, 2, 'b still uses the segment');
      const c = open({ name, maxKeys: 8 });
      assert.equal(c.get('k2'), 'v2', 'a later opener attaches to the live data');
      c.close();
    } finally {
      b.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });
});
