'use strict';
// Issue 4 across processes: an expiry written by one process is honoured by
// another; LRU eviction under 4 concurrent writers; stats() summed over every
// process using the segment (live, closed and killed handles).
const assert = require('node:assert/strict');
const createCache = require('..');
const { nextName } = require('./helpers/names');
const { nowMs, waitPastExpiry } = require('./helpers/time');
const { command, startWorkers, runAll, closeWorkers, killWorkers } = require('./helpers/workers');

const LIMIT = 120000;
const LONG = 600000;

describe('47 multi-process ttl, lru, stats', function () {
  this.timeout(4 * LIMIT);
  let ws = [];
  let cache;
  afterEach(function () {
    killWorkers(ws);
    ws = [];
    if (cache) cache.close();
    cache = undefined;
  });

  async function setup(n, opts = {}) {
    const o = { name: nextName('mpt'), maxKeys: 256, ...opts };
    cache = createCache(o);
    ws = await startWorkers(n, o, { timeoutMs: LIMIT });
    return o;
  }

  it('an expiry set in one process is seen by another (set ttl, expire, and the reverse direction)', async function () {
    await setup(1);
    const [w] = ws;
    // Child writes with a long ttl: the parent sees the entry and its ttl.
    await command(w, { cmd: 'set', key: 'a', value: 'from-child', ttl: LONG }, LIMIT);
    assert.equal(cache.get('a'), 'from-child');
    const r = cache.ttl('a');
    assert.ok(r > 0 && r <= LONG, `parent sees ttl ${r}`);
    // Child shortens it: the parent sees it vanish once past the new expiry.
    const shortened = await command(w, { cmd: 'expire', key: 'a', ttl: 50 }, LIMIT);
    assert.equal(shortened.ok, true);
    // Child writes a short-ttl key and a permanent one.
    const s = await command(w, { cmd: 'set', key: 'b', value: 'short', ttl: 50 }, LIMIT);
    await command(w, { cmd: 'set', key: 'c', value: 'forever' }, LIMIT);
    await waitPastExpiry(Math.max(shortened.at, s.at), 50);
    for (const k of ['a', 'b']) {
      assert.equal(cache.get(k), undefined, k);
      assert.equal(cache.has(k), false, k);
      assert.equal(cache.ttl(k), undefined, k);
    }
    assert.deepEqual(cache.keys(), ['c']);
    assert.equal(cache.stats().size, 1);
    // Reverse: the parent writes a short ttl; the child reads after expiry.
    cache.set('d', 'from-parent', { ttl: 50 });
    const at = nowMs();
    await waitPastExpiry(at, 50);
    const seen = await command(w, { cmd: 'read', key: 'd' }, LIMIT);
    assert.equal(seen.value, undefined);
    assert.equal(seen.has, false);
    assert.equal(seen.ttl, undefined);
    assert.deepEqual(seen.keys, ['c']);
    // And a parent's expire(0) makes a child's short-ttl key permanent.
    const e = await command(w, { cmd: 'set', key: 'p', value: 'kept', ttl: 60000 }, LIMIT);
    assert.equal(cache.expire('p', 0), true);
    assert.equal((await command(w, { cmd: 'read', key: 'p' }, LIMIT)).ttl, -1);
    assert.ok(e.ok);
    await closeWorkers(ws, LIMIT);
  });

  it('evict "lru" under 4 writers with 80x more keys than maxKeys: no false, size === capacity, exact evictions', async function () {
    const maxKeys = 64;
    await setup(4, { maxKeys, evict: 'lru' });
    const N = 5000; // distinct keys per worker (prefixes differ)
    const before = cache.stats();
    // Released by message, not by a barrier key: in lru mode the writers
    // would evict a barrier key before the slowest worker saw it.
    const replies = await runAll(ws, (i) => ({ cmd: 'writeMany', prefix: `w${i}:`, n: N }), { timeoutMs: LIMIT });
    for (const r of replies) {
      assert.equal(r.falses, 0, `worker ${r.id}: ${r.falses} sets returned false in lru mode`);
      assert.ok(r.size <= maxKeys, `worker ${r.id} saw size ${r.size}`);
    }
    const s = cache.stats();
    assert.equal(s.size, maxKeys);
    assert.equal(s.capacity, maxKeys);
    // Every write inserted a distinct new key: all but the capacity's worth
    // were evicted, one eviction per insert past full.
    assert.equal(s.evictions - before.evictions, 4 * N - maxKeys);
    assert.equal(s.sets - before.sets, 4 * N);
    assert.equal(cache.checkInvariants(), '');
    // Survivors hold their own values.
    for (const [k, v] of cache.entries()) {
      assert.match(k, /^w[0-3]:\d+$/);
      assert.equal(v, `${'v'.repeat(16)}${k.split(':')[1]}`);
    }
    await closeWorkers(ws, LIMIT);
    assert.equal(cache.checkInvariants(), '');
  });

  it('stats() sums hits/misses/sets over processes: live, closed, and killed', async function () {
    await setup(3);
    cache.set('k1', 'v');
    cache.set('k2', 'v');
    const base = cache.stats();
    const [a, b, c] = ws;
    const ra = await command(a, { cmd: 'gets', keys: ['k1', 'k2', 'missing'], n: 3000 }, LIMIT);
    const rb = await command(b, { cmd: 'gets', keys: ['k1'], n: 500 }, LIMIT);
    const rc = await command(c, { cmd: 'gets', keys: ['nope'], n: 700 }, LIMIT);
    await command(c, { cmd: 'set', key: 'k3', value: 'v' }, LIMIT);
    assert.equal(ra.hits, 2000);
    assert.equal(ra.misses, 1000);
    const hits = ra.hits + rb.hits + rc.hits;
    const misses = ra.misses + rb.misses + rc.misses;
    const live = cache.stats();
    assert.equal(live.hits - base.hits, hits, 'live handles');
    assert.equal(live.misses - base.misses, misses);
    assert.equal(live.sets - base.sets, 1);
    // A child's own stats() shows the same totals.
    const fromChild = (await command(b, { cmd: 'stats' }, LIMIT)).stats;
    assert.equal(fromChild.hits, live.hits);
    assert.equal(fromChild.misses, live.misses);
    // Closed (a) and killed (c) handles keep counting in the sum.
    await closeWorkers([a], LIMIT);
    c.kill('SIGKILL');
    await c.exited(LIMIT);
    const after = cache.stats();
    assert.equal(after.hits - base.hits, hits, 'after one child closed and one was killed');
    assert.equal(after.misses - base.misses, misses);
    assert.equal(after.sets - base.sets, 1);
    // A new process attaching later (reusing a freed stat block) does not disturb the sum.
    const [d] = await startWorkers(1, { name: cache.name, maxKeys: 256 }, { timeoutMs: LIMIT });
    ws.push(d);
    const rd = await command(d, { cmd: 'gets', keys: ['k1'], n: 10 }, LIMIT);
    assert.equal(rd.hits, 10);
    assert.equal(cache.stats().hits - base.hits, hits + 10);
    await closeWorkers([b, d], LIMIT);
    assert.equal(cache.stats().hits - base.hits, hits + 10);
  });
});
