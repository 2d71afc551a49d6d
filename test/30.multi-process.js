'use strict';
// Several processes on one cache: forked children and a cluster. Values are
// sealed (payload + ':' + fnv1a(payload)), so any torn or mixed read fails;
// each process also checks its own keys against an exact model while the
// others' deletes shift entries around them. All synchronisation is by
// messages; every wait is bounded and kills the child it waits for.
const assert = require('node:assert/strict');
const open = require('..');
const child = require('./helpers/child');
const { nextName, shmEntries } = require('./helpers/names');
const { clients } = require('./helpers/core-client');
const { verify, sealed } = require('./helpers/core-util');

const HOT = Array.from({ length: 8 }, (_, i) => `hot${i}`);

function checkResults(results) {
  for (const [i, r] of results.entries()) {
    assert.equal(r.torn, 0, `process ${i} read torn values: ${JSON.stringify(r.tornSample)}`);
    assert.equal(r.mismatches, 0, `process ${i} saw its own keys wrong: ${JSON.stringify(r.mismatchSample)}`);
    assert.equal(r.setFailures, 0, `process ${i}: set returned false below capacity`);
  }
}

describe('multi-process', function () {
  this.timeout(180000);
  let procs = [];
  afterEach(async function () {
    await Promise.all(procs.map((p) => p.finish().catch(() => p.kill())));
    procs = [];
  });

  for (const [label, maxKeys, iterations] of [
    ['small table (many shifts)', 128, 100000],
    ['default sizes', 1024, 100000],
  ]) {
    it(`4 processes on the same hot keys and their own keys: no torn read, no lost own key (${label})`, async function () {
      const name = nextName('mp');
      const parent = open({ name, maxKeys });
      try {
        procs = await clients(4);
        await Promise.all(procs.map((p) => p.open({ name, maxKeys })));
        // Released together; each runs its loop synchronously.
        const results = await Promise.all(procs.map((p, i) => p.hammer({
          id: `p${i}`, seed: 0x30 + i, iterations, hot: HOT, ownPrefix: `p${i}-`, ownCount: 24,
        })));
        checkResults(results);
        const hits = results.reduce((n, r) => n + r.hotHits, 0);
        assert.ok(hits > 1000, `the hot keys were actually read while being written (${hits} hits)`);
        // Final state, verified by the parent through its own handle.
        let expected = 0;
        for (const r of results) {
          expected += r.own.length;
          for (const [k, v] of r.own) assert.equal(parent.get(k), v, k);
        }
        for (const k of HOT) {
          const v = parent.get(k);
          if (v !== undefined) {
            expected++;
            assert.ok(verify(v), `hot key ${k} holds a torn value ${v}`);
          }
        }
        assert.equal(parent.stats().size, expected);
        assert.equal(parent.keys().length, expected);
        assert.equal(parent.checkInvariants(), '');
        assert.equal(await procs[0].call('checkInvariants'), '');
      } finally {
        parent.close();
      }
    });
  }

  it('4 processes on disjoint key ranges: every final value is the last one written', async function () {
    const name = nextName('mpdis');
    procs = await clients(4);
    await Promise.all(procs.map((p) => p.open({ name, maxKeys: 4096 })));
    const results = await Promise.all(procs.map((p, i) => p.hammer({
      id: `d${i}`, seed: 0xd0 + i, iterations: 50000, ownPrefix: `r${i}:`, ownCount: 500,
    })));
    checkResults(results);
    const parent = open({ name, maxKeys: 4096 });
    try {
      let expected = 0;
      for (const r of results) {
        expected += r.own.length;
        for (const [k, v] of r.own) assert.equal(parent.get(k), v, k);
      }
      assert.equal(parent.stats().size, expected);
      assert.equal(parent.checkInvariants(), '');
    } finally {
      parent.close();
    }
  });

  it('a completed set in one process is visible to the next get in another (message-synchronised)', async function () {
    const name = nextName('mpvis');
    procs = await clients(4);
    await Promise.all(procs.map((p) => p.open({ name, maxKeys: 64 })));
    for (let round = 0; round < 40; round++) {
      const writer = procs[round % 4];
      const reader = procs[(round + 1 + (round % 3)) % 4]; // offsets 1..3: always another process
      const key = `vis${round % 5}`;
      const value = sealed(`round ${round}`);
      assert.equal(await writer.call('set', key, value), true);
      assert.equal(await reader.call('get', key), value, `round ${round}: set in ${writer.pid} not visible in ${reader.pid}`);
      if (round % 3 === 0) {
        assert.equal(await reader.call('delete', key), true);
        assert.equal(await writer.call('has', key), false, `round ${round}: delete not visible`);
        assert.equal(await writer.call('get', key), undefined);
      }
    }
    assert.equal(await procs[2].call('checkInvariants'), '');
  });

  it('a cluster primary with 4 workers: hot and own keys, final state verified by the primary', async function () {
    const name = nextName('cluster');
    const primary = child.start('core-cluster', [name, 4, 100000, 256], { timeoutMs: 170000 });
    const msg = await primary.next((m) => m && (m.type === 'result' || m.type === 'error'));
    assert.equal(msg.type, 'result', msg.message);
    checkResults(msg.workers);
    assert.equal(msg.workers.length, 4);
    assert.ok(msg.workers.reduce((n, r) => n + r.hotHits, 0) > 1000, 'hot keys were read');
    assert.deepEqual(msg.final.badHot, []);
    assert.deepEqual(msg.final.ownErrors, []);
    assert.equal(msg.final.size, msg.final.expectedSize);
    assert.equal(msg.final.invariants, '');
    const exit = await primary.exited();
    assert.deepEqual(exit, { code: 0, signal: null });
    const late = primary.messages.filter((m) => m.type === 'error');
    assert.deepEqual(late, [], 'no worker failed');
    assert.deepEqual(shmEntries(name), [], 'the last user removed the segment');
  });
});
