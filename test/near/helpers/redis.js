'use strict';
// Real redis-server processes on loopback for the near-cache tests, and a
// loopback TCP proxy that can cut or black-hole the listener's connection.
// Every wait is bounded; servers are stopped by the PID this module started.
const { spawn } = require('node:child_process');
const { parse, INCOMPLETE } = require('../../../lib/near/resp');
const net = require('node:net');

const started = new Set();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts redis-server; resolves once it accepts connections (bounded by ms). */
async function startRedis({ port, ms = 20000, args = [] } = {}) {
  port = port || await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--enable-debug-command', 'local', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.add(proc);
  proc.on('exit', () => started.delete(proc));
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} not ready in ${ms} ms:\n${out}`)), ms);
    proc.stdout.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) { clearTimeout(timer); resolve(); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${code}:\n${out}`)); });
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(err.code === 'ENOENT'
        ? 'redis-server is not installed: the near-cache tests need it (Debian/Ubuntu: apt-get install redis-server)'
        : `cannot start redis-server: ${err.message}`));
    });
  });
  proc.stdout.resume();
  return { port, proc, pid: proc.pid, stop: () => stopRedis(proc) };
}

function stopRedis(proc, ms = 10000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }, ms);
    proc.once('exit', () => { clearTimeout(timer); resolve(); });
    process.kill(proc.pid, 'SIGKILL');
  });
}

async function stopAll() { await Promise.all([...started].map((p) => stopRedis(p))); }

// Server-to-client stream filter that forwards every whole RESP2 reply at once
// and drops the invalidation pushes ("message" on __redis__:invalidate): a
// proxy that accepts CLIENT TRACKING and answers PINGs but loses the pushes.
function dropInvalidationPushes(client) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    const keep = [];
    for (;;) {
      const r = parse(pending, pos);
      if (r === INCOMPLETE) break;
      const [v, next] = r;
      const isPush = Array.isArray(v) && v[0] === 'message' && v[1] === '__redis__:invalidate';
      if (!isPush) keep.push(pending.subarray(pos, next));
      pos = next;
    }
    pending = pending.subarray(pos);
    if (keep.length) client.write(Buffer.concat(keep));
  };
}

/**
 * Loopback proxy to 127.0.0.1:target. cut() resets live connections;
 * blackhole(true) stops reading both sides (bytes wait in the kernel, as on a
 * half-open or partitioned TCP path), blackhole(false) resumes delivery in order.
 * { dropPushes: true }: every reply is forwarded except invalidation pushes.
 */
async function startProxy(target, { dropPushes = false } = {}) {
  const pairs = new Set();
  let holes = false;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const pair = { client, upstream };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    if (dropPushes) upstream.on('data', dropInvalidationPushes(client));
    else upstream.pipe(client);
    if (holes) { client.pause(); upstream.pause(); }
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', end); upstream.on('error', end);
    client.on('close', end); upstream.on('close', end);
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  return {
    port,
    get connections() { return pairs.size; },
    cut() { for (const p of [...pairs]) { p.client.resetAndDestroy(); p.upstream.destroy(); } },
    blackhole(on) {
      holes = on;
      for (const p of pairs) for (const s of [p.client, p.upstream]) if (on) s.pause(); else s.resume();
    },
    close() { this.cut(); return new Promise((r) => server.close(r)); },
  };
}

/** Polls pred (sync or async) until truthy; rejects after ms. */
async function waitFor(pred, ms, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

module.exports = { startRedis, stopRedis, stopAll, startProxy, freePort, waitFor };
