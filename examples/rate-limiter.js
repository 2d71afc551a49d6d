'use strict';
// A fixed-window rate limiter shared by every worker of a cluster.
//
// The whole limiter is ONE atomic call per request:
//   const count = cache.incr(`rl:${client}`, 1, { ttl: WINDOW_MS });
// incr() on a missing (or expired) key creates it at 1 with the given ttl; on a
// live key it adds 1 and keeps the key's expiry. So the first request of a
// window starts the window, and every request in it gets a distinct count.
// Check-then-set (get, compare, set) would let two workers both see 99 and
// both allow the 100th request; incr() cannot. Rejected requests count too,
// which is harmless: the decision is "count <= limit" either way.
// For Express, require('fast-sharedmemory-mmap/rate-limit') wraps this same
// call as an express-rate-limit store.
//
//   node examples/rate-limiter.js
const cluster = require('node:cluster');
const createCache = require('fast-sharedmemory-mmap');

const WORKERS = 4;
const REQUESTS_PER_WORKER = 500; // all from one client
const LIMIT = 1000; // requests per client per window
const WINDOW_MS = 60_000;

/** Returns true if `client` may make another request in the current window. */
function allow(cache, client, limit = LIMIT, windowMs = WINDOW_MS) {
  return cache.incr(`rl:${client}`, 1, { ttl: windowMs }) <= limit;
}

if (cluster.isPrimary) {
  const name = `example-ratelimit-${process.pid}`;
  const cache = createCache({ name, maxKeys: 100000, keySize: 64, valueSize: 32 });
  const tallies = [];
  for (let w = 0; w < WORKERS; w++) {
    cluster.fork({ CACHE_NAME: name }).on('message', (m) => tallies.push(m));
  }
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers).length > 0) return;
    const allowed = tallies.reduce((n, t) => n + t.allowed, 0);
    const rejected = tallies.reduce((n, t) => n + t.rejected, 0);
    for (const t of tallies) console.log(`worker ${t.id}: allowed ${t.allowed}, rejected ${t.rejected}`);
    console.log(`requests ${allowed + rejected}, counter ${cache.get('rl:203.0.113.7')}, ` +
      `allowed ${allowed} (limit ${LIMIT}), rejected ${rejected}`);
    let ok = tallies.length === WORKERS && allowed === LIMIT && rejected === WORKERS * REQUESTS_PER_WORKER - LIMIT;

    // The window: a 300 ms window with a limit of 2 for another client.
    const verdicts = [1, 2, 3].map(() => allow(cache, '198.51.100.1', 2, 300));
    console.log(`short window: ${verdicts.join(', ')}; ttl left ${cache.ttl('rl:198.51.100.1')} ms`);
    ok = ok && verdicts.join() === 'true,true,false';
    setTimeout(() => {
      const next = allow(cache, '198.51.100.1', 2, 300);
      console.log(`after the window: ${next} (count restarted at ${cache.get('rl:198.51.100.1')})`);
      cache.close();
      process.exitCode = ok && next ? 0 : 1;
    }, 350);
  });
} else {
  const cache = createCache({ name: process.env.CACHE_NAME, create: false });
  let allowed = 0;
  let rejected = 0;
  for (let i = 0; i < REQUESTS_PER_WORKER; i++) {
    if (allow(cache, '203.0.113.7')) allowed++;
    else rejected++;
  }
  cache.close();
  process.send({ id: cluster.worker.id, allowed, rejected }, () => cluster.worker.disconnect());
}
