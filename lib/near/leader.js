'use strict';
// The host leader's listener: one TrackingConnection, the heartbeat that keeps
// the data segment's trust window open, invalidations, flushes, the canary and
// the old-generation sweep. Runs in a worker_thread of the elected process (listener-worker.js),
// or on its main thread ({ listenerThread: 'main' }). Invariants: index.js I1-I4.
const { EventEmitter } = require('node:events');
const { TrackingConnection } = require('./resp');
const { trustWindowOf } = require('../cache');

const SWEEP_SLOTS = 4096;

/**
 * Events: 'state' (state, reason), 'invalidate' (keys | null), 'error' (err).
 * canaryWrite(keys) must SET each key through the user's data client (PX 10 s).
 */
class Leader extends EventEmitter {
  #o;
  #data;
  #ctl;
  #canaryWrite;
  #trust; // the data segment's trust window (core layout.h N1-N6)
  #clock; // its clock (CLOCK_MONOTONIC ms): ping send times and window deadlines
  #stopped = false;
  #conn = null;
  #pingTimer = null;
  #reconnectTimer = null;
  #canaryTimer = null;
  #sweepTimer = null;
  #sweepCursor = 0; // next slot of the running sweep pass (0: none running)
  #sweepDirty = false; // a (further) pass is needed
  #sweepEpoch = undefined; // the core's move mark after the previous span of this pass
  #backoff = 0;
  #gen = null; // the generation this leader opened the window for, while LIVE
  #prevPingAt = 0;
  #state = 'starting';
  #canaryOk = false; // the current connection passed its first canary
  #canaryWait = null; // { keys: Set, resolve }

  constructor(opts, { data, ctl, canaryWrite }) {
    super();
    this.#o = opts;
    this.#data = data;
    this.#ctl = ctl;
    this.#canaryWrite = canaryWrite;
    this.#trust = trustWindowOf(data);
    this.#clock = this.#trust.clockMs;
  }

  /** Takes over: flush (the new leader trusts nothing), then connect. */
  start() {
    this.#ctl.set('leader', String(process.pid));
    this.#bump('f:leader');
    this.#down('leader');
    this.#connect();
  }

  /** DOWN, then stop everything. Idempotent. */
  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    clearInterval(this.#canaryTimer);
    clearImmediate(this.#sweepTimer);
    if (this.#conn) this.#conn.destroy('closing');
    this.#down('closing');
  }

  #bump(k, n = 1) { this.#ctl.incr(`s:${k}`, n); }

  // I2: flush. Once the window is closed no reader trusts the old gen and the core
  // refuses every fill that snapshotted it (N5); the next #publishLive takes a new gen.
  #down(reason) {
    this.#trust.flush();
    this.#ctl.set('reason', reason.slice(0, 32)); // for the 'state' events of other processes
    this.#gen = null;
    if (this.#state !== 'down') { this.#state = 'down'; this.emit('state', 'down', reason); }
  }

  #publishLive() {
    this.#prevPingAt = this.#clock();
    this.#gen = this.#trust.goLive(this.#prevPingAt + this.#o.maxStalenessMs);
    if (this.#state !== 'live') { this.#state = 'live'; this.emit('state', 'live'); }
    this.#scheduleSweep();
  }

  // Entries of older generations are unreachable (I2) and never written again, so
  // the core reclaims them (layout.h N7) in spans of SWEEP_SLOTS slots, one span per
  // event-loop turn (each span holds the structure mutex briefly). A pass runs over the
  // whole table. Another pass follows when another process's delete shifted entries
  // between two spans (the core reports it: such a shift can carry an old entry behind
  // the cursor), or when a new generation went live meanwhile.
  #scheduleSweep() {
    this.#sweepDirty = true;
    this.#runSweep();
  }

  #runSweep() {
    if (this.#sweepTimer || this.#stopped) return;
    this.#sweepTimer = setImmediate(() => {
      this.#sweepTimer = null;
      if (this.#stopped) return;
      if (this.#sweepCursor === 0) {
        if (!this.#sweepDirty) return;
        this.#sweepDirty = false;
        this.#sweepEpoch = undefined; // a new pass
      }
      const r = this.#trust.purge(this.#trust.state().generation, this.#sweepCursor, SWEEP_SLOTS, this.#sweepEpoch);
      this.#sweepCursor = r.cursor;
      this.#sweepEpoch = r.epoch;
      if (r.disturbed) this.#sweepDirty = true;
      if (r.removed > 0) this.#bump('swept', r.removed);
      this.#runSweep();
    });
    this.#sweepTimer.unref();
  }

  #connect() {
    if (this.#stopped) return;
    const o = this.#o;
    const conn = new TrackingConnection({
      ...o.listen, prefixes: o.prefixes, connectTimeoutMs: o.pingTimeoutMs * 4, clock: this.#clock,
      clientName: `fsmm-near:${o.name.replace(/[^\x21-\x7e]/g, '_')}:${process.pid}`, // shown by CLIENT LIST
    });
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
    conn.on('pong', (sentAt, rttMs) => {
      this.#ctl.set('s:rtt', String(Math.round(rttMs * 1000))); // µs, for stats().lag
      this.#pong(sentAt);
    });
    conn.on('fatal', (err) => this.emit('error', err));
    conn.on('close', (reason) => {
      clearInterval(this.#pingTimer);
      clearInterval(this.#canaryTimer);
      this.#pingTimer = null;
      this.#canaryOk = false;
      if (this.#canaryWait) this.#canaryWait.resolve(false);
      if (this.#conn === conn) this.#conn = null;
      if (this.#stopped) return;
      this.#bump(reason === 'ping-timeout' ? 'f:ping' : reason === 'canary-failed' ? 'f:canary' : 'f:disconnect');
      this.#down(reason);
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
    const o = this.#o;
    if (o.canaryTimeoutMs <= 0) return true;
    if (this.#canaryWait) return true; // one in flight
    const keys = o.prefixes.map((p) => `${p}__nc_canary__:${process.pid}`);
    const seen = new Promise((resolve) => { this.#canaryWait = { keys: new Set(keys), resolve }; });
    const timer = setTimeout(() => this.#canaryWait && this.#canaryWait.resolve(false), o.canaryTimeoutMs);
    let why = `no invalidation within ${o.canaryTimeoutMs} ms`;
    try {
      await this.#canaryWrite(keys);
    } catch (err) {
      why = `the canary write failed: ${err.message}`;
      if (this.#canaryWait) this.#canaryWait.resolve(false);
    }
    const ok = await seen;
    clearTimeout(timer);
    this.#canaryWait = null;
    if (!ok && this.#conn === conn && !this.#stopped) {
      this.emit('error', new Error(`near cache canary failed for ${keys.join(', ')}: ${why}. Check that listen and client reach `
        + 'the same Redis, that no proxy drops invalidation pushes, that the listener user may read the prefixes '
        + '(Redis 8.10+ filters BCAST by ACL), and that the data client may write them.'));
      conn.destroy('canary-failed');
    }
    return ok && this.#conn === conn;
  }

  #heartbeat() {
    const conn = this.#conn;
    if (!conn) return;
    const oldest = conn.oldestPingAt;
    if (oldest !== undefined && this.#clock() - oldest > this.#o.pingTimeoutMs) { conn.destroy('ping-timeout'); return; }
    conn.ping();
  }

  // A PONG proves every invalidation sent before the PING was applied (one ordered
  // stream). Writes in the same server event-loop turn as the PING are emitted
  // after the PONG, so trust only up to the *previous* PING's send time.
  #pong(sentAt) {
    const confirmed = this.#prevPingAt;
    this.#prevPingAt = sentAt;
    if (this.#gen === null) return;
    // Integer ms on the segment's clock: readers trust while floor(now) < until,
    // i.e. now < confirmed + maxStalenessMs exactly (layout.h N1).
    const until = confirmed + this.#o.maxStalenessMs;
    if (until <= this.#clock()) return; // the window is closing on its own; the next PONG re-publishes
    if (!this.#trust.renew(this.#gen, until)) {
      // The window closed (heartbeat late) or was replaced: re-publish under a new gen.
      this.#bump('f:stale');
      this.#down('stale');
      this.#publishLive();
    }
  }

  #invalidate(keys) {
    if (keys === null) {
      this.#bump('f:flushall');
      this.#down('flushall');
      if (this.#conn && this.#canaryOk) this.#publishLive();
      this.emit('invalidate', null);
      return;
    }
    const cw = this.#canaryWait;
    for (const k of keys) {
      if (cw && cw.keys.delete(k) && cw.keys.size === 0) cw.resolve(true);
      // I3: epoch++ and delete of the current generation's entry, one step. A key longer
      // than keySize is never filled (the fill bypasses it), so it has nothing to drop.
      if (Buffer.byteLength(k) <= this.#o.keySize) this.#trust.invalidate(k);
    }
    this.#bump('inv', keys.length);
    this.emit('invalidate', keys);
  }
}

module.exports = { Leader };
