'use strict';
// fast-sharedmemory-mmap against the usual ways of sharing a cache between processes:
//   npm run bench:compare                 (node examples/bench/compare.js [--time=SECONDS])
//
//   - redis-server on loopback via ioredis, awaited one-by-one and pipelined
//     (batches of 100). The script starts its own redis-server on a free port
//     (--save '' --appendonly no) and stops it at the end; without redis-server
//     installed it prints how to install it and leaves those rows out.
//   - cluster IPC: the primary holds a Map, a worker does request/response
//     over process.send, one request in flight.
//   - the shared store across 1, 2 and 4 forked processes (started together by
//     a message, each running for a fixed time) beside 1, 2 and 4 processes that
//     each own a private Map: the scaling reference.
// Same data everywhere: 10k keys (~19 bytes), 66-byte values, all reads hit.
// Every forked load generator runs examples/bench/worker.js.
const cluster = require('node:cluster');
const path = require('node:path');
const os = require('node:os');
const common = require('./common');
const { haveRedisServer, startRedis, stopRedis } = require('./redis');

const { makeKeys, makeValues, fmtInt, fmtNum, printTable } = common;

const WORKLOADS = {
  get: 'get hit',
  set: 'set (overwrite)',
  mixed70: 'mixed 70/30 get/set',
  mixed50: 'mixed 50/50 get/set',
};

function parseArgs(argv) {
  let time = 1.5;
  for (const a of argv) {
    if (a.startsWith('--time=')) time = Number(a.slice(7));
    else if (a === '--help' || a === '-h') {
      console.log('usage: node examples/bench/compare.js [--time=SECONDS per cell, default 1.5]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(time > 0)) throw new Error('--time must be positive');
  return { time };
}

/** Bounded wait for a message matching pred from a cluster worker. */
function waitFor(worker, pred, what, ms = 60000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanupListeners(); reject(new Error(`timed out after ${ms} ms waiting for ${what}`)); }, ms);
    const onMessage = (m) => {
      if (m && m.error) { cleanupListeners(); reject(new Error(`worker ${worker.process.pid}: ${m.error}`)); }
      else if (pred(m)) { cleanupListeners(); resolve(m); }
    };
    const onExit = (code, signal) => { cleanupListeners(); reject(new Error(`worker exited (${code ?? signal}) while waiting for ${what}`)); };
    function cleanupListeners() {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    }
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}

const live = new Set();
function killWorkers() {
  for (const w of live) { try { w.process.kill('SIGKILL'); } catch { /* gone */ } }
  live.clear();
}

/**
 * Forks `procs` workers of one kind, sets each up, starts them with one 'go'
 * each, and returns the aggregate ops/s (sum of each worker's ops / its time).
 * `serve(worker)` lets the primary answer IPC requests.
 */
async function runCell({ kind, workload, procs, name, seconds, serve }) {
  const workers = [];
  for (let w = 0; w < procs; w++) {
    const worker = cluster.fork();
    live.add(worker);
    if (serve) serve(worker);
    workers.push(worker);
  }
  try {
    await Promise.all(workers.map((worker, index) => {
      const ready = waitFor(worker, (m) => m && m.ready, 'ready');
      worker.send({ cmd: 'setup', kind, workload, name, seconds, index });
      return ready;
    }));
    const done = workers.map((worker) => waitFor(worker, (m) => m && m.done, 'done', 60000 + seconds * 4000));
    for (const worker of workers) worker.send({ cmd: 'go' });
    const results = await Promise.all(done);
    const meds = results.map((r) => r.medianNs).sort((a, b) => a - b);
    return { opsPerSec: results.reduce((sum, r) => sum + r.ops / (r.ns / 1e9), 0), medianNs: meds[Math.floor((meds.length - 1) / 2)] };
  } finally {
    await Promise.all(workers.map((worker) => new Promise((resolve) => {
      if (worker.isDead()) return resolve();
      const timer = setTimeout(() => { worker.process.kill('SIGKILL'); }, 10000);
      worker.once('exit', () => { clearTimeout(timer); live.delete(worker); resolve(); });
      try { worker.send({ cmd: 'exit' }); } catch { worker.process.kill('SIGKILL'); }
    })));
  }
}

// ---- redis ------------------------------------------------------------------------

async function redisCell(redis, workload, pipelined, seconds, keys, values) {
  const N = keys.length;
  const getOp = (i) => workload === 'get' || (workload === 'mixed70' && i % 10 < 7);
  let i = 0;
  const once = async (count) => {
    if (pipelined) {
      const p = redis.pipeline();
      for (let c = 0; c < count; c++) {
        if (getOp(i)) p.get(keys[i]); else p.set(keys[i], values[i]);
        i = i + 1 === N ? 0 : i + 1;
      }
      const res = await p.exec();
      for (const [err] of res) if (err) throw err;
    } else {
      for (let c = 0; c < count; c++) {
        if (getOp(i)) {
          const v = await redis.get(keys[i]);
          if (v !== values[i]) throw new Error(`redis get(${keys[i]}) returned ${v}`);
        } else {
          await redis.set(keys[i], values[i]);
        }
        i = i + 1 === N ? 0 : i + 1;
      }
    }
  };
  for (let w = 0; w < 20; w++) await once(100); // warm-up
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  let now = t0;
  const chunks = [];
  do {
    const c0 = now;
    await once(100);
    ops += 100;
    now = process.hrtime.bigint();
    chunks.push(Number(now - c0) / 100);
  } while (now < end);
  chunks.sort((a, b) => a - b);
  return { opsPerSec: ops / (Number(now - t0) / 1e9), medianNs: chunks[Math.floor((chunks.length - 1) / 2)] };
}

// ---- main ---------------------------------------------------------------------------

async function main() {
  const { time } = parseArgs(process.argv.slice(2));
  common.installCleanup();
  common.onCleanup(killWorkers);
  cluster.setupPrimary({ exec: path.join(__dirname, 'worker.js'), silent: false });

  console.log('# fast-sharedmemory-mmap vs redis, cluster IPC, and private Maps');
  console.log(common.machineInfo());
  console.log(`workload    ${common.KEY_COUNT} keys (~19 bytes), ${common.VALUE_BYTES}-byte values, all reads hit; ` +
    `each cell runs ${time}s after a warm-up; multi-process cells start together on one message`);
  const started = Date.now();

  const keys = makeKeys();
  const values = makeValues();
  const cache = common.openCache('cmp');
  for (let j = 0; j < keys.length; j++) if (!cache.set(keys[j], values[j])) throw new Error('fill failed');

  const rows = [];
  const byKey = new Map();
  // result: { opsPerSec, medianNs } (medianNs: median per-op time while running, over chunks; the median of the workers)
  const record = (workload, contender, procs, result) => {
    byKey.set(`${workload}|${contender}|${procs}`, result.opsPerSec);
    rows.push({ workload, contender, procs, ...result });
  };
  const progress = (s) => process.stderr.write(`  ${s}\n`);

  // (1) fsmm, single process, per workload (also the 1-process point of the scaling rows).
  for (const workload of ['get', 'set', 'mixed70', 'mixed50']) {
    progress(`fsmm ${workload} x1`);
    record(workload, 'fsmm shared store', 1, await runCell({ kind: 'fsmm', workload, procs: 1, name: cache.name, seconds: time }));
  }

  // (2) redis
  let redisNote = null;
  if (haveRedisServer()) {
    const { Redis } = require('ioredis');
    const { port, child } = await startRedis();
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await redis.connect();
      const version = (await redis.info('server')).match(/redis_version:(\S+)/);
      redisNote = `redis-server ${version ? version[1] : '?'} on 127.0.0.1:${port} (--save '' --appendonly no), ioredis client in the primary`;
      const fill = redis.pipeline();
      for (let j = 0; j < keys.length; j++) fill.set(keys[j], values[j]);
      await fill.exec();
      for (const workload of ['get', 'set', 'mixed70']) {
        progress(`redis ${workload}`);
        record(workload, 'redis, awaited one by one', 1, await redisCell(redis, workload, false, time, keys, values));
        record(workload, 'redis, pipelined x100', 1, await redisCell(redis, workload, true, time, keys, values));
      }
    } finally {
      redis.disconnect();
      await stopRedis(child);
    }
  } else {
    redisNote = 'redis-server is not installed: redis rows skipped. Install it with `apt-get install -y redis-server` ' +
      '(Debian/Ubuntu, as root: `apt-get update && apt-get install -y redis-server`) and run again.';
  }

  // (3) cluster IPC: the primary's Map answers one request at a time per worker.
  const primaryMap = new Map(keys.map((k, j) => [k, values[j]]));
  const serve = (worker) => worker.on('message', (m) => {
    if (!m || m.q === undefined) return;
    if (m.op === 'get') worker.send({ r: m.q, v: primaryMap.get(m.k) });
    else { primaryMap.set(m.k, m.v); worker.send({ r: m.q, v: true }); }
  });
  for (const workload of ['get', 'set', 'mixed70']) {
    progress(`cluster IPC ${workload}`);
    record(workload, 'cluster IPC to a Map in the primary', 1,
      await runCell({ kind: 'ipc', workload, procs: 1, seconds: time, serve }));
  }

  // (4) scaling: the shared store vs private Maps, 1/2/4 processes.
  for (const workload of ['get', 'mixed50']) {
    for (const procs of [2, 4]) {
      progress(`fsmm ${workload} x${procs}`);
      record(workload, 'fsmm shared store', procs, await runCell({ kind: 'fsmm', workload, procs, name: cache.name, seconds: time }));
    }
    for (const procs of [1, 2, 4]) {
      progress(`private Map ${workload} x${procs}`);
      record(workload, 'private Map per process (not shared)', procs,
        await runCell({ kind: 'map', workload, procs, seconds: time }));
    }
  }

  const problems = cache.checkInvariants();
  const order = ['get', 'set', 'mixed70', 'mixed50'];
  rows.sort((a, b) => order.indexOf(a.workload) - order.indexOf(b.workload));
  console.log(`\n### one table: aggregate ops/s over all processes (${os.cpus().length} cores: more processes than cores cannot scale)`);
  printTable(
    ['workload', 'contender', 'procs', 'ops/s (aggregate)', 'µs/op per process', 'median µs/op', 'vs fsmm, same procs', 'scale vs 1 proc'],
    rows.map((r) => {
      const fsmm = byKey.get(`${r.workload}|fsmm shared store|${r.procs}`) ?? byKey.get(`${r.workload}|fsmm shared store|1`);
      const one = byKey.get(`${r.workload}|${r.contender}|1`);
      return [WORKLOADS[r.workload], r.contender, String(r.procs), fmtInt(r.opsPerSec),
        fmtNum((r.procs / r.opsPerSec) * 1e6, 3), fmtNum(r.medianNs / 1000, 3),
        fsmm ? `${fmtNum(r.opsPerSec / fsmm, 3)}x` : '-',
        r.procs > 1 && one ? `${fmtNum(r.opsPerSec / one, 2)}x` : '-'];
    }),
    { left: 2 },
  );
  console.log('vs fsmm = this ops/s ÷ fsmm ops/s with the same number of processes (1 for redis and IPC rows: one client, one request in flight unless pipelined).');
  console.log('µs/op per process = procs ÷ aggregate ops/s (a time-sliced process counts its waiting time); ' +
    'median µs/op = median over chunks of 1000 ops (100 for redis/IPC) while running, the median worker: ' +
    'per-op cost with preemption mostly filtered out, so it shows contention between processes rather than CPU sharing.');
  console.log(redisNote);
  console.log(`segment invariants after the run: ${problems || 'ok'}; total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`load average at the end ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(' ')} ` +
    '(above the core count, other processes shared the CPUs: rerun before trusting small differences)');
}

if (cluster.isPrimary) {
  main().then(() => {
    common.cleanup();
    process.exit(0);
  }, (err) => {
    console.error(err);
    process.exitCode = 1;
    process.exit(1);
  });
}
