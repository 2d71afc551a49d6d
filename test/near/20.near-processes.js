'use strict';
// Near cache across real processes of one host: leader election through the
// kernel (SIGKILL of the leader), host-wide single-flight.
const assert = require('node:assert');
const Redis = require('ioredis');
const { unlinkNear } = require('../../lib/near');
const { nextName } = require('../helpers/names');
const { startRedis, stopAll, waitFor } = require('./helpers/redis');
const { startHost, killAll, exited } = require('./helpers/host');

const STALE_MS = 1000; // fixtures/host.js uses the default maxStalenessMs

describe('near cache across processes (real redis-server)', function () {
  let redis; let raw; const names = [];

  before(async () => {
    redis = await startRedis();
    raw = new Redis({ port: redis.port, host: '127.0.0.1' });
  });
  after(async () => {
    killAll();
    raw.disconnect();
    await stopAll();
    for (const n of names) unlinkNear(n);
  });

  async function liveIn(h) {
    await waitFor(async () => (await h.call({ op: 'state' })).state === 'live', 15000, `host process ${h.pid} live`);
  }
  async function fillIn(h, key) {
    await waitFor(async () => {
      await h.call({ op: 'getOrLoad', key });
      return (await h.call({ op: 'get', key })).value !== undefined;
    }, 15000, `fill of ${key} in ${h.pid}`);
  }

  it('SIGKILL of the leader: no hit older than the bound, a follower takes over and flushes', async () => {
    const name = nextName('nearp');
    names.push(name);
    const p1 = startHost(name, redis.port, redis.port);
    await p1.ready();
    await p1.next((m) => m.type === 'leader');
    await liveIn(p1);
    const p2 = startHost(name, redis.port, redis.port);
    await p2.ready();
    assert.strictEqual((await p2.call({ op: 'state' })).isLeader, false);
    await raw.set('u:lk', 'old');
    await fillIn(p2, 'u:lk');
    process.kill(p1.pid, 'SIGKILL');
    await exited(p1.child);
    await raw.set('u:lk', 'new'); // nobody listens: this invalidation is lost
    const ackAt = Date.now();
    const leader = p2.next((m) => m.type === 'leader', 15000);
    let stale = 0;
    await waitFor(async () => {
      const before = Date.now();
      const r = await p2.call({ op: 'get', key: 'u:lk' });
      if (r.value === 'old') { stale++; assert.ok(before - ackAt <= STALE_MS, `stale hit ${before - ackAt} ms after the write`); }
      return r.value === undefined;
    }, 15000, 'bypass after leader death');
    await leader;
    const tookOverMs = Date.now() - ackAt;
    await liveIn(p2);
    assert.notStrictEqual((await p2.call({ op: 'get', key: 'u:lk' })).value, 'old');
    await fillIn(p2, 'u:lk');
    assert.strictEqual((await p2.call({ op: 'get', key: 'u:lk' })).value, 'new');
    const { stats } = await p2.call({ op: 'stats' });
    assert.strictEqual(stats.leaderPid, p2.pid);
    console.log(`      takeover: new leader after ~${tookOverMs} ms; ${stale} reads of the old value within the bound`);
    await p2.call({ op: 'close' });
    await exited(p2.child);
  });

  it('SIGSTOP of the leader: bypass within the bound, recovery with a flush after SIGCONT', async () => {
    const name = nextName('nearp');
    names.push(name);
    const p1 = startHost(name, redis.port, redis.port);
    await p1.ready();
    await p1.next((m) => m.type === 'leader');
    await liveIn(p1);
    const p2 = startHost(name, redis.port, redis.port);
    await p2.ready();
    const inv0 = (await p2.call({ op: 'stats' })).stats.invalidations;
    await raw.set('u:stop', 'old');
    // Its invalidation must be applied before the fill, or it could drop the entry
    // after the fill and make the miss below look like a bypass.
    await waitFor(async () => (await p2.call({ op: 'stats' })).stats.invalidations > inv0, 15000, 'invalidation of the first write');
    await fillIn(p2, 'u:stop');
    const s2 = (await p2.call({ op: 'stats' })).stats;
    assert.deepStrictEqual([s2.leaderPid, s2.isLeader], [p1.pid, false], `leadership moved: ${JSON.stringify([s2, p1.messages, p2.messages])}`);
    const followerDown = p2.next((m) => m.type === 'state' && m.state === 'down' && !m.isLeader, 15000);
    process.kill(p1.pid, 'SIGSTOP');
    try {
      await raw.set('u:stop', 'new'); // the frozen leader cannot apply this invalidation
      const ackAt = Date.now();
      await waitFor(async () => {
        const before = Date.now();
        const r = await p2.call({ op: 'get', key: 'u:stop' });
        if (r.value === 'old') assert.ok(before - ackAt <= STALE_MS, `stale hit ${before - ackAt} ms after the write`);
        // A miss is not enough (a flush just before the freeze also gives one): the host must go DOWN.
        return (await p2.call({ op: 'state' })).state === 'down';
      }, 15000, 'host DOWN while the leader is frozen');
      assert.strictEqual((await p2.call({ op: 'get', key: 'u:stop' })).value, undefined);
      // The follower's 'state' event: nobody flushed, the window ran out.
      assert.strictEqual((await followerDown).reason, 'expired');
    } finally {
      process.kill(p1.pid, 'SIGCONT');
    }
    await liveIn(p2);
    await p2.next((m) => m.type === 'state' && m.state === 'live' && !m.isLeader, 15000);
    assert.notStrictEqual((await p2.call({ op: 'get', key: 'u:stop' })).value, 'old');
    await fillIn(p2, 'u:stop');
    assert.strictEqual((await p2.call({ op: 'get', key: 'u:stop' })).value, 'new');
    for (const h of [p1, p2]) { await h.call({ op: 'close' }); await exited(h.child); }
  });

  it('invalidation storm against a frozen leader: the server cuts the listener, the host flushes, no stale read', async () => {
    await raw.config('SET', 'client-output-buffer-limit', 'pubsub 262144 131072 5');
    const name = nextName('nearp');
    names.push(name);
    const p1 = startHost(name, redis.port, redis.port);
    await p1.ready();
    await p1.next((m) => m.type === 'leader');
    await liveIn(p1);
    const p2 = startHost(name, redis.port, redis.port);
    await p2.ready();
    try {
      await raw.set('u:storm', 'old');
      await fillIn(p2, 'u:storm');
      const before = (await p2.call({ op: 'stats' })).stats.flushes.disconnect;
      const s2 = (await p2.call({ op: 'stats' })).stats;
      assert.deepStrictEqual([s2.leaderPid, s2.isLeader], [p1.pid, false], `leadership moved: ${JSON.stringify([s2, p1.messages, p2.messages])}`);
      const listener = new RegExp(`name=fsmm-near:${name}:${p1.pid} .*flags=PtB`);
      assert.match(await raw.client('list', 'type', 'pubsub'), listener);
      process.kill(p1.pid, 'SIGSTOP');
      await raw.set('u:storm', 'new');
      const ackAt = Date.now();
      // ~100k invalidations for the frozen listener: far beyond socket buffers + the 256 KB limit.
      await waitFor(async () => {
        const pipe = raw.pipeline();
        for (let i = 0; i < 10000; i++) pipe.set(`u:s${i}`, 'x');
        await pipe.exec();
        return !listener.test(await raw.client('list', 'type', 'pubsub'));
      }, 30000, 'server disconnecting the listener');
      const r = await p2.call({ op: 'get', key: 'u:storm' });
      if (r.value === 'old') assert.ok(r.t - ackAt <= STALE_MS, 'stale hit beyond the bound');
      process.kill(p1.pid, 'SIGCONT');
      await waitFor(async () => (await p2.call({ op: 'stats' })).stats.flushes.disconnect > before, 15000, 'disconnect flush');
      await liveIn(p2);
      await fillIn(p2, 'u:storm');
      assert.strictEqual((await p2.call({ op: 'get', key: 'u:storm' })).value, 'new');
    } finally {
      try { process.kill(p1.pid, 'SIGCONT'); } catch { /* gone */ }
      await raw.config('SET', 'client-output-buffer-limit', 'pubsub 33554432 8388608 60');
    }
    for (const h of [p1, p2]) { await h.call({ op: 'close' }); await exited(h.child); }
  });

  it('single-flight across the processes of one host: 8 processes, one loader call', async () => {
    const name = nextName('nearp');
    names.push(name);
    const hosts = [];
    for (let i = 0; i < 8; i++) { const h = startHost(name, redis.port, redis.port); hosts.push(h); await h.ready(); }
    await liveIn(hosts[0]);
    const vals = await Promise.all(hosts.map((h) => h.call({ op: 'getOrLoad', key: 'u:sfp', loadMs: 300 })));
    const loads = Number(await raw.get('loads:u:sfp'));
    assert.strictEqual(loads, 1, `loader ran ${loads} times`);
    const distinct = new Set(vals.map((r) => r.value));
    assert.strictEqual(distinct.size, 1);
    assert.match([...distinct][0], /^loaded-by-\d+$/);
    for (const h of hosts) { await h.call({ op: 'close' }); await exited(h.child); }
  });
});
