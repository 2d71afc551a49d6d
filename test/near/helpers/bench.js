'use strict';
// near.get (trusted L1 hit) vs a plain cache get on a segment of the same geometry.
// Usage: node test/near/helpers/bench.js   (starts its own redis-server on loopback)
// Prints median ns/op over rounds, and the Redis GET count during the hit loop (must be 0).
const Redis = require('ioredis');
const createCache = require('../../..');
const { createNearCache, unlinkNear } = require('../../../lib/near');
const { startRedis, stopAll, waitFor } = require('./redis');
const { startHost, killAll } = require('./host');

const N = 2_000_000;
const ROUNDS = 7;

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N;
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

(async () => {
  const redis = await startRedis();
  const client = new Redis({ port: redis.port, host: '127.0.0.1' });
  const tag = `bench-${process.pid}`;
  // The listener runs in another process of the "host" (a blocked benchmark loop
  // would starve its heartbeat, and the L1 would correctly go to bypass).
  const leader = startHost(`${tag}-n`, redis.port, redis.port);
  await leader.next((m) => m.type === 'leader');
  const near = createNearCache({ name: `${tag}-n`, client, prefixes: ['u:'], listen: { port: redis.port } });
  const plain = createCache({ name: `${tag}-p`, maxKeys: 1024, keySize: 64 + 24, valueSize: 256, evict: 'lru' });
  try {
    await waitFor(() => near.state === 'live', 10000, 'live');
    const value = 'x'.repeat(100);
    await client.set('u:hot', value);
    await waitFor(async () => { await near.getOrLoad('u:hot'); return near.get('u:hot') !== undefined; }, 10000, 'fill');
    plain.set('u:hot', value);
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] || 0);
    const before = await gets();
    const nearNs = []; const plainNs = [];
    let sink = 0;
    for (let r = 0; r < ROUNDS; r++) {
      plainNs.push(time(() => { for (let i = 0; i < N; i++) sink += plain.get('u:hot').length; }));
      nearNs.push(time(() => { for (let i = 0; i < N; i++) sink += near.get('u:hot').length; }));
    }
    const after = await gets();
    const p = median(plainNs); const n = median(nearNs);
    console.log(`plain get ${p.toFixed(0)} ns/op, near.get hit ${n.toFixed(0)} ns/op, ratio ${(n / p).toFixed(2)} (median of ${ROUNDS} x ${N}); Redis GETs during the hit loops: ${after - before} (sink ${sink > 0})`);
  } finally {
    await near.close();
    await leader.call({ op: 'close' }).catch(() => {});
    killAll();
    plain.close();
    client.disconnect();
    unlinkNear(`${tag}-n`);
    createCache.unlink(`${tag}-p`);
    await stopAll();
  }
})().catch(async (err) => { console.error(err); killAll(); await stopAll(); process.exit(1); });
