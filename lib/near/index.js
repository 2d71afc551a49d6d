'use strict';
// fast-sharedmemory-mmap/near: each host's shared segment as an L1 in front of
// Redis (the source of truth), kept coherent by Redis BCAST client tracking.
// Design and guarantee: docs/NEAR-CACHE.md. Summary of the invariants:
//
// Segments (per host, per name):
//   <name>.near      data: entries under "\0<gen>:<key>", fill locks under "\x01L:<key>"
//   <name>.near.ctl  control: 'live' = current gen as a string, with a TTL that the
//                    leader's heartbeat keeps at most maxStalenessMs past the last
//                    PING whose PONG proved every earlier invalidation applied;
//                    'gen' = flush counter; 'e<n>' = invalidation epoch of stripe n;
//                    's:*' = host-wide counters written by the leader.
// I1 A reader trusts an entry only if ctl 'live' exists and the entry's key carries
//    that gen. Absent 'live' (DOWN, or heartbeat older than the bound) = bypass.
// I2 Flush = delete 'live'; going LIVE again publishes gen+1: O(1);
//    old-gen entries are unreachable and age out by TTL/eviction.
// I3 The listener applies an invalidation as: stripe epoch++, then delete the entry.
//    A fill is: snapshot (live, epoch) before the Redis read; after the read,
//    re-check, insert, re-check, delete on mismatch. Each op is linearizable in its
//    segment, so either the filler sees the new epoch, or the listener's delete
//    follows the insert (NEAR-CACHE.md §5.3 item 3, without a cross-segment lock).
// I4 Negative entries ("known absent", negativeTtlMs > 0) live under "\0<gen>n:<key>"
//    and follow I1-I3 exactly like values.
const net = require('node:net');
const { EventEmitter } = require('node:events');
const createCache = require('../..');
const { TrackingConnection } = require('./resp');

const STRIPES = 256;
const GEN_PREFIX_BYTES = 24; // "\0" + up to 20 digits + ":" (+ slack)
const LOCK_PREFIX = '\x01L:';

function stripeOf(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (STRIPES - 1);
}

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

function pickAdapter(client) {
  if (client && typeof client.read === 'function' && typeof client.write === 'function'
      && typeof client.writeIfAbsent === 'function' && typeof client.del === 'function') return client;
  if (client && typeof client.pipeline === 'function' && typeof client.set === 'function') return ioredisAdapter(client);
  throw new TypeError('near cache: options.client must be an ioredis client or an adapter {read, write, writeIfAbsent, del}');
}

const nowMs = () => performance.now();

class NearCache extends EventEmitter {
  #opts;
  #data;
  #ctl;
  #ctlGet;
  #dataGet;
  #adapter;
  #closed = false;
  #inflight = new Map();
  #local = {
    hits: 0, misses: 0, negativeHits: 0, bypass: { notLive: 0, notCovered: 0, tooBig: 0, full: 0 },
    fills: 0, negativeFills: 0, fillsRejected: 0, loads: 0, lockWaits: 0,
  };
  // Election and listener (leader only).
  #server = null;
  #electTimer = null;
  #conn = null;
  #pingTimer = null;
  #reconnectTimer = null;
  #backoff = 0;
  #gen = null; // gen string this leader published, while LIVE
  #prevPingAt = 0;
  #liveAt = 0;
  #state = 'starting';
  #sweepTimer = null;
  #canaryTimer = null;
  #canaryOk = false; // the current connection passed its first canary
  #canaryWait = null; // { keys: Set, resolve }

  constructor(opts) {
    super();
    const o = {
      maxKeys: 1024, keySize: 64, valueSize: 256, evict: 'lru',
      maxTtlMs: 60_000, maxStalenessMs: 1000, pingIntervalMs: 100, pingTimeoutMs: 500,
      loadTimeoutMs: 2000, negativeTtlMs: 0, canaryIntervalMs: 30_000, canaryTimeoutMs: 2000, lead: true, listen: {}, ...opts,
    };
    if (typeof o.name !== 'string' || !o.name) throw new TypeError('near cache: options.name must be a non-empty string');
    if (!Array.isArray(o.prefixes) || o.prefixes.length === 0 || o.prefixes.some((p) => typeof p !== 'string' || !p)) {
      throw new TypeError('near cache: options.prefixes must be a non-empty array of non-empty strings');
    }
    if (!(o.pingTimeoutMs + o.pingIntervalMs <= o.maxStalenessMs)) {
      throw new RangeError('near cache: pingIntervalMs + pingTimeoutMs must not exceed maxStalenessMs');
    }
    this.#opts = o;
    this.#adapter = pickAdapter(o.client);
    this.#data = createCache({
      name: `${o.name}.near`, maxKeys: o.maxKeys, keySize: o.keySize + GEN_PREFIX_BYTES,
      valueSize: o.valueSize, evict: o.evict, mode: o.mode,
    });
    this.#ctl = createCache({ name: `${o.name}.near.ctl`, maxKeys: 1024, keySize: 16, valueSize: 32, mode: o.mode });
    this.#ctlGet = this.#ctl.get.bind(this.#ctl);
    this.#dataGet = this.#data.get.bind(this.#data);
    this.hooks = o.testHooks || {};
    if (o.lead) this.#tryLead();
  }

  /** 'live' when the host's L1 may be trusted now, else 'down'. */
  get state() {
    if (this.#closed) return 'closed';
    return this.#ctl.get('live') === undefined ? 'down' : 'live';
  }

  get isLeader() { return this.#server !== null; }

  /** Sync L1 read: the value on a trusted hit, undefined otherwise. Never touches Redis. */
  // With negativeTtlMs > 0, null = known absent in Redis (trusted like a value).
  get(key) {
    const g = this.#ctlGet('live');
    if (g === undefined) { this.#local.bypass.notLive++; return undefined; }
    let v;
    try { v = this.#dataGet('\0' + g + ':' + key); } catch { this.#local.bypass.tooBig++; return undefined; }
    if (v !== undefined) { this.#local.hits++; return v; }
    if (this.#opts.negativeTtlMs > 0 && this.#data.has('\0' + g + 'n:' + key)) { this.#local.negativeHits++; return null; }
    this.#local.misses++;
    return undefined;
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
      const h = stripeOf(key);
      let g = this.#ctl.get('live');
      let e = this.#ctl.get(`e${h}`);
      let t0 = nowMs();
      let { val, pttl, loaded } = await this.#readOrLoad(key, loader, ttlMs);
      if (loaded) {
        // Our own SET comes back as an invalidation of this stripe: wait for it
        // (bounded), then snapshot and re-read, so the fill is not rejected for it.
        const until = nowMs() + Math.min(50, o.pingTimeoutMs);
        while (this.#ctl.get(`e${h}`) === e && nowMs() < until) await new Promise((r) => setTimeout(r, 1));
        g = this.#ctl.get('live');
        e = this.#ctl.get(`e${h}`);
        t0 = nowMs();
        [val, pttl] = await this.#adapter.read(key);
      }
      if (this.hooks.afterRead) await this.hooks.afterRead(key);
      if (val === null) {
        if (g !== undefined && o.negativeTtlMs > 0) this.#fillNegative(key, g, h, e);
        return undefined;
      }
      if (g !== undefined) this.#fill(key, val, pttl, g, h, e, nowMs() - t0);
      return val;
    } finally {
      if (locked) this.#data.delete(lockKey);
    }
  }

  // I3: insert only if neither the generation nor the key's stripe epoch moved
  // since the snapshot taken before the Redis read.
  #fill(key, val, pttl, g, h, e, rttMs) {
    const o = this.#opts;
    if (Buffer.byteLength(val) > o.valueSize) { this.#local.bypass.tooBig++; return; }
    let ttl = o.maxTtlMs;
    if (pttl > 0) ttl = Math.min(ttl, Math.floor(pttl - rttMs / 2) - 1);
    else if (pttl !== -1) return; // -2: gone meanwhile
    if (ttl <= 0) return;
    const ek = `e${h}`;
    const fresh = () => this.#ctl.get('live') === g && this.#ctl.get(ek) === e;
    if (!fresh()) { this.#local.fillsRejected++; return; }
    const dk = '\0' + g + ':' + key;
    if (!this.#data.set(dk, val, { ttl })) { this.#local.bypass.full++; return; }
    if (!fresh()) { this.#data.delete(dk); this.#local.fillsRejected++; return; }
    this.#local.fills++;
  }

  #fillNegative(key, g, h, e) {
    const ek = `e${h}`;
    const fresh = () => this.#ctl.get('live') === g && this.#ctl.get(ek) === e;
    if (!fresh()) { this.#local.fillsRejected++; return; }
    const nk = '\0' + g + 'n:' + key;
    if (!this.#data.set(nk, '', { ttl: this.#opts.negativeTtlMs })) { this.#local.bypass.full++; return; }
    if (!fresh()) { this.#data.delete(nk); this.#local.fillsRejected++; return; }
    this.#local.negativeFills++;
  }

  #deleteEntry(g, key) {
    this.#data.delete('\0' + g + ':' + key);
    if (this.#opts.negativeTtlMs > 0) this.#data.delete('\0' + g + 'n:' + key);
  }

  #dropLocal(key) {
    this.#ctl.incr(`e${stripeOf(key)}`);
    const g = this.#ctl.get('live');
    if (g !== undefined) this.#deleteEntry(g, key);
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
    return {
      ...this.#local,
      bypass: { ...this.#local.bypass },
      state: this.state,
      isLeader: this.isLeader,
      leaderPid: Number(this.#ctl.get('leader') || 0) || null,
      invalidations: c('inv'),
      flushes: {
        disconnect: c('f:disconnect'), pingTimeout: c('f:ping'), null: c('f:null'), stale: c('f:stale'),
        leader: c('f:leader'), canary: c('f:canary'),
      },
    };
  }

  // ---- leader election: an abstract unix socket only one process can bind;
  // the kernel releases it when the holder dies (SIGKILL included).
  #tryLead() {
    if (this.#closed || this.#server) return;
    const srv = net.createServer();
    srv.on('error', () => {
      srv.close();
      if (this.#closed) return;
      this.#electTimer = setTimeout(() => this.#tryLead(), this.#opts.pingIntervalMs);
      this.#electTimer.unref();
    });
    srv.listen({ path: `\0fsmm-near:${this.#opts.name}` }, () => {
      if (this.#closed) { srv.close(); return; }
      srv.unref();
      this.#server = srv;
      this.#ctl.set('leader', String(process.pid));
      this.#bump('f:leader');
      this.#down('leader');
      this.emit('leader', process.pid);
      this.#connect();
    });
  }

  #bump(k, n = 1) { this.#ctl.incr(`s:${k}`, n); }

  // I2: flush. Once 'live' is gone no reader trusts the old gen and no fill that
  // snapshotted it can pass its re-check; the next #publishLive takes a new gen.
  #down(reason) {
    this.#ctl.delete('live');
    this.#gen = null;
    if (this.#state !== 'down') { this.#state = 'down'; this.emit('state', 'down', reason); }
  }

  #publishLive() {
    const g = String(this.#ctl.incr('gen'));
    this.#liveAt = nowMs();
    this.#prevPingAt = this.#liveAt;
    this.#ctl.set('live', g, { ttl: this.#opts.maxStalenessMs });
    this.#gen = g;
    if (this.#state !== 'live') { this.#state = 'live'; this.emit('state', 'live'); }
    this.#scheduleSweep();
  }

  // Entries of older generations are unreachable (I2); reclaim their slots in
  // batches so a table without eviction does not fill up with them. 'swept' in
  // ctl is the highest gen whose entries are all gone (shared across leaders).
  #scheduleSweep() {
    if (this.#sweepTimer || this.#closed) return;
    this.#sweepTimer = setImmediate(() => {
      this.#sweepTimer = null;
      if (this.#closed || !this.#server) return;
      const cur = Number(this.#ctl.get('gen') || 0);
      let swept = Number(this.#ctl.get('swept') || 0);
      let budget = 1000;
      while (swept < cur - 1 && budget > 0) {
        const g = swept + 1;
        for (const pfx of [`\0${g}:`, `\0${g}n:`]) {
          const ks = this.#data.keys({ prefix: pfx, limit: budget });
          for (const k of ks) this.#data.delete(k);
          budget -= ks.length;
        }
        if (budget > 0) { swept = g; this.#ctl.set('swept', String(swept)); }
      }
      if (swept < cur - 1) this.#scheduleSweep();
    });
    this.#sweepTimer.unref();
  }

  #connect() {
    if (this.#closed) return;
    const o = this.#opts;
    const conn = new TrackingConnection({ ...o.listen, prefixes: o.prefixes, connectTimeoutMs: o.pingTimeoutMs * 4 });
    conn.unref();
    this.#conn = conn;
    conn.on('ready', async () => {
      this.#pingTimer = setInterval(() => this.#heartbeat(), o.pingIntervalMs);
      this.#pingTimer.unref();
      // LIVE only once a write under every prefix was seen coming back (canary).
      if (!(await this.#canary(conn))) return;
      this.#backoff = 0;
      this.#canaryOk = true;
      this.#publishLive();
      if (o.canaryIntervalMs > 0) {
        this.#canaryTimer = setInterval(() => { this.#canary(conn); }, o.canaryIntervalMs);
        this.#canaryTimer.unref();
      }
    });
    conn.on('invalidate', (keys) => this.#invalidate(keys));
    conn.on('pong', (sentAt) => this.#pong(sentAt));
    conn.on('fatal', (err) => this.#reportError(err));
    conn.on('close', (reason) => {
      clearInterval(this.#pingTimer);
      clearInterval(this.#canaryTimer);
      this.#pingTimer = null;
      this.#canaryOk = false;
      if (this.#canaryWait) this.#canaryWait.resolve(false);
      if (this.#conn === conn) this.#conn = null;
      this.#bump(reason === 'ping-timeout' ? 'f:ping' : reason === 'canary-failed' ? 'f:canary' : 'f:disconnect');
      this.#down(reason);
      if (this.#closed) return;
      const delay = Math.min(50 * 2 ** this.#backoff++, 2000) * (0.5 + Math.random() / 2);
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
      this.#reconnectTimer.unref();
    });
  }

  // End-to-end self-test: SET "<prefix>__nc_canary__:<pid>" through the data
  // client for every prefix; each must come back as an invalidation on this
  // connection within canaryTimeoutMs. Catches a listener and a data client on
  // different servers, proxies that swallow pushes, ACL-filtered BCAST (8.10+),
  // a read-only data user. Failure: destroy the connection (flush, DOWN, retry).
  async #canary(conn) {
    const o = this.#opts;
    if (o.canaryIntervalMs <= 0 && this.#canaryOk) return true;
    if (o.canaryTimeoutMs <= 0) return true;
    if (this.#canaryWait) return true; // one in flight
    const keys = o.prefixes.map((p) => `${p}__nc_canary__:${process.pid}`);
    const seen = new Promise((resolve) => { this.#canaryWait = { keys: new Set(keys), resolve }; });
    const timer = setTimeout(() => this.#canaryWait && this.#canaryWait.resolve(false), o.canaryTimeoutMs);
    let why = `no invalidation within ${o.canaryTimeoutMs} ms`;
    try {
      await Promise.all(keys.map((k) => this.#adapter.write(k, String(Date.now()), 10_000)));
    } catch (err) {
      why = `the canary write failed: ${err.message}`;
      this.#canaryWait.resolve(false);
    }
    const ok = await seen;
    clearTimeout(timer);
    this.#canaryWait = null;
    if (!ok && this.#conn === conn && !this.#closed) {
      this.#reportError(new Error(`near cache canary failed for ${keys.join(', ')}: ${why}. Check that listen and client reach `
        + 'the same Redis, that no proxy drops invalidation pushes, that the listener user may read the prefixes '
        + '(Redis 8.10+ filters BCAST by ACL), and that the data client may write them.'));
      conn.destroy('canary-failed');
    }
    return ok && this.#conn === conn;
  }

  // 'error' without a listener would throw from a socket callback and take the
  // process down; a cache must not, so it becomes a process warning instead.
  #reportError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err.message, 'NearCacheWarning');
  }

  #heartbeat() {
    const conn = this.#conn;
    if (!conn) return;
    const oldest = conn.oldestPingAt;
    if (oldest !== undefined && nowMs() - oldest > this.#opts.pingTimeoutMs) { conn.destroy('ping-timeout'); return; }
    conn.ping();
  }

  // A PONG proves every invalidation sent before the PING was applied (one ordered
  // stream). Writes in the same server event-loop turn as the PING are emitted
  // after the PONG, so trust only up to the *previous* PING's send time.
  #pong(sentAt) {
    const confirmed = this.#prevPingAt;
    this.#prevPingAt = sentAt;
    if (this.#gen === null) return;
    const ttl = Math.floor(confirmed + this.#opts.maxStalenessMs - nowMs());
    if (ttl < 1) return; // 'live' is expiring on its own; the next PONG re-publishes
    if (!this.#ctl.cas('live', this.#gen, this.#gen, { ttl })) {
      // 'live' expired (heartbeat late): re-publish under a new gen.
      this.#bump('f:stale');
      this.#down('stale');
      this.#publishLive();
    }
    if (this.hooks.onPong) this.hooks.onPong();
  }

  #invalidate(keys) {
    if (keys === null) {
      this.#bump('f:null');
      this.#down('flushall');
      if (this.#conn && this.#canaryOk) this.#publishLive();
      this.emit('invalidate', null);
      return;
    }
    const g = this.#gen;
    const cw = this.#canaryWait;
    for (const k of keys) {
      if (cw && cw.keys.delete(k) && cw.keys.size === 0) cw.resolve(true);
      this.#ctl.incr(`e${stripeOf(k)}`);
      if (g !== null) this.#deleteEntry(g, k);
    }
    this.#bump('inv', keys.length);
    this.emit('invalidate', keys);
  }

  /** Stops the listener (if leader: DOWN, then release leadership) and unmaps the segments. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#electTimer);
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    clearImmediate(this.#sweepTimer);
    clearInterval(this.#canaryTimer);
    if (this.#server) {
      if (this.#conn) this.#conn.destroy('closing');
      this.#down('closing');
      const srv = this.#server;
      this.#server = null;
      await new Promise((r) => srv.close(r));
    }
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

module.exports = { createNearCache, NearCache, unlinkNear, stripeOf };
