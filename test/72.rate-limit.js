'use strict';
// express-rate-limit v8 with FastShmRateLimitStore in a real 2-worker
// cluster: a limit of N is exact across workers, also under concurrent
// requests; skipFailedRequests (decrement) and resetKey act on every worker.
const assert = require('node:assert/strict');
const { nextName, shmEntries } = require('./helpers/names');
const { startCluster, request } = require('./fixtures/eco-http');
const { waitFor } = require('./helpers/time');
const createCache = require('..');
const { FastShmRateLimitStore } = require('../lib/stores/rate-limit');

const LIMIT = 10;

describe('stores: express-rate-limit across cluster workers', function () {
  let app;
  let name;
  before(async function () {
    name = nextName('rl');
    app = await startCluster('ratelimit', name, { limit: LIMIT, windowMs: 60000 });
  });
  after(async function () {
    if (app) await app.close();
    assert.deepEqual(shmEntries(name), []);
  });
  beforeEach(async function () {
    assert.equal((await request(app.url(0, '/reset'), { method: 'POST' })).status, 200);
  });

  it('allows exactly N sequential requests alternating between the workers', async function () {
    const statuses = [];
    const workers = new Set();
    for (let i = 0; i < LIMIT + 6; i++) {
      const r = await request(app.url(i % 2, '/'));
      statuses.push(r.status);
      workers.add(r.worker);
      if (r.status === 200) assert.equal(r.headers.get('ratelimit-remaining'), String(LIMIT - 1 - i));
    }
    assert.equal(workers.size, 2, 'both workers served');
    assert.deepEqual(statuses, [...Array(LIMIT).fill(200), ...Array(6).fill(429)]);
    // The 6 refused requests count until their 429 finishes, then
    // skipFailedRequests takes them back (decrement).
    let info;
    await waitFor(async () => (info = await request(app.url(1, '/info'))).body.totalHits === LIMIT, {
      timeoutMs: 30000, stepMs: 20, what: 'the refused requests to be decremented',
    });
    const reset = new Date(info.body.resetTime).getTime() - Date.now();
    assert.ok(reset > 0 && reset <= 60000, `resetTime ${info.body.resetTime} is within the window`);
  });

  it('allows exactly N of many concurrent requests spread over both workers', async function () {
    const n = 4 * LIMIT;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => request(app.url(i % 2, '/'))));
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429).length;
    assert.deepEqual([ok, limited], [LIMIT, n - LIMIT]);
    assert.equal(new Set(results.map((r) => r.worker)).size, 2);
  });

  it('does not count failed requests (decrement) and resetKey frees the client on every worker', async function () {
    for (let i = 0; i < 6; i++) assert.equal((await request(app.url(i % 2, '/fail'))).status, 500);
    // express-rate-limit decrements when the response has finished, which may
    // be just after the client has read it: wait (bounded) for the count.
    await waitFor(async () => (await request(app.url(0, '/info'))).body.totalHits === 0, {
      timeoutMs: 30000, stepMs: 20, what: 'the 6 failed requests to be decremented',
    });
    for (let i = 0; i < LIMIT; i++) assert.equal((await request(app.url(i % 2, '/'))).status, 200);
    assert.equal((await request(app.url(1, '/'))).status, 429);
    await request(app.url(1, '/reset'), { method: 'POST' });
    assert.equal((await request(app.url(0, '/'))).status, 200);
    assert.equal((await request(app.url(0, '/info'))).body.totalHits, 1);
  });
});

describe('stores: FastShmRateLimitStore contract', function () {
  it('opens the window on the first hit and forgets the counter when it closes', async function () {
    const cache = createCache({ name: nextName('rl'), maxKeys: 8 });
    try {
      const store = new FastShmRateLimitStore({ cache, prefix: 'x:' });
      store.init({ windowMs: 5000 });
      assert.equal(store.localKeys, false);
      assert.equal(store.get('ip'), undefined);
      const first = store.increment('ip');
      assert.equal(first.totalHits, 1);
      assert.ok(first.resetTime instanceof Date);
      const ttl = cache.ttl('x:ip');
      assert.ok(ttl > 0 && ttl <= 5000);
      assert.equal(store.increment('ip').totalHits, 2);
      assert.ok(cache.ttl('x:ip') <= ttl, 'later hits do not extend the window');
      store.decrement('ip');
      assert.equal(store.get('ip').totalHits, 1);
      store.decrement('gone'); // absent: nothing is created
      assert.equal(cache.has('x:gone'), false);
      store.increment('other');
      store.resetAll();
      assert.deepEqual(cache.keys(), []);
      assert.throws(() => store.init({ windowMs: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      cache.close();
    }
  });
});
