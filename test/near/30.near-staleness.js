'use strict';
// Randomized bounded-staleness checker (NEAR-CACHE.md §5.5 item 15, in-process
// part): a writer bumps per-key versions in Redis; readers on two hosts read
// through get()/getOrLoad() while faults are injected on host A's listener
// path (CLIENT KILL, proxy reset, black hole) and FLUSHALL hits both.
// Asserted: no read returns a version older than the newest version whose
// write was acknowledged more than maxStalenessMs before the read began.
const assert = require('node:assert');
const Redis = require('ioredis');
const { createNearCache, unlinkNear } = require('../../lib/near');
const { nextName } = require('../helpers/names');
const { startRedis, stopAll, startProxy, waitFor } = require('./helpers/redis');

const STALE_MS = 400;
const RUN_MS = Number(process.env.NEAR_CHECK_MS) || 6000; // NEAR_CHECK_MS: a longer soak
// Enough keys, written slowly enough, that a lost invalidation would leave an
// entry stale for longer than the bound before the key's next write (checked
// by mutation: skipping half the listener's deletes is caught).
const KEYS = Array.from({ length: 64 }, (_, i) => `u:c${i}`);

describe('near cache: randomized bounded-staleness checker', function () {
  this.timeout(2 * RUN_MS + 60000);
  let redis; let client; let raw; let proxy; const names = []; const opened = [];
  before(async () => {
    redis = await startRedis();
    client = new Redis({ port: redis.port, host: '127.0.0.1' });
    raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    proxy = await startProxy(redis.port);
  });
  after(async () => {
    for (const n of opened) await n.close();
    client.disconnect(); raw.disconnect();
    await proxy.close();
    await stopAll();
    for (const n of names) unlinkNear(n);
  });

  const mk = (port, extra = {}) => {
    const name = extra.name || nextName('nearc');
    names.push(name);
    const n = createNearCache({
      name, client, prefixes: ['u:'], listen: { port }, maxStalenessMs: STALE_MS, pingIntervalMs: 50, pingTimeoutMs: 200,
      ...extra,
    });
    n.on('error', () => {});
    opened.push(n);
    return n;
  };

  it(`no read is older than maxStalenessMs (${STALE_MS} ms) under injected faults`, async () => {
    const a = mk(proxy.port); const b = mk(redis.port);
    await waitFor(() => a.state === 'live' && b.state === 'live', 10000, 'both live');
    const r = await check(a, b);
    assert.ok(r.l1Hits > 100, `too few L1 hits (${r.l1Hits}) for the check to mean anything`);
  });

  // Two containers sharing /dev/shm but not a network namespace elect two leaders
  // for one host (NEAR-CACHE.md, leader election). Each renews only its own
  // generation, so they keep replacing each other's window: correct, mostly bypassed.
  it('two leaders on one host (as separate network namespaces would give): still no read older than the bound', async () => {
    const name = nextName('nearc2');
    const a = mk(proxy.port, { name, testHooks: { electionName: `${name}:ns1` } });
    const b = mk(redis.port, { name, testHooks: { electionName: `${name}:ns2` } });
    await waitFor(() => a.isLeader && b.isLeader, 10000, 'two leaders');
    const r = await check(a, b);
    assert.ok(a.isLeader && b.isLeader);
    assert.ok(r.flushes > 10, `the two leaders should keep replacing each other's window (${r.flushes} flushes)`);
  });

  async function check(a, b) {
    const acks = new Map(KEYS.map((k) => [k, []])); // [ackAt, version], ascending
    const version = new Map(KEYS.map((k) => [k, 0]));
    const newestAckedBefore = (key, t) => {
      const list = acks.get(key);
      for (let i = list.length - 1; i >= 0; i--) if (list[i][0] < t) return list[i][1];
      return 0;
    };
    const end = performance.now() + RUN_MS;
    const violations = [];
    let checks = 0; let l1Hits = 0; const faults = {};

    const writer = (async () => {
      while (performance.now() < end) {
        const k = KEYS[Math.floor(Math.random() * KEYS.length)];
        const v = version.get(k) + 1;
        version.set(k, v);
        await raw.set(k, String(v));
        acks.get(k).push([performance.now(), v]);
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
      }
    })();
    const reader = (near, label) => (async () => {
      while (performance.now() < end) {
        const k = KEYS[Math.floor(Math.random() * KEYS.length)];
        const t = performance.now();
        let v = near.get(k);
        const hit = v !== undefined;
        if (!hit) v = await near.getOrLoad(k);
        if (v !== undefined) {
          checks++;
          if (hit) l1Hits++;
          const floor = newestAckedBefore(k, t - STALE_MS);
          if (Number(v) < floor) violations.push(`${label} ${k}: read v${v} (${hit ? 'L1' : 'redis'}) but v${floor} was acked >${STALE_MS} ms before`);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const injector = (async () => {
      const kinds = ['kill', 'cut', 'blackhole', 'flushall', 'none'];
      // Every real fault once, in a random order, then random ones: a purely random
      // draw could pick fewer than three kinds in a short run (it did, once).
      const first = kinds.slice(0, 4).sort(() => Math.random() - 0.5);
      for (let n = 0; n < first.length || performance.now() < end - 500; n++) {
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
        const kind = n < first.length ? first[n] : kinds[Math.floor(Math.random() * kinds.length)];
        faults[kind] = (faults[kind] || 0) + 1;
        if (kind === 'kill') await raw.client('kill', 'type', 'pubsub');
        else if (kind === 'cut') proxy.cut();
        else if (kind === 'flushall') await raw.flushall();
        else if (kind === 'blackhole') {
          proxy.blackhole(true);
          await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
          proxy.blackhole(false);
        }
      }
    })();
    await Promise.all([writer, reader(a, 'A'), reader(b, 'B'), injector]);
    const st = a.stats().flushes;
    const flushes = Object.values(st).reduce((x, y) => x + y, 0);
    console.log(`      ${checks} checked reads (${l1Hits} L1 hits), ${[...version.values()].reduce((x, y) => x + y)} writes, faults ${JSON.stringify(faults)}, flushes ${flushes}, violations ${violations.length}`);
    assert.deepStrictEqual(violations.slice(0, 5), []);
    assert.ok(['kill', 'cut', 'blackhole', 'flushall'].every((k) => faults[k] >= 1), `faults ${JSON.stringify(faults)}`);
    return { checks, l1Hits, flushes };
  }
});
