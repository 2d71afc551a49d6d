'use strict';
// Issue 4, observation: stats() counters (hits/misses from get, sets from
// successful writes, deletes from successful deletes), keys()/entries() with
// prefix and limit, and the static unlink().
const assert = require('node:assert/strict');
const fs = require('node:fs');
const createCache = require('..');
const { nextName, shmEntries } = require('./helpers/names');

describe('45 stats, keys/entries, unlink', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('obs'), maxKeys: 64, ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  describe('stats()', function () {
    it('hits and misses count get() calls exactly', function () {
      const c = make();
      c.set('a', '1');
      const s0 = c.stats();
      for (let i = 0; i < 7; i++) c.get('a');
      for (let i = 0; i < 3; i++) c.get('nope');
      const s1 = c.stats();
      assert.equal(s1.hits - s0.hits, 7);
      assert.equal(s1.misses - s0.misses, 3);
    });

    it('sets count successful set/add/replace/cas only; deletes count successful deletes only', function () {
      const c = make({ maxKeys: 4 });
      const s0 = c.stats();
      assert.equal(c.set('a', '1'), true); // +1
      assert.equal(c.add('a', '2'), false);
      assert.equal(c.add('b', '2'), true); // +1
      assert.equal(c.replace('zz', '1'), false);
      assert.equal(c.replace('a', '3'), true); // +1
      assert.equal(c.cas('a', 'wrong', '4'), false);
      assert.equal(c.cas('a', '3', '4'), true); // +1
      c.set('c', '1'); // +1
      c.set('d', '1'); // +1
      assert.equal(c.set('full', '1'), false);
      const s1 = c.stats();
      assert.equal(s1.sets - s0.sets, 6);
      assert.equal(c.delete('a'), true);
      assert.equal(c.delete('a'), false);
      assert.equal(c.delete('never'), false);
      assert.equal(c.delete('b'), true);
      const s2 = c.stats();
      assert.equal(s2.deletes - s1.deletes, 2);
      assert.equal(s2.size, 2);
      assert.equal(s2.capacity, 4);
    });

    it('every handle on a segment sees the sum over handles, including closed ones', function () {
      const name = nextName('obs');
      const a = createCache({ name, maxKeys: 64 });
      const b = createCache({ name, maxKeys: 64 });
      const c = createCache({ name, maxKeys: 64 });
      open.push(a, b);
      a.set('k', 'v');
      for (let i = 0; i < 5; i++) b.get('k');
      for (let i = 0; i < 4; i++) c.get('k');
      c.get('none');
      c.set('k2', 'v');
      c.close(); // its counters are folded into the segment
      const sa = a.stats();
      const sb = b.stats();
      assert.equal(sa.hits, 9);
      assert.equal(sa.misses, 1);
      assert.equal(sa.sets, 2);
      assert.deepEqual(sa, sb);
    });

    it('stats: false stops this handle from counting, not others', function () {
      const name = nextName('obs');
      const quiet = createCache({ name, maxKeys: 64, stats: false });
      const loud = createCache({ name, maxKeys: 64 });
      open.push(quiet, loud);
      quiet.set('k', 'v');
      quiet.get('k');
      quiet.get('none');
      let s = loud.stats();
      assert.equal(s.hits + s.misses + s.sets, 0);
      assert.equal(s.size, 1, 'size is not a counter');
      loud.get('k');
      s = quiet.stats();
      assert.equal(s.hits, 1);
    });
  });

  describe('keys() / entries()', function () {
    function fill(c) {
      c.set('user:1', 'alice');
      c.set('user:2', Buffer.from([1, 2]));
      c.set('user:10', 'carol');
      c.set('session:1', 's');
      c.set('u', 'short');
    }

    it('without options: every live key; entries pair each with its typed value', function () {
      const c = make();
      fill(c);
      assert.deepEqual(c.keys().sort(), ['session:1', 'u', 'user:1', 'user:10', 'user:2']);
      const e = new Map(c.entries());
      assert.equal(e.size, 5);
      assert.equal(e.get('user:1'), 'alice');
      assert.deepEqual(e.get('user:2'), Buffer.from([1, 2]));
      assert.equal(e.get('u'), 'short');
    });

    it('prefix (string or Buffer) selects keys that start with its bytes', function () {
      const c = make();
      fill(c);
      assert.deepEqual(c.keys({ prefix: 'user:' }).sort(), ['user:1', 'user:10', 'user:2']);
      assert.deepEqual(c.keys({ prefix: 'user:1' }).sort(), ['user:1', 'user:10']);
      assert.deepEqual(c.keys({ prefix: Buffer.from('session') }), ['session:1']);
      assert.deepEqual(c.keys({ prefix: 'nothing' }), []);
      assert.deepEqual(c.keys({ prefix: '' }).length, 5);
      assert.deepEqual(c.entries({ prefix: 'user:1' }).sort(), [['user:1', 'alice'], ['user:10', 'carol']]);
      assert.deepEqual(c.keys({ prefix: 'user:10x' }), [], 'a prefix longer than the key matches nothing');
    });

    it('limit caps the count (0 = none), alone and with a prefix', function () {
      const c = make();
      fill(c);
      assert.deepEqual(c.keys({ limit: 0 }), []);
      assert.equal(c.keys({ limit: 2 }).length, 2);
      assert.equal(c.entries({ limit: 3 }).length, 3);
      assert.equal(c.keys({ limit: 100 }).length, 5);
      const two = c.keys({ prefix: 'user:', limit: 2 });
      assert.equal(two.length, 2);
      for (const k of two) assert.ok(k.startsWith('user:'));
      assert.equal(new Set(two).size, 2);
    });

    it('invalid options are rejected', function () {
      const c = make();
      assert.throws(() => c.keys({ limit: -1 }), { name: 'RangeError' });
      assert.throws(() => c.keys({ limit: 1.5 }), { name: 'RangeError' });
      assert.throws(() => c.keys({ prefix: 5 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => c.entries(null), { name: 'TypeError' });
    });

    it('lists a full table of the largest keys exactly once each', function () {
      const c = make({ maxKeys: 50, keySize: 200 });
      const want = [];
      for (let i = 0; i < 50; i++) {
        const k = `${String(i).padStart(3, '0')}${'k'.repeat(197)}`;
        want.push(k);
        c.set(k, String(i));
      }
      assert.deepEqual(c.keys().sort(), want);
      const e = c.entries();
      assert.equal(e.length, 50);
      for (const [k, v] of e) assert.equal(Number(v), Number(k.slice(0, 3)));
    });
  });

  describe('static unlink(name)', function () {
    it('removes the segment: true once, then false; attached handles keep their mapping; a new open starts empty', function () {
      const name = nextName('obs');
      const old = createCache({ name, maxKeys: 8 });
      open.push(old);
      old.set('k', 'v');
      assert.ok(shmEntries(name).includes(`/dev/shm/fsmm.${name}`));
      assert.equal(createCache.unlink(name), true);
      assert.equal(fs.existsSync(`/dev/shm/fsmm.${name}`), false);
      assert.equal(createCache.unlink(name), false);
      assert.equal(old.get('k'), 'v', 'the attached handle still works');
      const fresh = createCache({ name, maxKeys: 8 });
      open.push(fresh);
      assert.equal(fresh.get('k'), undefined);
      fresh.set('k', 'new');
      assert.equal(old.get('k'), 'v', 'the unlinked mapping is separate from the new segment');
      // The last close of the unlinked segment must not remove its successor (P5 acts on its own inode).
      old.close();
      assert.equal(fs.existsSync(`/dev/shm/fsmm.${name}`), true, 'closing the old handle removed the new segment');
      const third = createCache({ name, maxKeys: 8 });
      open.push(third);
      assert.equal(third.get('k'), 'new');
    });

    it('removes a persistent segment that no process has open', function () {
      const name = nextName('obs');
      const p = createCache({ name, maxKeys: 8, persist: true });
      p.set('k', 'kept');
      p.close();
      const again = createCache({ name, maxKeys: 8 });
      assert.equal(again.get('k'), 'kept');
      again.close();
      assert.equal(createCache.unlink(name), true);
      assert.deepEqual(shmEntries(name), []);
      const fresh = createCache({ name, maxKeys: 8 });
      open.push(fresh);
      assert.equal(fresh.get('k'), undefined);
    });

    it('validates the name', function () {
      assert.throws(() => createCache.unlink(5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => createCache.unlink('a/b'), { name: 'RangeError' });
    });
  });
});
