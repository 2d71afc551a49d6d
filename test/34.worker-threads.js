'use strict';
// worker_threads: each thread opens its own handle on the same name. Writes
// cross threads both ways; concurrent sealed writes never tear; terminating a
// worker in the middle of a load leaves no lock held and the cache usable.
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const open = require('..');
const { nextName, shmEntries } = require('./helpers/names');
const { client } = require('./helpers/core-client');
const { verify, sealed } = require('./helpers/core-util');

const FIXTURE = path.join(__dirname, 'fixtures', 'core-thread.js');
const HOT = Array.from({ length: 6 }, (_, i) => `hot${i}`);

/** Bounded wait for the first message matching pred. */
function nextMessage(worker, pred, ms = 60000) {
  return new Promise((resolve, reject) => {
    const done = (fn, v) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      fn(v);
    };
    const onMessage = (m) => { if (pred(m)) done(resolve, m); };
    const onError = (err) => done(reject, err);
    const onExit = (code) => done(reject, new Error(`worker exited (code ${code}) before the awaited message`));
    const timer = setTimeout(() => done(reject, new Error(`no message from the worker within ${ms} ms`)), ms);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

async function thread() {
  const worker = new Worker(FIXTURE);
  await nextMessage(worker, (m) => m.type === 'ready');
  let seq = 0;
  async function request(msg) {
    const id = ++seq;
    const wait = nextMessage(worker, (m) => m.type === 'reply' && m.id === id);
    worker.postMessage({ ...msg, id });
    const r = await wait;
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return r.value;
  }
  return {
    worker,
    open: (options) => request({ op: 'open', options }),
    call: (method, ...args) => request({ op: 'call', method, args }),
    hammer: (params) => request({ op: 'hammer', params }),
    async terminate(ms = 30000) {
      let timer;
      const bound = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`terminate() did not finish within ${ms} ms`)), ms); });
      try {
        return await Promise.race([worker.terminate(), bound]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

describe('worker threads', function () {
  this.timeout(120000);
  let threads = [];
  afterEach(async function () {
    await Promise.all(threads.map((t) => t.terminate()));
    threads = [];
  });

  it('writes in a worker are visible in main and vice versa', async function () {
    const name = nextName('wt');
    const cache = open({ name, maxKeys: 32 });
    try {
      const t = await thread();
      threads = [t];
      await t.open({ name, maxKeys: 32 });
      for (let i = 0; i < 20; i++) {
        assert.equal(await t.call('set', `w${i}`, `from worker ${i}`), true);
        assert.equal(cache.get(`w${i}`), `from worker ${i}`);
        assert.equal(cache.set(`m${i}`, `from main ${i}`), true);
        assert.equal(await t.call('get', `m${i}`), `from main ${i}`);
        if (i % 2) {
          assert.equal(cache.delete(`w${i}`), true);
          assert.equal(await t.call('has', `w${i}`), false);
        }
      }
      assert.equal(await t.call('checkInvariants'), '');
      await t.terminate();
      threads = [];
      assert.equal(cache.get('w0'), 'from worker 0', 'a terminated worker closes only its own handle');
    } finally {
      cache.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('4 workers hammering hot and own keys: no torn read, own keys exact', async function () {
    const name = nextName('wthammer');
    const maxKeys = 128;
    const cache = open({ name, maxKeys });
    try {
      threads = await Promise.all([0, 1, 2, 3].map(() => thread()));
      await Promise.all(threads.map((t) => t.open({ name, maxKeys })));
      const results = await Promise.all(threads.map((t, i) => t.hammer({
        id: `t${i}`, seed: 0x34 + i, iterations: 60000, hot: HOT, ownPrefix: `t${i}-`, ownCount: 24,
      })));
      let expected = 0;
      for (const [i, r] of results.entries()) {
        assert.equal(r.torn, 0, `worker ${i} read torn values: ${JSON.stringify(r.tornSample)}`);
        assert.equal(r.mismatches, 0, `worker ${i}: ${JSON.stringify(r.mismatchSample)}`);
        assert.equal(r.setFailures, 0);
        expected += r.own.length;
        for (const [k, v] of r.own) assert.equal(cache.get(k), v);
      }
      assert.ok(results.reduce((n, r) => n + r.hotHits, 0) > 1000, 'hot keys were read');
      for (const k of HOT) {
        const v = cache.get(k);
        if (v !== undefined) {
          expected++;
          assert.ok(verify(v), `${k}: ${v}`);
        }
      }
      assert.equal(cache.stats().size, expected);
      assert.equal(cache.checkInvariants(), '');
    } finally {
      cache.close();
    }
  });

  it('terminate() in the middle of a load leaves no lock held: another process and main proceed', async function () {
    const name = nextName('wtterm');
    const maxKeys = 16;
    const cache = open({ name, maxKeys });
    const checker = await client();
    try {
      await checker.open({ name, maxKeys });
      for (let round = 0; round < 5; round++) {
        const spinners = await Promise.all([0, 1].map(() => thread()));
        threads = spinners;
        await Promise.all(spinners.map((t) => t.open({ name, maxKeys })));
        const progress = spinners.map((t) => nextMessage(t.worker, (m) => m.type === 'progress'));
        spinners.forEach((t, i) => t.worker.postMessage({ op: 'spin', id: 0, hot: HOT, seed: round * 10 + i }));
        const seen = await Promise.all(progress);
        for (const p of seen) assert.equal(p.torn, 0);
        // Kill both while they are still looping.
        await Promise.all(spinners.map((t) => t.terminate()));
        threads = [];
        // First from another process (bounded: it is killed if it hangs), then from main.
        for (const k of HOT) {
          const v = sealed(`after round ${round}`);
          assert.equal(await checker.call('set', k, v), true);
          assert.equal(await checker.call('get', k), v);
        }
        assert.equal(await checker.call('delete', HOT[0]), true);
        assert.equal(await checker.call('checkInvariants'), '');
        for (const k of HOT) {
          assert.equal(cache.set(k, sealed(`main ${round}`)), true);
          assert.ok(verify(cache.get(k)));
        }
        assert.equal(cache.checkInvariants(), '');
        assert.equal(cache.stats().size, HOT.length);
      }
    } finally {
      await checker.finish();
      cache.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });
});
