'use strict';
// npm run demo:load: drives examples/http-cluster.js with autocannon for a
// fixed time, first with sessions and rate limits in the shared cache, then
// with the Redis-backed equivalents (a local redis-server started here, if
// installed: apt-get install redis-server), and prints both side by side.
//
//   node examples/demo-load.js [--seconds 5] [--rounds 3] [--connections 50] [--workers N]
// Each request: one rate-limit increment (one hot per-IP counter shared by all
// workers) and one session read (a logged-in cookie). autocannon runs in this
// process, on the same machine as the server, for both backends alike.
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const fs = require('node:fs');
const { fork, spawn, execFileSync } = require('node:child_process');
const autocannon = require('autocannon');

function arg(flag, fallback) {
  const i = process.argv.indexOf(flag);
  return i === -1 ? fallback : process.argv[i + 1];
}
const SECONDS = Number(arg('--seconds', 5));
const ROUNDS = Number(arg('--rounds', 3));
const CONNECTIONS = Number(arg('--connections', 50));
const WORKERS = Number(arg('--workers', os.availableParallelism()));
const APP = path.join(__dirname, 'http-cluster.js');

const children = new Set();
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function redisServerPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

async function startRedis() {
  const bin = redisServerPath();
  if (!bin) return null;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-redis-'));
  const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  await withTimeout(new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
  }), 30000, 'redis-server start');
  proc.stdout.resume();
  return { port, pid: proc.pid, stop: () => { proc.kill('SIGTERM'); children.delete(proc); fs.rmSync(dir, { recursive: true, force: true }); } };
}

async function startApp(backend, extra = []) {
  const app = fork(APP, ['--backend', backend, '--workers', String(WORKERS), ...extra], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(app);
  const { port } = await withTimeout(new Promise((resolve, reject) => {
    app.on('message', (m) => m.type === 'ready' && resolve(m));
    app.on('exit', (code) => reject(new Error(`http-cluster (${backend}) exited (${code}) before it was ready`)));
  }), 60000, `http-cluster ${backend}`);
  const cpu = () => withTimeout(new Promise((resolve) => {
    app.once('message', function onCpu(m) {
      if (m.type === 'cpu') resolve(m.micros);
      else app.once('message', onCpu);
    });
    app.send({ type: 'cpu' });
  }), 30000, 'worker CPU time');
  const stop = () => withTimeout(new Promise((resolve) => {
    app.on('exit', resolve);
    app.kill('SIGTERM');
  }), 30000, 'http-cluster stop').finally(() => children.delete(app));
  return { port, stop, cpu };
}

// CPU time (user+system, µs) of a process, from /proc/<pid>/stat.
function procCpuMicros(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / CLK_TCK;
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

// Server CPU per request (workers, plus redis-server for Redis) is reported
// beside req/s: on a busy machine throughput follows the neighbours' load,
// while the CPU each request costs the server barely does.
async function measure(backend, port, serverCpu) {
  const base = `http://127.0.0.1:${port}`;
  const login = await fetch(`${base}/login?user=demo`, { method: 'POST', signal: AbortSignal.timeout(30000) });
  if (login.status !== 200) throw new Error(`${backend}: login answered ${login.status}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const check = await (await fetch(base, { headers: { cookie }, signal: AbortSignal.timeout(30000) })).json();
  if (check.user !== 'demo') throw new Error(`${backend}: the session was not found through another request: ${JSON.stringify(check)}`);
  // Warm-up (connections, JIT), then the measured run.
  await autocannon({ url: base, connections: CONNECTIONS, duration: 1, headers: { cookie } });
  const cpu0 = await serverCpu();
  const r = await autocannon({ url: base, connections: CONNECTIONS, duration: SECONDS, headers: { cookie } });
  const cpuPerReq = Math.round((await serverCpu()) - cpu0) / Math.max(1, r.requests.total);
  return {
    backend, reqPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, cpuPerReq: Math.round(cpuPerReq),
    total: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts,
  };
}

function printTable(rows) {
  const head = ['backend', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'requests', 'non-2xx', 'errors'];
  const cells = rows.map((r) => [r.backend, r.reqPerSec, r.p50, r.p99, r.cpuPerReq, r.total, r.non2xx, r.errors].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((v, i) => (i === 0 ? v.padEnd(w[i]) : v.padStart(w[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

// Both apps run at once (idle while the other is measured) and the runs
// alternate, so a busy machine's noise falls on both backends alike; each
// backend's row is its median run by req/s.
async function main() {
  console.log(`# demo:load  ${new Date().toISOString()}  ${os.cpus()[0].model.trim()} x${os.cpus().length}, node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`# ${WORKERS} workers per app, autocannon ${CONNECTIONS} connections, ${ROUNDS} alternating runs of ${SECONDS} s per backend; each request: rate-limit incr + session read\n`);
  const apps = [];
  const redis = await startRedis();
  try {
    const shm = await startApp('shm');
    apps.push({ name: 'fast-sharedmemory-mmap', ...shm, serverCpu: shm.cpu });
    if (!redis) console.log('redis-server is not installed: skipping the Redis run (install it with: apt-get install redis-server)\n');
    else {
      const app = await startApp('redis', ['--redis-port', String(redis.port)]);
      apps.push({ name: 'redis (ioredis)', ...app, serverCpu: async () => (await app.cpu()) + procCpuMicros(redis.pid) });
    }
    // A discarded round first: JIT in the workers and in autocannon itself.
    for (const a of apps) await autocannon({ url: `http://127.0.0.1:${a.port}/`, connections: CONNECTIONS, duration: 3 });
    const runs = new Map(apps.map((a) => [a.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const a of apps) runs.get(a.name).push(await measure(a.name, a.port, a.serverCpu));
    }
    const rows = apps.map((a) => {
      const sorted = [...runs.get(a.name)].sort((x, y) => x.reqPerSec - y.reqPerSec);
      return { ...sorted[Math.floor(sorted.length / 2)], all: runs.get(a.name).map((r) => `${r.reqPerSec} (${r.cpuPerReq} µs)`).join(', ') };
    });
    printTable(rows);
    console.log('');
    for (const r of rows) console.log(`# ${r.backend}: req/s (server CPU µs/req) of each run: ${r.all}`);
  } finally {
    for (const a of apps) await a.stop();
    if (redis) redis.stop();
  }
}

main().catch((err) => {
  console.error(err.stack || err);
  process.exitCode = 1;
});
