'use strict';
// cluster: the primary opens the cache (so it outlives worker churn), forks
// workers, and each worker does a fixed number of atomic incr() calls on one
// shared counter plus its own per-worker counter. No update is lost, so the
// total the primary prints is exact: WORKERS * OPS.
//
//   node examples/cluster.js [workers] [ops]
const cluster = require('node:cluster');
const os = require('node:os');
const createCache = require('fast-sharedmemory-mmap');

const WORKERS = Number(process.argv[2]) || Math.max(2, os.availableParallelism());
const OPS = Number(process.argv[3]) || 10000;

if (cluster.isPrimary) {
  const name = `example-cluster-${process.pid}`;
  const cache = createCache({ name, maxKeys: 1024 });
  const started = process.hrtime.bigint();
  let failed = 0;

  for (let w = 0; w < WORKERS; w++) cluster.fork({ CACHE_NAME: name, OPS: String(OPS) });
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0 || signal) failed++;
    if (Object.keys(cluster.workers).length > 0) return;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const perWorker = cache.keys({ prefix: 'worker:' }).sort().map((k) => `${k}=${cache.get(k)}`);
    const total = Number(cache.get('total'));
    console.log(perWorker.join('\n'));
    console.log(`total = ${total} (expected ${WORKERS * OPS}) in ${ms.toFixed(0)} ms with ${WORKERS} workers`);
    cache.close(); // last user: the segment is removed from /dev/shm
    process.exitCode = failed === 0 && total === WORKERS * OPS ? 0 : 1;
  });
} else {
  // Each worker opens its own handle: handles never cross fork(). create:false
  // attaches to the primary's segment and adopts its sizes.
  const cache = createCache({ name: process.env.CACHE_NAME, create: false });
  const ops = Number(process.env.OPS);
  const mine = `worker:${cluster.worker.id}`;
  for (let i = 0; i < ops; i++) {
    cache.incr('total');
    cache.incr(mine);
  }
  cache.close();
  cluster.worker.disconnect(); // no server and no IPC left: the worker exits by itself
}
