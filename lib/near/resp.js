'use strict';
// A minimal RESP2 connection for the near-cache invalidation listener.
// One socket does: [AUTH] -> CLIENT ID -> CLIENT TRACKING ON BCAST PREFIX ...
// REDIRECT <own id> -> SUBSCRIBE __redis__:invalidate, then PINGs.
// Contract: while the socket lives, invalidations arrive in order and without
// loss (one server writer); once it closes, nothing is replayed, so the owner
// must treat 'close' as "everything may be stale".
const net = require('node:net');
const { EventEmitter } = require('node:events');

const CRLF = Buffer.from('\r\n');

function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

class RespError extends Error {
  constructor(message) { super(message); this.name = 'RespError'; }
}

const INCOMPLETE = Symbol('incomplete');

// Parses one RESP2 value at buf[pos]. Returns [value, nextPos] or INCOMPLETE.
// Bulk strings decode as UTF-8 strings; null bulk/array as null; errors as RespError.
function parse(buf, pos) {
  if (pos >= buf.length) return INCOMPLETE;
  const eol = buf.indexOf(CRLF, pos);
  if (eol < 0) return INCOMPLETE;
  const type = buf[pos];
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case 0x2b: return [line, after]; // +
    case 0x2d: return [new RespError(line), after]; // -
    case 0x3a: return [Number(line), after]; // :
    case 0x24: { // $
      const n = Number(line);
      if (n < 0) return [null, after];
      if (after + n + 2 > buf.length) return INCOMPLETE;
      return [buf.toString('utf8', after, after + n), after + n + 2];
    }
    case 0x2a: { // *
      const n = Number(line);
      if (n < 0) return [null, after];
      const out = new Array(n);
      let p = after;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (r === INCOMPLETE) return INCOMPLETE;
        out[i] = r[0];
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new RespError(`protocol error: unexpected type byte 0x${type.toString(16)}`);
  }
}

/**
 * Events:
 *   'ready'       tracking armed and subscribed (invalidations flow from now on)
 *   'invalidate'  (keys: string[] | null)   null = every key (FLUSHALL/FLUSHDB)
 *   'pong'        (sentAt, rttMs)           clock() reading when the answered PING was sent; its round trip
 *   'close'       (reason: string)          emitted once; the connection is unusable afterwards
 *   'fatal'       (err)                     setup refused (no tracking, bad auth, ...); followed by 'close'
 */
class TrackingConnection extends EventEmitter {
  #socket;
  #buf = Buffer.alloc(0);
  #queue = []; // reply callbacks, in command order
  #pings = []; // [clock(), performance.now()] at the send of each unanswered PING
  #closed = false;
  #subscribed = false;

  #clock;

  /** clock: the time source of PING send times (default performance.now; the leader passes the segment's clock). */
  constructor({ host = '127.0.0.1', port = 6379, username, password, prefixes, clientName, connectTimeoutMs = 2000,
    clock = () => performance.now() }) {
    super();
    this.#clock = clock;
    this.prefixes = prefixes;
    this.clientName = clientName;
    this.#socket = net.connect({ host, port });
    this.#socket.setNoDelay(true);
    this.#socket.setTimeout(connectTimeoutMs, () => this.destroy('connect-timeout'));
    this.#socket.on('connect', () => {
      this.#socket.setTimeout(0);
      this.#handshake(username, password);
    });
    this.#socket.on('data', (chunk) => this.#onData(chunk));
    this.#socket.on('error', (err) => this.destroy(`socket-error: ${err.code || err.message}`));
    this.#socket.on('close', () => this.destroy('socket-closed'));
  }

  get pendingPings() { return this.#pings.length; }
  get oldestPingAt() { return this.#pings.length ? this.#pings[0][0] : undefined; }

  unref() { this.#socket.unref(); return this; }

  #send(args, cb) {
    this.#queue.push(cb);
    this.#socket.write(encode(args));
  }

  #handshake(username, password) {
    const fail = (what) => (r) => {
      if (r instanceof RespError) { this.emit('fatal', new Error(`${what}: ${r.message}`)); this.destroy('setup-refused'); return true; }
      return false;
    };
    if (password !== undefined) {
      this.#send(username !== undefined ? ['AUTH', username, password] : ['AUTH', password], fail('AUTH'));
    }
    this.#send(['INFO', 'cluster'], (r) => {
      // An ACL that denies INFO is not fatal: the canary still checks the path end to end.
      if (!(r instanceof RespError) && /cluster_enabled:1/.test(String(r))) {
        this.emit('fatal', new Error('Redis Cluster is not supported by the near cache (one listener per master is not implemented)'));
        this.destroy('setup-refused');
      }
    });
    if (this.clientName) this.#send(['CLIENT', 'SETNAME', this.clientName], () => {}); // informative only
    this.#send(['CLIENT', 'ID'], (id) => {
      if (fail('CLIENT ID')(id) || this.#closed) return;
      const args = ['CLIENT', 'TRACKING', 'ON', 'BCAST'];
      for (const p of this.prefixes) args.push('PREFIX', p);
      args.push('REDIRECT', id);
      this.#send(args, (r) => { fail('CLIENT TRACKING')(r); });
      this.#send(['SUBSCRIBE', '__redis__:invalidate'], (r) => {
        if (fail('SUBSCRIBE')(r) || this.#closed) return;
        this.#subscribed = true;
        this.emit('ready');
      });
    });
  }

  ping() {
    if (this.#closed || !this.#subscribed) return;
    this.#pings.push([this.#clock(), performance.now()]);
    this.#socket.write(encode(['PING']));
  }

  #onData(chunk) {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let pos = 0;
    try {
      while (!this.#closed) {
        const r = parse(this.#buf, pos);
        if (r === INCOMPLETE) break;
        pos = r[1];
        this.#dispatch(r[0]);
      }
    } catch (err) {
      this.destroy(err.message);
      return;
    }
    this.#buf = pos >= this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(pos);
  }

  #dispatch(v) {
    if (this.#subscribed && Array.isArray(v)) {
      if (v[0] === 'message' && v[1] === '__redis__:invalidate') {
        this.emit('invalidate', v[2]);
        return;
      }
      if (v[0] === 'pong') {
        const sent = this.#pings.shift();
        if (sent === undefined) { this.destroy('unexpected PONG'); return; }
        this.emit('pong', sent[0], performance.now() - sent[1]);
        return;
      }
    }
    const cb = this.#queue.shift();
    if (cb === undefined) { this.destroy(`unexpected reply ${JSON.stringify(v)}`); return; }
    cb(v);
  }

  /** Closes the socket; emits 'close' once. */
  destroy(reason = 'closed') {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.emit('close', reason);
  }
}

module.exports = { TrackingConnection, encode, parse, INCOMPLETE, RespError };
