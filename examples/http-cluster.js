'use strict';
// The headline as an app: a cluster HTTP server (one worker per core) whose
// sessions (express-session) and per-IP rate limit (express-rate-limit) live
// in the shared cache, so every worker sees the same sessions and one limit.
// With --backend redis the same app keeps both in Redis instead (ioredis;
// minimal stores below), for a side-by-side measurement (npm run demo:load).
//
//   node examples/http-cluster.js [--port 3000] [--workers N] [--backend shm|redis] [--redis-port 6379]
//     GET  /        the session's user and views, this worker's pid
//     POST /login   ?user=name: starts a session (Set-Cookie)
//   The primary reports { type: 'ready', port } over IPC when forked by a parent,
//   and answers { type: 'cpu' } with the workers' CPU time ({ type: 'cpu', micros }).
const cluster = require('node:cluster');
const os = require('node:os');
const net = require('node:net');

function arg(flag, fallback) {
  const i = process.argv.indexOf(flag);
  return i === -1 ? fallback : process.argv[i + 1];
}
const BACKEND = arg('--backend', 'shm');
const WORKERS = Number(arg('--workers', os.availableParallelism()));
const REDIS_PORT = Number(arg('--redis-port', 6379));
const SESSIONS = `demo-sessions-${arg('--tag', process.pid)}`;
const LIMITS = `demo-ratelimit-${arg('--tag', process.pid)}`;
const WINDOW_MS = 60000;
const LIMIT = Number(arg('--limit', 1e9)); // per IP per window; high so the load test measures, not refuses

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function primary() {
  const port = Number(arg('--port', 0)) || (await freePort());
  let listening = 0;
  let stopping = false;
  cluster.setupPrimary({ args: [...process.argv.slice(2), '--tag', String(process.pid), '--port', String(port)] });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++listening === WORKERS) {
      console.error(`[http-cluster] ${WORKERS} workers, backend ${BACKEND}, http://127.0.0.1:${port}/`);
      if (process.send) process.send({ type: 'ready', port });
    }
  });
  cluster.on('exit', (w, code, signal) => {
    if (!stopping) console.error(`[http-cluster] worker ${w.process.pid} exited (${code ?? signal})`);
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    let left = Object.keys(cluster.workers).length;
    const done = () => {
      if (BACKEND === 'shm') {
        const { unlink } = require('fast-sharedmemory-mmap');
        unlink(SESSIONS);
        unlink(LIMITS);
      }
      process.exit(0);
    };
    if (left === 0) done();
    for (const w of Object.values(cluster.workers)) {
      w.on('exit', () => --left === 0 && done());
      w.kill('SIGTERM');
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  // { type: 'cpu' } -> { type: 'cpu', micros }: user+system CPU time of all workers so far.
  process.on('message', (m) => {
    if (!m || m.type !== 'cpu') return;
    const ws = Object.values(cluster.workers);
    let left = ws.length;
    let micros = 0;
    for (const w of ws) {
      w.once('message', function onCpu(r) {
        micros += r.micros;
        if (--left === 0) process.send({ type: 'cpu', micros });
      });
      w.send({ type: 'cpu' });
    }
  });
}

function worker() {
  const express = require('express');
  const session = require('express-session');
  const { rateLimit } = require('express-rate-limit');
  let sessionStore;
  let limitStore;
  const closers = [];
  if (BACKEND === 'shm') {
    const { FastShmSessionStore } = require('fast-sharedmemory-mmap/express-session');
    const { FastShmRateLimitStore } = require('fast-sharedmemory-mmap/rate-limit');
    sessionStore = new FastShmSessionStore({ name: SESSIONS, maxKeys: 100000, keySize: 48, valueSize: 512 });
    limitStore = new FastShmRateLimitStore({ name: LIMITS, maxKeys: 100000, keySize: 48, evict: 'lru' });
    closers.push(() => sessionStore.close(), () => limitStore.shutdown());
  } else if (BACKEND === 'redis') {
    const { Redis } = require('ioredis');
    const redis = new Redis({ port: REDIS_PORT, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 2 });
    sessionStore = new RedisSessionStore(redis, session.Store);
    limitStore = new RedisRateLimitStore(redis);
    closers.push(() => redis.disconnect());
  } else {
    throw new Error(`--backend must be shm or redis (got ${BACKEND})`);
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(rateLimit({ windowMs: WINDOW_MS, limit: LIMIT, store: limitStore, standardHeaders: 'draft-6', legacyHeaders: false }));
  app.use(session({
    store: sessionStore, secret: 'demo-secret', resave: false, saveUninitialized: false,
    cookie: { maxAge: 3600000 },
  }));
  app.post('/login', (req, res) => {
    req.session.user = String(req.query.user || 'guest');
    res.json({ user: req.session.user, pid: process.pid });
  });
  app.get('/', (req, res) => res.json({ user: req.session.user ?? null, pid: process.pid }));
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    res.status(500).json({ error: err.message });
  });
  const server = app.listen(Number(arg('--port')), '127.0.0.1');
  process.on('message', (m) => {
    if (m && m.type === 'cpu') {
      const u = process.cpuUsage();
      process.send({ type: 'cpu', micros: u.user + u.system });
    }
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    for (const c of closers) c();
    process.exit(0);
  });
}

// --- Redis-backed equivalents (ioredis), the same contracts as the cache's stores ---

// express-session Store: JSON under "sess:<sid>" with the cookie's maxAge as PX.
function RedisSessionStore(redis, Store) {
  class S extends Store {
    ttl(sess) {
      const c = sess && sess.cookie;
      if (c && c.expires) return new Date(c.expires).getTime() - Date.now();
      return c && typeof c.maxAge === 'number' ? c.maxAge : 86400000;
    }
    get(sid, cb) {
      redis.get(`sess:${sid}`).then((v) => cb(null, v ? JSON.parse(v) : null), cb);
    }
    set(sid, sess, cb = () => {}) {
      const ttl = Math.ceil(this.ttl(sess));
      const p = ttl > 0 ? redis.set(`sess:${sid}`, JSON.stringify(sess), 'PX', ttl) : redis.del(`sess:${sid}`);
      p.then(() => cb(null), cb);
    }
    destroy(sid, cb = () => {}) {
      redis.del(`sess:${sid}`).then(() => cb(null), cb);
    }
    touch(sid, sess, cb = () => {}) {
      redis.pexpire(`sess:${sid}`, Math.max(1, Math.ceil(this.ttl(sess)))).then(() => cb(null), cb);
    }
  }
  return new S();
}

// express-rate-limit Store: INCR, then PEXPIRE NX opens the window on the first hit.
class RedisRateLimitStore {
  constructor(redis) {
    this.redis = redis;
    this.prefix = 'rl:';
    this.localKeys = false;
    this.windowMs = 60000;
  }
  init(options) { this.windowMs = options.windowMs; }
  async increment(key) {
    const k = this.prefix + key;
    const [[, hits], , [, pttl]] = await this.redis.multi().incr(k).pexpire(k, this.windowMs, 'NX').pttl(k).exec();
    return { totalHits: hits, resetTime: new Date(Date.now() + Math.max(0, pttl)) };
  }
  async get(key) {
    const k = this.prefix + key;
    const [[, v], [, pttl]] = await this.redis.multi().get(k).pttl(k).exec();
    return v === null ? undefined : { totalHits: Number(v), resetTime: new Date(Date.now() + Math.max(0, pttl)) };
  }
  async decrement(key) { await this.redis.decr(this.prefix + key); }
  async resetKey(key) { await this.redis.del(this.prefix + key); }
}

if (cluster.isPrimary) primary();
else worker();
