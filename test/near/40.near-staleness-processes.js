'use strict';
// Randomized bounded-staleness checker across processes of one host, with the
// faults the in-process checker cannot inject: SIGKILL of the current leader
// (a replacement process joins), plus CLIENT KILL and FLUSHALL. Readers are
// forked host processes; the writer and the check are here. Reads and write
// acknowledgements are stamped with Date.now() (one machine, one clock).
const assert = require('node:assert');
const Redis = require('ioredis');
const { unlinkNear } = require('../../lib/near');
const { nextName } = require('../helpers/names');
const { startRedis, stopAll, waitFor } = require('./helpers/redis');
const { startHost, killAll, exited } = require('./helpers/host');

const STALE_MS = 1000; // fixtures/host.js: default maxStalenessMs
const RUN_MS = 8000;
const KEYS = Array.from({ length: 64 }, (_, i) => `u:m${i}`);

describe('near cache: multi-process bounded-staleness checker', function () {
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

  it(`no read in any process is older than maxStalenessMs (${STALE_MS} ms), leader SIGKILLs included`, async () => {
    const name = nextName('nearm');
    names.push(name);
    const procs = [];
    const spawnOne = async (mode) => { const h = startHost(name, redis.port, redis.port, 30000, mode); procs.push(h); await h.ready(); return h; };
    await spawnOne('lead');
    await spawnOne('nolead');
    await spawnOne('nolead');
    await spawnOne('lead'); // standby leader
    await waitFor(async () => (await procs[0].call({ op: 'state' })).state === 'live', 15000, 'host live');

    const acks = KEYS.map(() => []); // [ackAt, version]
    const version = KEYS.map(() => 0);
    const end = Date.now() + RUN_MS;
    const faults = {};
    const writer = (async () => {
      while (Date.now() < end) {
        const i = Math.floor(Math.random() * KEYS.length);
        const v = ++version[i];
        await raw.set(KEYS[i], String(v));
        acks[i].push([Date.now(), v]);
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
      }
    })();
    // Two readers that never lead and are never killed; leaders come and go.
    const checks = [procs[1], procs[2]].map((h) => h.call({ op: 'check', keys: KEYS, ms: RUN_MS }, RUN_MS + 30000));
    const injector = (async () => {
      while (Date.now() < end - 1500) {
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
        const kind = !faults['sigkill-leader'] ? 'sigkill-leader' // at least one, first
          : ['sigkill-leader', 'sigkill-leader', 'kill', 'flushall'][Math.floor(Math.random() * 4)];
        if (kind === 'sigkill-leader') {
          const leader = procs.find((h) => h.child.exitCode === null && h.child.signalCode === null
            && h.messages.some((m) => m.type === 'leader') && h !== procs[1] && h !== procs[2]);
          if (!leader) { faults.noLeaderToKill = (faults.noLeaderToKill || 0) + 1; continue; }
          process.kill(leader.pid, 'SIGKILL');
          await exited(leader.child);
          await spawnOne('lead');
        } else if (kind === 'kill') await raw.client('kill', 'type', 'pubsub');
        else await raw.flushall();
        faults[kind] = (faults[kind] || 0) + 1;
      }
    })();
    const [results] = await Promise.all([Promise.all(checks), writer, injector]);
    const newestAckedBefore = (i, t) => {
      const list = acks[i];
      for (let j = list.length - 1; j >= 0; j--) if (list[j][0] < t) return list[j][1];
      return 0;
    };
    let reads = 0; let hits = 0; const violations = [];
    for (const { reads: rs } of results) {
      for (const [t, i, v, hit] of rs) {
        reads++;
        if (hit) hits++;
        const floor = newestAckedBefore(i, t - STALE_MS);
        if (v < floor) violations.push(`${KEYS[i]}: read v${v} (${hit ? 'L1' : 'redis'}) at ${t}, v${floor} acked >${STALE_MS} ms before`);
      }
    }
    console.log(`      ${reads} checked reads (${hits} L1 hits) in 2 follower processes, ${version.reduce((x, y) => x + y)} writes, faults ${JSON.stringify(faults)}, violations ${violations.length}`);
    assert.deepStrictEqual(violations.slice(0, 5), []);
    assert.ok(hits > 100, `too few L1 hits (${hits})`);
    assert.ok((faults['sigkill-leader'] || 0) >= 1, 'no leader was killed');
    for (const h of procs) {
      if (h.child.exitCode === null && h.child.signalCode === null) { await h.call({ op: 'close' }); await exited(h.child); }
    }
  });
});
