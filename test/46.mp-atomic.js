'use strict';
// Issue 4, multi-process atomicity: incr, add and cas from 4 real processes
// released together (each worker spins on a shared barrier key the parent
// sets once all are armed). The parent keeps its handle open throughout, so
// the (non-persistent) segment lives until the test ends.
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { startWorkers, runAll, closeWorkers, killWorkers } = require('./helpers/workers');
const { nowMs, waitPastExpiry } = require('./helpers/time');

const WORKERS = 4;
const LIMIT = 120000; // ms per awaited message; a busy 2-core machine

describe('46 multi-process atomicity (4 processes)', function () {
  this.timeout(4 * LIMIT);
  let ws = [];
  let cache;
  afterEach(function () {
    killWorkers(ws);
    ws = [];
    if (cache) cache.close();
    cache = undefined;
  });

  async function setup(opts = {}) {
    const o = { name: nextName('mpa'), maxKeys: 1024, ...opts };
    cache = createCache(o);
    ws = await startWorkers(WORKERS, o, { timeoutMs: LIMIT });
    return o;
  }
  const go = () => ({ barrierKey: 'go', release: () => cache.set('go', '1'), timeoutMs: LIMIT });

  it('4 x 25,000 incr on one key end at exactly 100,000, and every result 1..100,000 is handed out once', async function () {
    await setup();
    const N = 25000;
    const replies = await runAll(ws, { cmd: 'incr', key: 'ctr', n: N, collect: true }, go());
    assert.equal(cache.get('ctr'), String(WORKERS * N));
    assert.equal(cache.incr('ctr', 0), WORKERS * N);
    const seen = new Uint8Array(WORKERS * N + 1);
    for (const r of replies) {
      assert.equal(r.results.length, N);
      for (let i = 0; i < N; i++) {
        const v = r.results[i];
        assert.ok(Number.isInteger(v) && v >= 1 && v <= WORKERS * N, `worker ${r.id} got ${v}`);
        if (i > 0) assert.ok(v > r.results[i - 1], `worker ${r.id}: results went backwards`);
        assert.equal(seen[v], 0, `result ${v} was returned twice`);
        seen[v] = 1;
      }
    }
    await closeWorkers(ws, LIMIT);
    assert.equal(cache.checkInvariants(), '');
  });

  it('4 processes racing add() on the same fresh keys: exactly one wins each key, and its value is stored', async function () {
    await setup();
    const ROUNDS = 200;
    // Each round also starts at a barrier inside the cache (parties), so
    // every key is contended, not won by whichever worker ran first.
    const replies = await runAll(ws, { cmd: 'addRace', prefix: 'race:', rounds: ROUNDS, parties: WORKERS }, go());
    const winner = new Array(ROUNDS).fill(-1);
    for (const r of replies) {
      for (const round of r.won) {
        assert.equal(winner[round], -1, `race:${round} won by workers ${winner[round]} and ${r.id}`);
        winner[round] = r.id;
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      assert.notEqual(winner[round], -1, `nobody won race:${round}`);
      assert.equal(cache.get(`race:${round}`), String(winner[round]), `race:${round} holds another worker's value`);
    }
    assert.equal(cache.keys({ prefix: 'race:' }).length, ROUNDS, 'one entry per key (no duplicates)');
    await closeWorkers(ws, LIMIT);
    assert.equal(cache.checkInvariants(), '');
  });

  it('4 processes racing add() over expired entries: exactly one reclaims each key', async function () {
    await setup();
    const ROUNDS = 100;
    for (let r = 0; r < ROUNDS; r++) cache.set(`exp:${r}`, 'stale', { ttl: 30 });
    await waitPastExpiry(nowMs(), 30);
    const replies = await runAll(ws, { cmd: 'addRace', prefix: 'exp:', rounds: ROUNDS, parties: WORKERS }, go());
    const winner = new Array(ROUNDS).fill(-1);
    for (const r of replies) {
      for (const round of r.won) {
        assert.equal(winner[round], -1, `exp:${round} won by workers ${winner[round]} and ${r.id}`);
        winner[round] = r.id;
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      assert.notEqual(winner[round], -1, `nobody reclaimed exp:${round}`);
      assert.equal(cache.get(`exp:${round}`), String(winner[round]));
      assert.equal(cache.ttl(`exp:${round}`), -1);
    }
    assert.equal(cache.keys({ prefix: 'exp:' }).length, ROUNDS);
    await closeWorkers(ws, LIMIT);
    assert.equal(cache.checkInvariants(), '');
  });

  it('a counter built from cas() loops in 4 processes ends exact', async function () {
    await setup();
    const N = 5000;
    cache.set('casctr', '0');
    await runAll(ws, { cmd: 'casCounter', key: 'casctr', n: N }, go());
    assert.equal(cache.get('casctr'), String(WORKERS * N));
    await closeWorkers(ws, LIMIT);
    assert.equal(cache.checkInvariants(), '');
  });

  it('incr with mixed deltas and initial/ttl options from 4 processes: exact, created once', async function () {
    await setup();
    const N = 5000;
    // Workers 0,1 add +3; workers 2,3 add -1: net 2*N*3 - 2*N = 4N on top of
    // the one initial value (100) used by whichever call created the key.
    const options = (i) => ({ initial: 100, ttl: i === 0 ? 600000 : 900000 });
    await runAll(ws, (i) => ({ cmd: 'incr', key: 'mix', n: N, delta: i < 2 ? 3 : -1, options: options(i) }), go());
    assert.equal(cache.incr('mix', 0), 100 + 4 * N, 'initial applied more than once, or an update was lost');
    const ttl = cache.ttl('mix');
    assert.ok(ttl > 0 && ttl <= 900000, `ttl ${ttl}: the creating call's ttl must stay`);
    await closeWorkers(ws, LIMIT);
  });
});
