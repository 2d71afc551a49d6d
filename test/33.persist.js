'use strict';
// Lifetime of a segment (src/core/segment.h P-rules).
//   persist:false  the data lives while any process has the name open; the
//                  last user to close (or exit) removes the /dev/shm files; a
//                  user killed without closing leaves files but no live user,
//                  so the next opener starts empty.
//   persist:true   the data outlives every process until unlink(name).
const assert = require('node:assert/strict');
const open = require('..');
const { nextName, shmEntries } = require('./helpers/names');
const { client, clients } = require('./helpers/core-client');

describe('persist', function () {
  this.timeout(120000);
  let procs = [];
  afterEach(async function () {
    await Promise.all(procs.map((p) => p.finish().catch(() => p.kill())));
    procs = [];
  });

  describe('persist: false', function () {
    it('later processes attach to the live data while any process has it open', async function () {
      const name = nextName('pf');
      const [a, b, c] = (procs = await clients(3));
      await a.open({ name });
      await a.call('set', 'k', 'from a');
      await b.open({ name });
      assert.equal(await b.call('get', 'k'), 'from a');
      await a.close();
      assert.equal(shmEntries(name).length, 2, 'b still holds it');
      await c.open({ name });
      assert.equal(await c.call('get', 'k'), 'from a', 'a closing did not drop the data b still uses');
      await c.call('set', 'k2', 'from c');
      await b.close();
      assert.equal(shmEntries(name).length, 2, 'c still holds it');
      assert.equal(await c.call('get', 'k2'), 'from c');
      await c.close();
      assert.deepEqual(shmEntries(name), [], 'the last close removes the segment and its lock file');
    });

    it('the last user exiting normally (event loop drained) removes the files', async function () {
      const name = nextName('pfexit');
      const p = await client();
      procs = [p];
      await p.open({ name });
      await p.call('set', 'k', 'v');
      assert.deepEqual(await p.finish(), { code: 0, signal: null });
      assert.deepEqual(shmEntries(name), []);
    });

    it('the last user calling process.exit(0) removes the files', async function () {
      const name = nextName('pfpexit');
      const p = await client();
      procs = [p];
      await p.open({ name });
      await p.call('set', 'k', 'v');
      assert.deepEqual(await p.exit(0), { code: 0, signal: null });
      assert.deepEqual(shmEntries(name), []);
    });

    it('a SIGKILLed sole user leaves no live user: the next opener starts empty', async function () {
      const name = nextName('pfkill');
      const p = await client();
      procs = [p];
      await p.open({ name, maxKeys: 16 });
      await p.call('set', 'k', 'v');
      p.kill();
      assert.equal((await p.exited()).signal, 'SIGKILL');
      assert.equal(shmEntries(name).length, 2, 'killed without closing: the files remain');
      const cache = open({ name, maxKeys: 16 });
      try {
        assert.equal(cache.get('k'), undefined);
        assert.equal(cache.stats().size, 0);
        assert.deepEqual(cache.keys(), []);
        assert.equal(cache.checkInvariants(), '');
        cache.set('fresh', 'yes');
        assert.equal(cache.get('fresh'), 'yes');
      } finally {
        cache.close();
      }
      assert.deepEqual(shmEntries(name), []);
    });

    it('a SIGKILLed user does not disturb data another live process still holds', async function () {
      const name = nextName('pfkill2');
      const [keeper, victim] = (procs = await clients(2));
      await keeper.open({ name });
      await victim.open({ name });
      await victim.call('set', 'k', 'v');
      victim.kill();
      await victim.exited();
      procs = [keeper];
      const cache = open({ name });
      try {
        assert.equal(cache.get('k'), 'v', 'keeper is alive, so the data is live');
      } finally {
        cache.close();
      }
      assert.equal(await keeper.call('get', 'k'), 'v');
      await keeper.close();
      assert.deepEqual(shmEntries(name), []);
    });
  });

  describe('persist: true', function () {
    it('keeps data across process exits until unlink(name), which returns true then false', async function () {
      const name = nextName('pt');
      try {
        const a = await client();
        procs = [a];
        await a.open({ name, persist: true });
        await a.call('set', 'k', 'kept');
        assert.deepEqual(await a.finish(), { code: 0, signal: null });
        assert.equal(shmEntries(name).length, 2, 'persist:true survives its last user');

        const b = await client();
        procs = [b];
        await b.open({ name }); // persist is sticky: this handle does not clear it
        assert.equal(await b.call('get', 'k'), 'kept');
        await b.call('set', 'k2', 'also kept');
        b.kill();
        await b.exited();

        const cache = open({ name });
        try {
          assert.equal(cache.get('k'), 'kept');
          assert.equal(cache.get('k2'), 'also kept', 'even a SIGKILLed user leaves persistent data intact');
          assert.equal(cache.checkInvariants(), '');
        } finally {
          cache.close();
        }
        assert.equal(shmEntries(name).length, 2);
      } finally {
        assert.equal(open.unlink(name), true);
      }
      assert.deepEqual(shmEntries(name), []);
      assert.equal(open.unlink(name), false);
      const fresh = open({ name });
      try {
        assert.equal(fresh.get('k'), undefined, 'after unlink the name starts empty');
      } finally {
        fresh.close();
      }
      assert.deepEqual(shmEntries(name), []);
    });

    it('unlink while a process is attached: it keeps its mapping, new openers get a new segment', async function () {
      const name = nextName('ptul');
      const a = await client();
      procs = [a];
      await a.open({ name, persist: true });
      await a.call('set', 'k', 'old');
      assert.equal(open.unlink(name), true);
      assert.equal(await a.call('get', 'k'), 'old', 'the attached process still reads its mapping');
      const cache = open({ name });
      try {
        assert.equal(cache.get('k'), undefined);
        cache.set('k', 'new');
        assert.equal(await a.call('get', 'k'), 'old', 'the two segments are separate');
        await a.close(); // must not remove the new segment's files
        assert.equal(shmEntries(name).length, 2);
        assert.equal(cache.get('k'), 'new');
      } finally {
        cache.close();
      }
      assert.deepEqual(shmEntries(name), []);
    });
  });
});
