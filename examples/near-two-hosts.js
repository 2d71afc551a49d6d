'use strict';
// Two "hosts" sharing one Redis, each with its own shared-memory L1
// (fast-sharedmemory-mmap/near). On real machines each host runs the same code
// with the same `name`; here two names stand in for two hosts.
//
//   redis-server --port 6379 &          # Redis >= 6.2 (tested on 7.0.15)
//   REDIS_PORT=6379 node examples/near-two-hosts.js
const Redis = require('ioredis'); // the app's own client: the package has no Redis dependency
const { createNearCache, unlinkNear } = require('fast-sharedmemory-mmap/near');

const port = Number(process.env.REDIS_PORT || 6379);

function host(name) {
  const client = new Redis({ port, host: '127.0.0.1' });
  const near = createNearCache({
    name, client, prefixes: ['user:'], listen: { port, host: '127.0.0.1' },
    maxKeys: 10_000, keySize: 64, valueSize: 1024, maxStalenessMs: 1000,
  });
  near.on('error', (err) => console.error(`${name}:`, err.message));
  return { near, client };
}

const until = (pred, ms) => new Promise((resolve, reject) => {
  const deadline = Date.now() + ms;
  (function poll() {
    if (pred()) return resolve();
    if (Date.now() > deadline) return reject(new Error('timed out'));
    setTimeout(poll, 5);
  })();
});

(async () => {
  const a = host('demo-host-a');
  const b = host('demo-host-b');
  try {
    await until(() => a.near.state === 'live' && b.near.state === 'live', 5000);
    await b.near.set('user:42', JSON.stringify({ name: 'Ada' }));
    // Read-through on A; retried once in case the first fill raced the write's own invalidation.
    for (let i = 0; i < 2 && a.near.get('user:42') === undefined; i++) await a.near.getOrLoad('user:42');
    console.log('A L1 hit  :', a.near.get('user:42'));
    const t0 = process.hrtime.bigint();
    await b.near.set('user:42', JSON.stringify({ name: 'Ada Lovelace' }));
    await until(() => a.near.get('user:42') === undefined, 1000);
    console.log(`A dropped its copy ${(Number(process.hrtime.bigint() - t0) / 1e3).toFixed(0)} µs after B's write was issued`);
    console.log('A reload  :', await a.near.getOrLoad('user:42'));
    console.log('A stats   :', a.near.stats());
  } finally {
    for (const [h, name] of [[a, 'demo-host-a'], [b, 'demo-host-b']]) {
      await h.near.close();
      h.client.disconnect();
      unlinkNear(name);
    }
  }
})().catch((err) => { console.error(err); process.exitCode = 1; });
