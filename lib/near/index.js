'use strict';
// fast-sharedmemory-mmap/near: each host's shared segment as an L1 in front of
// Redis (the source of truth), kept coherent by Redis BCAST client tracking.
// Design and guarantee: docs/NEAR-CACHE.md. Summary of the invariants:
//
// Segments (per host, per name):
//   <name>.near      data: entries under "\0<gen>:<key>", fill locks under "\x01L:<key>";
//                    its header holds the trust window (src/core/layout.h N1-N6):
//                    the generation readers may trust and until when (CLOCK_MONOTONIC
//                    ms), which the leader's heartbeat keeps at most maxStalenessMs
//                    past the last PING whose PONG proved every earlier invalidation
//                    applied; the region also holds 256 invalidation epochs, one per
//                    key stripe (N5).
//   <name>.near.ctl  control: 'leader' = pid; 'reason' = last
//                    flush reason; 's:*' = host-wide counters written by the leader.
// I1 A reader trusts an entry only while the window is open and the entry's key carries
//    the window's generation: one native call (getTrusted) checks both. A closed window
//    (DOWN, or a heartbeat older than the bound) = bypass.
// I2 Flush = close the window; going LIVE again opens it under gen+1: O(1);
//    old-gen entries are unreachable and are swept by the leader.
// I3 The listener applies an invalidation as one step under the data segment's
//    structure lock: stripe epoch++, delete the entry. A fill snapshots (gen, epoch)
//    before the Redis read, and after it stores under the same lock only if neither
//    moved (NEAR-CACHE.md §5.3 item 3). A fill that raced an invalidation is refused
//    and never visible.
// I4 A negative entry ("known absent", negativeTtlMs > 0) is the key's entry with an
//    empty Buffer value; it follows I1-I3 exactly like a value.
// The leader side (listener, heartbeat, flushes, canary, sweep) is leader.js.
const net = require('node:net');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const createCache = require('../..');
const { trustWindowOf } = require('../cache');
const { Leader } = require('./leader');
const { openSegments } = require('./segments');

const LOCK_PREFIX = '\x01L:';
const EMPTY = Buffer.alloc(0); // the value of a negative entry (I4)

function ioredisAdapter(client) {
  return {
    async read(key) {
      const res = await client.pipeline().get(key).pttl(key).exec();
      for (const [err] of res) if (err) throw err;
      return [res[0][1], res[1][1]];
    },
    async write(key, value, ttlMs) {
      return ttlMs > 0 ? client.set(key, value, 'PX', ttlMs) : client.set(key, value);
    },
    async writeIfAbsent(key, value, ttlMs) {
      return ttlMs > 0 ? client.set(key, value, 'PX', ttlMs, 'NX') : client.set(key, value, 'NX');
    },
    async del(key) { return client.del(key); },
  };
}

// node-redis v4/v5 (the `redis` package): camelCase commands, options objects,
// MULTI for the read (GET and PTTL of one instant).
function nodeRedisAdapter(client) {
  return {
    async read(key) {
      const [val, pttl] = await client.multi().get(key).pTTL(key).exec();
      return [val ?? null, Number(pttl)];
    },
    async write(key, value, ttlMs) {
      return ttlMs > 0 ? client.set(key, value, { PX: ttlMs }) : client.set(key, value);
    },
    async writeIfAbsent(key, value, ttlMs) {
      return client.set(key, value, ttlMs > 0 ? { PX: ttlMs, NX: true } : { NX: true });
    },
    async del(key) { return client.del(key); },
  };
}

function pickAdapter(client) {
  if (client && typeof client.read === 'function' && typeof client.write === 'function'
      && typeof client.writeIfAbsent === 'function' && typeof client.del === 'function') return client;
  if (client && typeof client.pipeline === 'function' && typeof client.set === 'function') return ioredisAdapter(client);
  if (client && typeof client.multi === 'function' && typeof client.pTTL === 'function') return nodeRedisAdapter(client);
  throw new TypeError('near cache: options.client must be an ioredis client, a node-redis (v4/v5) client, '
    + 'or an adapter {read, write, writeIfAbsent, del}');
}

const nowMs = () => performance.now();

class NearCache extends EventEmitter {
  #opts;
  #data;
  #ctl;
  #trust; // the data segment's trust window (I1, I2)
  #getTrusted; // (key) -> value | empty Buffer (negative) | undefined (miss) | null (window closed)
  #adapter;
  #closed = false;
  #inflight = new Map();
  #hits = 0; // the hot counters are fields of their own: one store per get()
  #misses = 0;
  #local = {
    negativeHits: 0, bypass: { notLive: 0, notCovered: 0, tooBig: 0, full: 0 },
    fills: 0, negativeFills: 0, fillsRejected: 0, loads: 0, lockWaits: 0,
  };
  // Election and listener (leader only).
  #server = null;
  #electTimer = null;
  #leader = null; // { stop() } while this process holds the election socket
  #worker = null;
  // Someone listens to 'invalidate': the worker posts every batch. A listener added
  // while the worker runs gets batches from when the worker reads the 'forward' message.
  #forward = false;
  // 'state' in processes that do not lead: observed from the trust window.
  #watchTimer = null;
  #seenGeneration = 0;

  constructor(opts) {
    super();
    const o = {
      maxKeys: 1024, keySize: 64, valueSize: 256, evict: 'lru',
      maxTtlMs: 60_000, maxStalenessMs: 1000, pingIntervalMs: 100, pingTimeoutMs: 500,
      loadTimeoutMs: 2000, negativeTtlMs: 0, canaryIntervalMs: 30_000, canaryTimeoutMs: 2000,
      lead: true, listenerThread: 'worker', listen: {},
      ...opts,
    };
    if (typeof o.name !== 'string' || !o.name) throw new TypeError('near cache: options.name must be a non-empty string');
    if (!Array.isArray(o.prefixes) || o.prefixes.length === 0 || o.prefixes.some((p) => typeof p !== 'string' || !p)) {
      throw new TypeError('near cache: options.prefixes must be a non-empty array of non-empty strings');
    }
    if (o.listenerThread !== 'worker' && o.listenerThread !== 'main') {
      throw new TypeError("near cache: options.listenerThread must be 'worker' or 'main'");
    }
    if (!(o.pingTimeoutMs + o.pingIntervalMs <= o.maxStalenessMs)) {
      throw new RangeError('near cache: pingIntervalMs + pingTimeoutMs must not exceed maxStalenessMs');
    }
    this.#opts = o;
    this.#adapter = pickAdapter(o.client);
    ({ data: this.#data, ctl: this.#ctl } = openSegments(o));
    this.#trust = trustWindowOf(this.#data);
    this.#getTrusted = this.#trust.getTrusted;
    // Test support: { afterRead(key) } runs between the Redis read and the fill;
    // { listenerWorker(worker) } receives the leader's listener thread when it starts;
    // { electionName } replaces the name of the election socket.
    this.hooks = o.testHooks || {};
    this.on('newListener', (event) => {
      if (event === 'state') this.#watchState();
      if (event !== 'invalidate' || this.#forward) return;
      this.#forward = true;
      if (this.#worker) this.#worker.postMessage({ type: 'forward' });
    });
    if (o.lead) this.#tryLead();
  }

  /** 'live' when the host's L1 may be trusted now, else 'down'. */
  get state() {
    if (this.#closed) return 'closed';
    return this.#trust.trustedGeneration() === 0 ? 'down' : 'live';
  }

  get isLeader() { return this.#server !== null; }

  /**
   * Sync L1 read, never touching Redis: the value on a trusted hit; null on a trusted
   * negative entry (negativeTtlMs > 0); undefined otherwise (miss or bypass).
   */
  get(key) {
    let v;
    try {
      v = this.#getTrusted(key);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // not a string: TypeError
      this.#local.bypass.tooBig++; // longer than any stored key
      return undefined;
    }
    if (typeof v === 'string') { this.#hits++; return v; }
    if (v === undefined) { this.#misses++; return undefined; }
    if (v === null) { this.#local.bypass.notLive++; return undefined; }
    this.#local.negativeHits++; // I4: an empty Buffer
    return null;
  }

  #covered(key) {
    for (const p of this.#opts.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  /** Read-through: L1, else Redis GET+PTTL, else loader (SET NX in Redis), filling L1 only when provably fresh. */
  getOrLoad(key, { loader, ttlMs } = {}) {
    if (typeof key !== 'string') return Promise.reject(new TypeError('near cache: keys are strings'));
    const v = this.get(key);
    if (v === null && typeof loader !== 'function') return Promise.resolve(undefined);
    if (v !== undefined && v !== null) return Promise.resolve(v);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = this.#load(key, loader, ttlMs).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #readOrLoad(key, loader, ttlMs) {
    let [val, pttl] = await this.#adapter.read(key);
    let loaded = false;
    if (val === null && typeof loader === 'function') {
      const lv = await loader(key);
      if (lv !== undefined && lv !== null) {
        this.#local.loads++;
        await this.#adapter.writeIfAbsent(key, String(lv), ttlMs);
        loaded = true;
      }
    }
    return { val, pttl, loaded };
  }

  async #load(key, loader, ttlMs) {
    const o = this.#opts;
    if (!this.#covered(key)) {
      this.#local.bypass.notCovered++;
      const r = await this.#readOrLoad(key, loader, ttlMs);
      return r.loaded ? (await this.#adapter.read(key))[0] ?? undefined : r.val ?? undefined;
    }
    if (Buffer.byteLength(key) > o.keySize) {
      this.#local.bypass.tooBig++;
      const r = await this.#readOrLoad(key, loader, ttlMs);
      return r.loaded ? (await this.#adapter.read(key))[0] ?? undefined : r.val ?? undefined;
    }
    // Host-wide single flight: one process loads, the others wait for its fill.
    const lockKey = LOCK_PREFIX + key;
    let locked = this.#data.add(lockKey, String(process.pid), { ttl: o.loadTimeoutMs });
    if (!locked) {
      this.#local.lockWaits++;
      const deadline = nowMs() + o.loadTimeoutMs;
      let step = 1;
      while (nowMs() < deadline) {
        await new Promise((r) => setTimeout(r, step));
        step = Math.min(step * 2, 50);
        const v = this.get(key);
        if (v === null) return undefined;
        if (v !== undefined) return v;
        if (!this.#data.has(lockKey)) {
          locked = this.#data.add(lockKey, String(process.pid), { ttl: o.loadTimeoutMs });
          break;
        }
      }
    }
    try {
      let g = this.#trust.trustedGeneration();
      let e = this.#trust.epochOf(key);
      let t0 = nowMs();
      let { val, pttl, loaded } = await this.#readOrLoad(key, loader, ttlMs);
      if (loaded) {
        // Our own SET comes back as an invalidation of this stripe: wait for it
        // (bounded), then snapshot and re-read, so the fill is not rejected for it.
        const until = nowMs() + Math.min(50, o.pingTimeoutMs);
        while (this.#trust.epochOf(key) === e && nowMs() < until) await new Promise((r) => setTimeout(r, 1));
        g = this.#trust.trustedGeneration();
        e = this.#trust.epochOf(key);
        t0 = nowMs();
        [val, pttl] = await this.#adapter.read(key);
      }
      if (this.hooks.afterRead) await this.hooks.afterRead(key);
      if (val === null) {
        if (g !== 0 && o.negativeTtlMs > 0) this.#fillGuarded(key, EMPTY, o.negativeTtlMs, g, e, 'negativeFills');
        return undefined;
      }
      if (g !== 0) this.#fill(key, val, pttl, g, e, nowMs() - t0);
      return val;
    } finally {
      if (locked) this.#data.delete(lockKey);
    }
  }

  // I3: store only if neither the generation nor the key's stripe epoch moved since
  // the snapshot taken before the Redis read; the core checks and writes under one
  // structure lock (layout.h N5), so a refused value is never visible.
  #fill(key, val, pttl, g, e, rttMs) {
    const o = this.#opts;
    if (Buffer.byteLength(val) > o.valueSize) { this.#local.bypass.tooBig++; return; }
    let ttl = o.maxTtlMs;
    if (pttl > 0) ttl = Math.min(ttl, Math.floor(pttl - rttMs / 2) - 1);
    else if (pttl !== -1) return; // -2: gone meanwhile
    if (ttl <= 0) return;
    this.#fillGuarded(key, val, ttl, g, e, 'fills');
  }

  #fillGuarded(key, value, ttl, g, e, counter) {
    const r = this.#trust.fill(key, value, ttl, g, e);
    if (r === 'ok') this.#local[counter]++;
    else if (r === 'stale') this.#local.fillsRejected++;
    else this.#local.bypass.full++;
  }

  // Read-your-writes on this host: the same step as the listener's (N5).
  #dropLocal(key) {
    if (Buffer.byteLength(key) <= this.#opts.keySize) this.#trust.invalidate(key); // longer: never filled
  }

  /** SET in Redis, then drop the local copy (read-your-writes on this host). */
  async set(key, value, { ttlMs } = {}) {
    if (typeof key !== 'string' || typeof value !== 'string') throw new TypeError('near cache: keys and values are strings');
    await this.#adapter.write(key, value, ttlMs);
    this.#dropLocal(key);
  }

  /** DEL in Redis, then drop the local copy. */
  async delete(key) {
    const n = await this.#adapter.del(key);
    this.#dropLocal(key);
    return n > 0;
  }

  stats() {
    const c = (k) => Number(this.#ctl.get(`s:${k}`) || 0);
    const w = this.#trust.state();
    const rttUs = this.#ctl.get('s:rtt');
    return {
      hits: this.#hits,
      misses: this.#misses,
      ...this.#local,
      bypass: { ...this.#local.bypass },
      state: this.state,
      isLeader: this.isLeader,
      leaderPid: Number(this.#ctl.get('leader') || 0) || null,
      invalidations: c('inv'),
      swept: c('swept'), // entries of old generations reclaimed by the leaders' sweeps
      lag: {
        // Age of the newest PONG-confirmed point the window rests on: a hit can be
        // this much behind Redis plus the delivery lag (at most maxStalenessMs).
        proofAgeMs: w.trustedGeneration ? Math.max(0, this.#trust.clockMs() - (w.untilMs - this.#opts.maxStalenessMs)) : null,
        // The leader's last PING round trip on the invalidation stream.
        pingRttMs: rttUs === undefined ? null : Number(rttUs) / 1000,
      },
      flushes: {
        disconnect: c('f:disconnect'), pingTimeout: c('f:ping'), flushall: c('f:flushall'), stale: c('f:stale'),
        leader: c('f:leader'), canary: c('f:canary'),
      },
    };
  }

  // The leader emits 'state' with the reason as it acts. Other processes see the
  // window instead, polled every pingIntervalMs (timer unref'd, started by the first
  // 'state' listener): a closed window is 'down' (reason 'expired' when its deadline
  // passed, else the leader's last flush reason), a newly trusted generation 'live'.
  // A flush and go-live between two polls shows as 'down' then 'live'.
  #watchState() {
    if (this.#watchTimer || this.#closed) return;
    this.#seenGeneration = this.#trust.trustedGeneration();
    this.#watchTimer = setInterval(() => {
      const w = this.#trust.state();
      const prev = this.#seenGeneration;
      this.#seenGeneration = w.trustedGeneration;
      if (this.isLeader || w.trustedGeneration === prev) return;
      if (prev !== 0) {
        const reason = w.untilMs !== 0 && w.generation === prev ? 'expired' : this.#ctl.get('reason') || 'flush';
        this.emit('state', 'down', reason);
      }
      if (w.trustedGeneration !== 0) this.emit('state', 'live');
    }, this.#opts.pingIntervalMs);
    this.#watchTimer.unref();
  }

  // ---- leader election: an abstract unix socket only one process can bind;
  // the kernel releases it when the holder dies (SIGKILL included).
  #tryLead() {
    if (this.#closed || this.#server) return;
    const srv = net.createServer();
    srv.on('error', () => {
      srv.close();
      this.#retryLead();
    });
    // Test support: hooks.electionName stands in for a second network namespace (two leaders).
    srv.listen({ path: `\0fsmm-near:${this.hooks.electionName || this.#opts.name}` }, () => {
      if (this.#closed) { srv.close(); return; }
      srv.unref();
      this.#server = srv;
      this.emit('leader', process.pid);
      this.#startLeader();
    });
  }

  // 'error' without a listener would throw from a socket callback and take the
  // process down; a cache must not, so it becomes a process warning instead.
  #reportError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err.message, 'NearCacheWarning');
  }

  // Runs the host's listener: in a worker_thread (default) or on this thread.
  #startLeader() {
    const o = this.#opts;
    const canaryWrite = (keys) => Promise.all(keys.map((k) => this.#adapter.write(k, String(Date.now()), 10_000)));
    const plain = {
      name: o.name, maxKeys: o.maxKeys, keySize: o.keySize, valueSize: o.valueSize, evict: o.evict, mode: o.mode,
      prefixes: o.prefixes, listen: o.listen, maxStalenessMs: o.maxStalenessMs, pingIntervalMs: o.pingIntervalMs,
      pingTimeoutMs: o.pingTimeoutMs, negativeTtlMs: o.negativeTtlMs, canaryIntervalMs: o.canaryIntervalMs,
      canaryTimeoutMs: o.canaryTimeoutMs,
    };
    if (o.listenerThread === 'main') {
      const leader = new Leader(plain, { data: this.#data, ctl: this.#ctl, canaryWrite });
      leader.on('state', (st, reason) => this.emit('state', st, reason));
      leader.on('invalidate', (keys) => this.emit('invalidate', keys));
      leader.on('error', (err) => this.#reportError(err));
      this.#leader = { stop: async () => leader.stop() };
      leader.start();
      return;
    }
    const worker = new Worker(path.join(__dirname, 'listener-worker.js'), { workerData: { ...plain, forward: this.#forward } });
    this.#worker = worker;
    if (this.hooks.listenerWorker) this.hooks.listenerWorker(worker);
    let stopping = false;
    worker.unref();
    worker.on('message', (m) => {
      if (m.type === 'state') this.emit('state', m.state, m.reason);
      else if (m.type === 'invalidate') this.emit('invalidate', m.keys);
      else if (m.type === 'error') this.#reportError(new Error(m.message));
      else if (m.type === 'canary') {
        canaryWrite(m.keys).then(() => worker.postMessage({ type: 'canaryDone', id: m.id }),
          (err) => worker.postMessage({ type: 'canaryDone', id: m.id, error: err.message }));
      }
    });
    worker.on('error', (err) => this.#reportError(err));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    exited.then(() => { if (this.#worker === worker) this.#worker = null; });
    exited.then(() => {
      if (stopping || this.#closed) return;
      // The listener thread died while this process lives: DOWN, give up the
      // leadership (the election socket) and stand again after a ping interval.
      this.#trust.flush();
      this.#releaseLeadership().then(() => this.#retryLead());
    });
    this.#leader = {
      stop: async () => {
        stopping = true;
        worker.postMessage({ type: 'stop' });
        const t = setTimeout(() => worker.terminate(), 5000);
        await exited;
        clearTimeout(t);
        this.#trust.flush();
      },
    };
  }

  async #releaseLeadership() {
    const srv = this.#server;
    this.#server = null;
    this.#leader = null;
    if (srv) await new Promise((r) => srv.close(r));
  }

  #retryLead() {
    if (this.#closed) return;
    this.#electTimer = setTimeout(() => this.#tryLead(), this.#opts.pingIntervalMs);
    this.#electTimer.unref();
  }

  /** Stops the listener (if leader: DOWN, then release leadership) and unmaps the segments. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#electTimer);
    clearInterval(this.#watchTimer);
    if (this.#leader) await this.#leader.stop();
    await this.#releaseLeadership();
    this.#data.close();
    this.#ctl.close();
  }
}

function createNearCache(opts) { return new NearCache(opts); }

/** Removes a near cache's segments (both names). */
function unlinkNear(name) {
  const a = createCache.unlink(`${name}.near`);
  const b = createCache.unlink(`${name}.near.ctl`);
  return a || b;
}

module.exports = { createNearCache, NearCache, unlinkNear };
