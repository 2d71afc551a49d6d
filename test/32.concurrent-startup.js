'use strict';
// Many processes opening the same NEW name at the same moment all attach to
// one segment, initialised exactly once: a second initialisation would wipe
// the keys written by the processes that were already attached.
const assert = require('node:assert/strict');
const { nextName, shmEntries } = require('./helpers/names');
const { clients } = require('./helpers/core-client');
const { sorted } = require('./helpers/core-util');

describe('concurrent startup', function () {
  this.timeout(180000);
  let procs = [];
  afterEach(async function () {
    await Promise.all(procs.map((p) => p.finish().catch(() => p.kill())));
    procs = [];
  });

  it('6 processes released together on a new name share one segment (5 rounds)', async function () {
    const n = 6;
    procs = await clients(n); // all forked and ready before any opens
    for (let round = 0; round < 5; round++) {
      const name = nextName('start');
      assert.deepEqual(shmEntries(name), []);
      const maxKeys = 32 + round;
      // Release: every open request is sent before any reply is awaited.
      // Each writes its own key in the same turn as its open...
      const opened = await Promise.all(procs.map((p, i) => p.open({ name, maxKeys }, [`proc${i}`, String(p.pid)])));
      for (const s of opened) assert.equal(s.capacity, maxKeys);
      // ...and each then sees every key: nobody initialised over anybody else.
      const want = procs.map((_, i) => `proc${i}`);
      for (const [i, p] of procs.entries()) {
        assert.deepEqual(sorted(await p.call('keys')), sorted(want), `round ${round}, process ${i}`);
        for (const [j, q] of procs.entries()) assert.equal(await p.call('get', `proc${j}`), String(q.pid));
      }
      const inodes = await Promise.all(procs.map((p) => p.ino(`/dev/shm/fsmm.${name}`)));
      assert.equal(new Set(inodes).size, 1, `one segment file: ${inodes}`);
      assert.equal(await procs[0].call('checkInvariants'), '');
      const stats = await procs[0].call('stats');
      assert.equal(stats.size, n);
      assert.equal(stats.recoveries, 0);
      // Everyone closes at once; the last closer removes the files.
      await Promise.all(procs.map((p) => p.close()));
      assert.deepEqual(shmEntries(name), [], `round ${round}: files left after the last close`);
    }
  });

  it('6 processes racing open, set and close on one name never split the cache', async function () {
    const n = 6;
    procs = await clients(n);
    const name = nextName('churn');
    // Process 0 keeps the segment alive; the others open/close concurrently.
    await procs[0].open({ name, maxKeys: 64 });
    await procs[0].call('set', 'anchor', 'a');
    for (let round = 0; round < 10; round++) {
      await Promise.all(procs.slice(1).map(async (p, i) => {
        await p.open({ name, maxKeys: 64 });
        assert.equal(await p.call('get', 'anchor'), 'a');
        await p.call('set', `r${round}-p${i}`, 'x');
        await p.close();
      }));
    }
    const keys = await procs[0].call('keys');
    assert.equal(keys.length, 1 + 10 * (n - 1));
    assert.equal(await procs[0].call('checkInvariants'), '');
    await procs[0].close();
    assert.deepEqual(shmEntries(name), []);
  });
});
