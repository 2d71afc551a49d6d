'use strict';
// Leak-freedom: descriptors and mappings over open/close cycles, RSS over
// millions of operations, and locks across worker.terminate().
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const child = require('./helpers/child');

const fdCount = () => fs.readdirSync('/proc/self/fd').length;
const mapCount = (needle = 'fsmm.') => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(needle)).length;

describe('leaks', function () {
  this.timeout(300000);

  it('1,000 open/close cycles leak no descriptor and no mapping', () => {
    const name = nextName('leak');
    const opts = { name, maxKeys: 256, keySize: 32, valueSize: 64 };
    createCache(opts).close(); // warm-up: lazy library state
    const fds = fdCount();
    const maps = mapCount();
    // 500 cycles as the only user (create, then unlink on close), 500 attaching to a held segment.
    for (let i = 0; i < 500; i++) {
      const c = createCache(opts);
      c.set(`k${i % 200}`, 'v');
      c.close();
    }
    const holder = createCache(opts);
    const heldFds = fdCount();
    const heldMaps = mapCount();
    for (let i = 0; i < 500; i++) {
      const c = createCache(opts);
      assert.equal(c.set(`k${i % 200}`, 'v'), true);
      c.close();
      c.close(); // idempotent
    }
    assert.equal(fdCount(), heldFds);
    assert.equal(mapCount(), heldMaps);
    assert.equal(holder.stats().size, 200);
    holder.close();
    assert.equal(fdCount(), fds, 'descriptors after 1,000 cycles');
    assert.equal(mapCount(), maps, 'fsmm mappings after 1,000 cycles');
    assert.equal(fs.existsSync(`/dev/shm/fsmm.${name}`), false);
  });

  it('refused opens leak no descriptor either', () => {
    const name = nextName('leak');
    const holder = createCache({ name, maxKeys: 64 });
    const fds = fdCount();
    const maps = mapCount();
    for (let i = 0; i < 200; i++) {
      assert.throws(() => createCache({ name, maxKeys: 65 }), { code: 'ERR_SHM_LAYOUT_MISMATCH' });
      assert.throws(() => createCache({ name: nextName('leak'), create: false }), { code: 'ENOENT' });
    }
    assert.equal(fdCount(), fds);
    assert.equal(mapCount(), maps);
    holder.close();
  });

  it('2,000,000 operations grow RSS by less than 10 MB (10M: npm run soak -- --rss-ops 10000000)', async () => {
    const name = nextName('leak');
    const c = child.start('soak-rss', [name, 2000000], { timeoutMs: 240000 });
    const r = await c.next('rss', 240000);
    assert.deepEqual(await c.exited(30000), { code: 0, signal: null });
    console.log(`      ${r.ops} ops in ${r.seconds.toFixed(1)} s: RSS ${(r.baseline / 2 ** 20).toFixed(1)} MB -> ` +
      `${(r.final / 2 ** 20).toFixed(1)} MB (${(r.growth / 2 ** 20).toFixed(2)} MB; V8 heapTotal ` +
      `${(r.heapTotalGrowth / 2 ** 20).toFixed(2)} MB, heapUsed ${(r.heapUsedGrowth / 2 ** 20).toFixed(2)} MB)`);
    assert.ok(r.growth < 10 * 2 ** 20, `RSS grew by ${r.growth} bytes`);
  });

  it('worker.terminate() during heavy use from 4 workers never leaves a lock held', async () => {
    const name = nextName('leak');
    const options = { maxKeys: 2048, keySize: 32, valueSize: 64 };
    const cache = createCache({ name, ...options });
    const ownMaps = mapCount(`fsmm.${name}`);
    const file = path.join(__dirname, 'fixtures', 'soak-thread.js');
    const workers = [];
    const bound = (p, ms, what) => Promise.race([p, new Promise((_, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      t.unref();
    })]);
    const nextMessage = (w, type) => bound(new Promise((resolve, reject) => {
      const on = (m) => {
        if (m.type === type) {
          w.off('message', on);
          w.off('error', reject);
          resolve(m);
        }
      };
      w.on('message', on);
      w.once('error', reject);
    }), 30000, `worker ${type}`);
    const spawn = (id) => {
      const w = new Worker(file, { workerData: { name, options, id } });
      workers[id] = w;
      return nextMessage(w, 'ready');
    };
    try {
      await Promise.all([0, 1, 2, 3].map(spawn));
      for (let round = 0; round < 24; round++) {
        const id = round % 4;
        await nextMessage(workers[id], 'progress'); // it is mid-chunk, or about to be
        await bound(workers[id].terminate(), 30000, 'terminate');
        await spawn(id);
      }
      await Promise.all(workers.map((w) => bound(w.terminate(), 30000, 'terminate')));
    } finally {
      for (const w of workers) if (w) w.terminate();
    }
    // Every worker's handle was closed by the environment cleanup hook.
    assert.equal(mapCount(`fsmm.${name}`), ownMaps, 'mappings of terminated workers');
    let maxMs = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 3000; i++) {
      const s = process.hrtime.bigint();
      cache.set(`s-${i % 500}`, 'main');
      cache.set(`w${i % 4}-${i % 300}`, 'main');
      cache.incr(`c-${i % 20}`);
      cache.delete(`s-${(i * 7) % 500}`);
      cache.delete(`w${i % 4}-${(i * 3) % 300}`);
      maxMs = Math.max(maxMs, Number(process.hrtime.bigint() - s) / 1e6);
    }
    const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`      after 28 terminations: 15,000 main-thread ops in ${totalMs.toFixed(1)} ms, slowest group ${maxMs.toFixed(2)} ms`);
    assert.ok(maxMs < 1000, `a group of operations took ${maxMs} ms`);
    assert.equal(cache.checkInvariants(), '');
    cache.close();
  });
});
