'use strict';
// Near cache against a real redis-server on loopback. Two "hosts" = two
// segment names in this process (each is its own host's leader).
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const Redis = require('ioredis');
const { createNearCache, unlinkNear } = require('../../lib/near');
const { nextName } = require('../helpers/names');
const { startRedis, stopAll, startProxy, waitFor } = require('./helpers/redis');

const STALE_MS = 1000;

describe('near cache (real redis-server)', function () {
  let redis; let client; let raw; const opened = []; const names = [];

  function open(extra = {}) {
    const name = nextName('near');
    names.push(name);
    const near = createNearCache({
      name, client, prefixes: ['u:', 'cfg:'], listen: { port: redis.port }, maxStalenessMs: STALE_MS, ...extra,
    });
    near.on('error', () => {});
    // 'invalidate' events reach the main thread only once the listener thread knows
    // someone listens; registering one now, before the thread starts, means none is
    // missed by invalidated() below (a later 'forward' message could arrive after the push).
    near.on('invalidate', () => {});
    opened.push(near);
    return near;
  }
  const live = (near) => waitFor(() => near.state === 'live', 10000, 'state live');
  // The first fill after a write may be (correctly) rejected when that write's
  // invalidation lands after the fill's snapshot; retry until the entry sticks.
  async function fill(near, key) {
    await waitFor(async () => { await near.getOrLoad(key); return near.get(key) !== undefined; }, 10000, `fill of ${key}`);
    return near.get(key);
  }
  const invalidated = (near, key) => new Promise((resolve) => {
    const on = (keys) => { if (keys === null || keys.includes(key)) { near.off('invalidate', on); resolve(); } };
    near.on('invalidate', on);
  });

  before(async () => {
    redis = await startRedis();
    client = new Redis({ port: redis.port, host: '127.0.0.1' });
    raw = new Redis({ port: redis.port, host: '127.0.0.1' }); // a third-party writer
  });
  afterEach(async () => {
    for (const n of opened.splice(0)) await n.close();
  });
  after(async () => {
    client.disconnect(); raw.disconnect();
    await stopAll();
    for (const n of names) unlinkNear(n);
  });

  it('cross-host invalidation: B writes, A drops its copy (lag p50/p99 reported)', async () => {
    const a = open(); const b = open();
    await live(a); await live(b);
    await b.set('u:1', 'v1');
    assert.strictEqual(await fill(a, 'u:1'), 'v1');
    const gone = invalidated(a, 'u:1');
    await b.set('u:1', 'v2');
    await gone;
    assert.strictEqual(a.get('u:1'), undefined);
    assert.strictEqual(await fill(a, 'u:1'), 'v2');
    // Lag: from issuing a third-party SET to A having applied the invalidation.
    const lags = [];
    for (let i = 0; i < 300; i++) {
      const applied = invalidated(a, 'u:lag');
      const t0 = process.hrtime.bigint();
      await raw.set('u:lag', String(i));
      await applied;
      lags.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    lags.sort((x, y) => x - y);
    const pct = (p) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))].toFixed(0);
    console.log(`      invalidation lag (SET issued -> applied in L1), n=300: p50 ${pct(0.5)} µs, p99 ${pct(0.99)} µs, max ${pct(1)} µs`);
  });

  it('the listener runs in a worker_thread: invalidations are applied while the main thread is blocked', async () => {
    const a = open();
    await live(a);
    await raw.set('u:blk', 'b');
    await fill(a, 'u:blk');
    // A writer that does not need this thread's event loop.
    const cli = spawn('redis-cli', ['-p', String(redis.port), 'set', 'u:blk', 'b2'], { stdio: 'ignore' });
    const cliExit = new Promise((r) => cli.once('exit', r));
    const misses = a.stats().misses;
    const deadline = Date.now() + 20000;
    let v = a.get('u:blk');
    // Block this thread until L1 stops serving 'b' through a *miss* (the entry was
    // deleted, or a newer generation published): only a listener that runs
    // without this thread can cause that. A bypass (notLive) is not a miss.
    while (!(v === undefined && a.stats().misses > misses) && Date.now() < deadline) v = a.get('u:blk');
    assert.ok(a.stats().misses > misses, 'no invalidation was applied while the main thread was blocked');
    await cliExit;
  });

  it('the heartbeat keeps the trust window open: L1 hits go on for 3 x maxStalenessMs with no flush', async () => {
    const a = open();
    await live(a);
    await raw.set('u:hb', 'steady');
    assert.strictEqual(await fill(a, 'u:hb'), 'steady');
    const flushesBefore = a.stats().flushes;
    const end = Date.now() + 3 * STALE_MS;
    let reads = 0;
    while (Date.now() < end) {
      assert.strictEqual(a.get('u:hb'), 'steady', `hit ${reads} after ${3 * STALE_MS - (end - Date.now())} ms`);
      reads++;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepStrictEqual(a.stats().flushes, flushesBefore);
    assert.strictEqual(a.stats().bypass.notLive, 0);
    const { lag } = a.stats();
    assert.ok(lag.proofAgeMs >= 0 && lag.proofAgeMs < STALE_MS, `proofAgeMs ${lag.proofAgeMs}`);
    assert.ok(lag.pingRttMs >= 0 && lag.pingRttMs < STALE_MS, `pingRttMs ${lag.pingRttMs}`);
  });

  it('a listener thread that dies flushes the host at once; the process stands again and the host goes live', async () => {
    const workers = [];
    // A 30 s bound, so that only the flush can close the window in time.
    const a = open({ maxStalenessMs: 30000, testHooks: { listenerWorker: (w) => workers.push(w) } });
    await live(a);
    await raw.set('u:wd', 'before');
    assert.strictEqual(await fill(a, 'u:wd'), 'before');
    assert.strictEqual(workers.length, 1);
    await workers[0].terminate(); // as if the thread crashed
    // Nobody applies invalidations now. A write made after the death must not
    // leave the old value readable: the process flushed (closed the window) when
    // the thread exited, long before the 30 s window would have closed itself.
    await raw.set('u:wd', 'changed');
    assert.strictEqual(a.get('u:wd'), undefined); // DOWN, or already LIVE again under a new (empty) generation
    await waitFor(() => workers.length === 2 && a.isLeader, 10000, 'a new listener thread');
    await live(a);
    assert.strictEqual(a.get('u:wd'), undefined); // the new generation starts empty
    await raw.set('u:wd', 'after');
    assert.strictEqual(await fill(a, 'u:wd'), 'after');
  });

  it("listenerThread: 'main' runs the same listener on the main thread (invalidation, then bypass when blocked)", async () => {
    const a = open({ listenerThread: 'main' });
    const b = open();
    await live(a); await live(b);
    await raw.set('u:mt', '1');
    await fill(a, 'u:mt');
    const gone = invalidated(a, 'u:mt');
    await b.set('u:mt', '2');
    await gone;
    assert.strictEqual(a.get('u:mt'), undefined);
    await fill(a, 'u:mt');
    const until = Date.now() + 2 * STALE_MS;
    while (Date.now() < until) { /* the heartbeat cannot run: 'live' expires */ }
    assert.strictEqual(a.get('u:mt'), undefined);
    await live(a);
  });

  it('a node-redis client works as the data client: read-through, loader, writes, invalidation from another host', async () => {
    const { createClient } = require('@redis/client');
    const nr = createClient({ url: `redis://127.0.0.1:${redis.port}` });
    await nr.connect();
    try {
      const a = open({ client: nr }); const b = open();
      await live(a); await live(b);
      await raw.set('u:nr', 'one', 'PX', 60000);
      assert.strictEqual(await fill(a, 'u:nr'), 'one');
      const gone = invalidated(a, 'u:nr');
      await b.set('u:nr', 'two');
      await gone;
      assert.strictEqual(a.get('u:nr'), undefined);
      assert.strictEqual(await fill(a, 'u:nr'), 'two');
      // loader path: SET NX with PX through node-redis
      let calls = 0;
      assert.strictEqual(await a.getOrLoad('u:nr-load', { loader: async () => { calls++; return 'loaded'; }, ttlMs: 30000 }), 'loaded');
      assert.strictEqual(calls, 1);
      assert.strictEqual(await raw.get('u:nr-load'), 'loaded');
      const pttl = await raw.pttl('u:nr-load');
      assert.ok(pttl > 0 && pttl <= 30000, `PTTL ${pttl}`);
      await a.set('u:nr', 'three', { ttlMs: 20000 });
      assert.strictEqual(await raw.get('u:nr'), 'three');
      assert.ok(await a.delete('u:nr'));
      assert.strictEqual(await raw.exists('u:nr'), 0);
      assert.throws(() => open({ client: {} }), /ioredis client, a node-redis/);
    } finally { await nr.quit(); }
  });

  it('keys longer than keySize bypass L1; their writes and invalidations disturb nothing', async () => {
    const a = open({ keySize: 16 }); const b = open({ keySize: 16 });
    await live(a); await live(b);
    const long = `u:${'L'.repeat(200)}`; // longer than keySize and than the segment's key slot
    await raw.set('u:short', 's1');
    assert.strictEqual(await fill(a, 'u:short'), 's1');
    assert.strictEqual(await a.getOrLoad(long, { loader: async () => 'loaded' }), 'loaded');
    assert.strictEqual(a.get(long), undefined);
    assert.ok(a.stats().bypass.tooBig >= 1);
    const flushes = a.stats().flushes;
    const gone = invalidated(a, 'u:short');
    await b.set(long, 'x'); // invalidation of a long key reaches A's listener first
    await raw.set('u:short', 's2');
    await Promise.race([gone, new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('no invalidation of u:short within 10 s: the listener stopped')), 10000).unref();
    })]);
    assert.strictEqual(a.get('u:short'), undefined);
    assert.deepStrictEqual(a.stats().flushes, flushes, 'the listener kept running');
    assert.ok(await a.delete(long));
  });

  it('third-party writes and deletes invalidate every host; keys outside the prefixes are never cached', async () => {
    const a = open(); const b = open();
    await live(a); await live(b);
    await raw.set('u:3', 'x');
    await fill(a, 'u:3'); await fill(b, 'u:3');
    const ga = invalidated(a, 'u:3'); const gb = invalidated(b, 'u:3');
    await raw.del('u:3');
    await ga; await gb;
    assert.strictEqual(a.get('u:3'), undefined);
    assert.strictEqual(b.get('u:3'), undefined);
    assert.strictEqual(await a.getOrLoad('u:3'), undefined);
    await raw.set('other:1', 'o');
    assert.strictEqual(await a.getOrLoad('other:1'), 'o');
    assert.strictEqual(a.get('other:1'), undefined);
    assert.ok(a.stats().bypass.notCovered >= 1);
  });

  it('FLUSHALL and FLUSHDB on another db flush every host in O(1)', async () => {
    const a = open(); const b = open();
    await live(a); await live(b);
    for (const cmd of [['flushall'], ['select', 1, 'flushdb']]) {
      await raw.set('u:f', 'before');
      await fill(a, 'u:f'); await fill(b, 'u:f');
      const ga = invalidated(a, 'u:f'); const gb = invalidated(b, 'u:f');
      const r = new Redis({ port: redis.port, host: '127.0.0.1' });
      if (cmd[0] === 'select') { await r.select(1); await r.flushdb(); } else await r.flushall();
      r.disconnect();
      await ga; await gb;
      assert.strictEqual(a.get('u:f'), undefined);
      assert.strictEqual(b.get('u:f'), undefined);
      await live(a);
    }
    assert.ok(a.stats().flushes.flushall >= 2);
  });

  it('key TTLs bound the L1 entry; PEXPIRE invalidates', async () => {
    const a = open();
    await live(a);
    await raw.set('u:ttl', 't', 'PX', 300);
    const filledAt = Date.now();
    await fill(a, 'u:ttl');
    assert.ok(a.get('u:ttl') === 't' || Date.now() - filledAt > 300);
    // No invalidation needed: the L1 TTL (from PTTL) expires the entry by itself.
    await waitFor(() => a.get('u:ttl') === undefined, 5000, 'L1 expiry');
    await raw.set('u:px', 'p');
    await fill(a, 'u:px');
    const gone = invalidated(a, 'u:px');
    await raw.pexpire('u:px', 60000);
    await gone;
    assert.strictEqual(a.get('u:px'), undefined);
  });

  it('a killed listener connection takes the host DOWN (bypass) and back LIVE with the old entries gone', async () => {
    const a = open();
    await live(a);
    await raw.set('u:k', 'k1');
    await fill(a, 'u:k');
    let sawDown = false;
    a.on('state', (s) => { if (s === 'down') sawDown = true; });
    await raw.client('kill', 'type', 'pubsub');
    await waitFor(() => sawDown, 5000, 'state down');
    await live(a);
    assert.strictEqual(a.get('u:k'), undefined, 'entries of the old generation must not survive a reconnect');
    assert.ok(a.stats().flushes.disconnect >= 1);
  });

  it('a black-holed listener connection: no hit older than maxStalenessMs, then recovery with a flush', async () => {
    const proxy = await startProxy(redis.port);
    try {
      const a = open({ listen: { port: proxy.port } });
      await live(a);
      await raw.set('u:bh', 'old');
      await fill(a, 'u:bh');
      proxy.blackhole(true);
      await raw.set('u:bh', 'new'); // its invalidation is lost
      const ackAt = Date.now();
      let staleReads = 0;
      await waitFor(() => {
        const before = Date.now();
        const v = a.get('u:bh');
        if (v === 'old') { staleReads++; assert.ok(before - ackAt <= STALE_MS, `stale hit ${before - ackAt} ms after the write`); }
        return v === undefined;
      }, 10000, 'bypass after black hole');
      console.log(`      black hole: bypass after ${Date.now() - ackAt} ms (${staleReads} reads of the old value within the bound)`);
      await waitFor(() => a.stats().flushes.pingTimeout >= 1, 10000, 'ping timeout');
      proxy.blackhole(false);
      await live(a);
      assert.strictEqual(await fill(a, 'u:bh'), 'new');
    } finally { await proxy.close(); }
  });

  it('a proxy reset of the listener connection flushes the host', async () => {
    const proxy = await startProxy(redis.port);
    try {
      const a = open({ listen: { port: proxy.port } });
      await live(a);
      await raw.set('u:cut', '1');
      await fill(a, 'u:cut');
      const before = a.stats().flushes.disconnect;
      proxy.cut();
      await waitFor(() => a.stats().flushes.disconnect > before, 5000, 'disconnect flush');
      assert.strictEqual(a.get('u:cut'), undefined);
      await live(a);
      assert.strictEqual(a.get('u:cut'), undefined);
    } finally { await proxy.close(); }
  });

  it('a fill that raced an invalidation is rejected (E5)', async () => {
    let readDone; let release;
    const afterReadSeen = new Promise((r) => { readDone = r; });
    const gate = new Promise((r) => { release = r; });
    const a = open({ testHooks: { afterRead: async (key) => { if (key === 'u:race') { readDone(); await gate; } } } });
    await live(a);
    await raw.set('u:race', 'v1');
    await waitFor(() => a.stats().invalidations >= 1, 5000, 'first invalidation');
    const p = a.getOrLoad('u:race');
    await afterReadSeen; // GET returned v1; the fill has not happened yet
    const gone = invalidated(a, 'u:race');
    await raw.set('u:race', 'v2');
    await gone; // the listener applied v2's invalidation before the fill
    release();
    assert.strictEqual(await p, 'v1'); // the caller gets what Redis held at read time...
    assert.strictEqual(a.get('u:race'), undefined); // ...but L1 must not keep it
    assert.ok(a.stats().fillsRejected >= 1);
  });

  it('single-flight within a process: concurrent getOrLoad share one loader call', async () => {
    const a = open();
    await live(a);
    let calls = 0;
    const loader = async () => { calls++; await new Promise((r) => setTimeout(r, 50)); return 'L'; };
    const vals = await Promise.all(Array.from({ length: 10 }, () => a.getOrLoad('u:sf1', { loader })));
    assert.deepStrictEqual(new Set(vals), new Set(['L']));
    assert.strictEqual(calls, 1);
    assert.strictEqual(await raw.get('u:sf1'), 'L');
  });

  it('set()/delete() give read-your-writes on the writing host', async () => {
    const a = open();
    await live(a);
    await a.set('u:w', 'w1');
    await fill(a, 'u:w');
    await a.set('u:w', 'w2');
    assert.notStrictEqual(a.get('u:w'), 'w1');
    assert.strictEqual(await a.getOrLoad('u:w'), 'w2');
    await a.delete('u:w');
    assert.strictEqual(a.get('u:w'), undefined);
    assert.strictEqual(await a.getOrLoad('u:w'), undefined);
  });

  it('negative caching: a known-absent key reads null until someone creates it', async () => {
    const a = open({ negativeTtlMs: 5000 });
    await live(a);
    await waitFor(async () => { await a.getOrLoad('u:neg'); return a.get('u:neg') === null; }, 10000, 'tombstone');
    assert.strictEqual(await a.getOrLoad('u:neg'), undefined);
    const gone = invalidated(a, 'u:neg');
    await raw.set('u:neg', 'now here');
    await gone;
    assert.strictEqual(a.get('u:neg'), undefined);
    assert.strictEqual(await fill(a, 'u:neg'), 'now here');
    assert.ok(a.stats().negativeHits >= 1);
  });

  it('entries of old generations are swept, so repeated flushes do not fill a table without eviction', async () => {
    const a = open({ maxKeys: 16, evict: 'none' });
    await live(a);
    const keys = Array.from({ length: 10 }, (_, i) => `u:sw${i}`);
    for (const k of keys) await raw.set(k, k);
    for (let round = 0; round < 5; round++) {
      for (const k of keys) await fill(a, k);
      const before = a.stats().flushes.disconnect;
      await raw.client('kill', 'type', 'pubsub');
      await waitFor(() => a.stats().flushes.disconnect > before, 5000, 'flush');
      await live(a);
    }
    assert.strictEqual(a.stats().bypass.full, 0);
    await waitFor(() => a.stats().swept >= 40, 10000, 'the sweep of the first four generations');
  });

  it('a Redis restart on the same port: DOWN, then re-armed with a flush', async () => {
    const a = open();
    await live(a);
    await raw.set('u:rs', 'before');
    await fill(a, 'u:rs');
    const port = redis.port;
    await redis.stop();
    await waitFor(() => a.state === 'down', 5000, 'down after restart');
    assert.strictEqual(a.get('u:rs'), undefined);
    redis = await startRedis({ port });
    await live(a);
    assert.strictEqual(a.get('u:rs'), undefined);
    await waitFor(async () => { try { await raw.set('u:rs', 'after'); return true; } catch { return false; } }, 10000, 'client reconnect');
    assert.strictEqual(await fill(a, 'u:rs'), 'after');
  });

  it('canary: listener and data client on different servers never go LIVE, with a clear error', async () => {
    const other = await startRedis();
    try {
      const errs = [];
      const a = open({ listen: { port: other.port }, canaryTimeoutMs: 500 });
      a.on('error', (e) => errs.push(e.message));
      await waitFor(() => errs.length > 0, 10000, 'canary error');
      assert.match(errs[0], /canary failed/);
      assert.strictEqual(a.state, 'down');
      await waitFor(() => a.stats().flushes.canary >= 1, 5000, 'canary flush counted');
      assert.strictEqual(await a.getOrLoad('u:c'), undefined); // still serves, through Redis
      assert.strictEqual(a.stats().fills, 0);
    } finally { await other.stop(); }
  });

  it('canary: a proxy that accepts tracking and answers PINGs but drops the pushes keeps the host DOWN', async () => {
    const proxy = await startProxy(redis.port, { dropPushes: true });
    try {
      const errs = [];
      const a = open({ listen: { port: proxy.port }, canaryTimeoutMs: 500 });
      a.on('error', (e) => errs.push(e.message));
      await waitFor(() => errs.length > 0, 10000, 'canary error');
      assert.match(errs[0], /canary failed/);
      assert.match(errs[0], /proxy/);
      assert.strictEqual(a.state, 'down');
      assert.strictEqual(a.stats().flushes.pingTimeout, 0, 'PINGs were answered: only the canary can tell');
      await raw.set('u:px', 'x');
      assert.strictEqual(await a.getOrLoad('u:px'), 'x'); // served through Redis
      assert.strictEqual(a.get('u:px'), undefined);
      assert.strictEqual(a.stats().fills, 0);
    } finally { await proxy.close(); }
  });

  it("without an 'error' listener a failure becomes a process warning, not a crash", async () => {
    const other = await startRedis();
    const warnings = [];
    const onWarning = (w) => { if (w.name === 'NearCacheWarning') warnings.push(w.message); };
    process.on('warning', onWarning);
    try {
      const name = nextName('near');
      names.push(name);
      const a = createNearCache({ name, client, prefixes: ['u:'], listen: { port: other.port }, canaryTimeoutMs: 300 });
      opened.push(a);
      await waitFor(() => warnings.length > 0, 10000, 'warning');
      assert.match(warnings[0], /canary failed/);
    } finally {
      process.off('warning', onWarning);
      await other.stop();
    }
  });

  it('canary: a read-only data user keeps the host DOWN (the canary write is refused)', async () => {
    await raw.call('ACL', 'SETUSER', 'ro', 'on', '>pw', '~*', '&*', '+@read', '+@connection');
    const ro = new Redis({ port: redis.port, host: '127.0.0.1', username: 'ro', password: 'pw', enableReadyCheck: false });
    try {
      const errs = [];
      const a = open({ client: ro });
      a.on('error', (e) => errs.push(e.message));
      await waitFor(() => errs.length > 0, 10000, 'canary error');
      assert.match(errs[0], /canary write failed/);
      assert.strictEqual(a.state, 'down');
    } finally { ro.disconnect(); }
  });

  it('refuses Redis Cluster (a real cluster-enabled server): stays DOWN with an error that says why', async () => {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsmm-near-cluster-'));
    const node = await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--dir', dir] });
    const errs = [];
    try {
      const a = open({ listen: { port: node.port } });
      a.on('error', (e) => errs.push(e.message));
      await waitFor(() => errs.length > 0, 10000, 'setup error');
      assert.match(errs[0], /[Cc]luster/);
      assert.strictEqual(a.state, 'down');
      assert.strictEqual(a.get('u:any'), undefined);
      assert.strictEqual(a.stats().bypass.notLive, 1);
      assert.strictEqual(a.stats().lag.proofAgeMs, null);
    } finally {
      await node.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a server without tracking support (stays DOWN with an error)', async () => {
    const errs = [];
    // A fake server that rejects CLIENT TRACKING the way a proxy would.
    const net = require('node:net');
    const srv = net.createServer((s) => s.on('data', (d) => {
      const t = d.toString();
      if (/INFO/.test(t)) s.write('$0\r\n\r\n');
      if (/SETNAME/.test(t)) s.write('+OK\r\n');
      if (/\$2\r\nID/.test(t)) s.write(':7\r\n');
      if (/TRACKING/.test(t)) s.write('-ERR unknown subcommand\r\n');
    }));
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const a = open({ listen: { port: srv.address().port } });
      a.on('error', (e) => errs.push(e.message));
      await waitFor(() => errs.length > 0, 5000, 'setup error');
      assert.match(errs[0], /CLIENT TRACKING/);
      assert.strictEqual(a.state, 'down');
    } finally { srv.close(); }
  });
});
