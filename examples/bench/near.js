'use strict';
// The near cache (fast-sharedmemory-mmap/near) against a plain get, and its
// invalidation lag:
//   npm run bench:near         (node examples/bench/near.js [--rounds=15] [--calls=500000])
//
// Starts its own redis-server on a free loopback port (needs redis-server
// installed) and a second process that is the host's leader (it runs the
// invalidation listener), as in production where any process may lead.
//   1. Hit cost: the data of examples/benchmark.js (10,000 keys "user:<i>", 66-byte
//      values) is filled through getOrLoad; then rounds of `calls` near.get() hits
//      alternate with the same number of plain get() calls on a plain cache of the
//      user's geometry (keySize 64, valueSize 256). Reported: median ns per call of
//      each, the median of the per-round ratios (each pair of rounds ran back to
//      back, so the machine's load moves both), and the Redis GET count during the
//      hit loops (must be 0: hits never touch Redis).
//   2. Invalidation lag: a third-party client SETs a key this host holds; the time
//      from issuing the SET until near.get() stops returning the old value
//      (polled between event-loop turns), 300 samples, p50/p99/max.
const path = require('node:path');
const { fork } = require('node:child_process');
const common = require('./common');
const { haveRedisServer, startRedis, stopRedis } = require('./redis');

const { fmtInt, fmtNum, printTable, percentile } = common;
const near = require(path.join(common.ROOT, 'lib', 'near'));

const PREFIX = 'user:'; // common.makeKeys()
const LAG_SAMPLES = 300;

function parseArgs(argv) {
  const o = { rounds: 15, calls: 500_000 };
  for (const a of argv) {
    const m = /^--(rounds|calls)=(\d+)$/.exec(a);
    if (m) o[m[1]] = Number(m[2]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node examples/bench/near.js [--rounds=15] [--calls=500000]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const tick = () => new Promise((r) => setImmediate(r));
async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nearOptions(name, port, client, lead) {
  return { name, client, prefixes: [PREFIX], listen: { port }, maxKeys: 20_000, keySize: 64, valueSize: 256, lead };
}

// ---- the leader process -----------------------------------------------------------

async function leaderMain(name, port) {
  const Redis = require('ioredis');
  const client = new Redis({ port, host: '127.0.0.1' });
  const n = near.createNearCache(nearOptions(name, port, client, true));
  n.on('error', (err) => console.error(`leader: ${err.message}`));
  await until(() => n.isLeader && n.state === 'live', 20000, 'the leader to go live');
  process.send({ type: 'leading' });
  process.on('message', async (m) => {
    if (m.type !== 'exit') return;
    await n.close();
    client.disconnect();
    process.exit(0);
  });
}

// ---- the benchmark ------------------------------------------------------------------

function timeLoop(calls, keys, fn, valueBytes) {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0, k = 0; i < calls; i++) {
    sink += fn(keys[k]).length;
    k = k + 1 === keys.length ? 0 : k + 1;
  }
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  if (sink !== calls * valueBytes) throw new Error('a hit loop missed');
  return ns;
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!haveRedisServer()) {
    console.error('bench:near needs redis-server (Debian/Ubuntu: apt-get install redis-server)');
    process.exit(1);
  }
  common.installCleanup();
  const Redis = require('ioredis');
  const { port, child: server } = await startRedis();
  const name = common.nextName('near');
  common.onCleanup(() => near.unlinkNear(name));
  const leader = fork(__filename, ['--leader', name, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  common.onCleanup(() => { if (leader.exitCode === null) leader.kill('SIGKILL'); });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the leader process did not go live in 30 s')), 30000);
    leader.once('message', (m) => { if (m.type === 'leading') { clearTimeout(timer); resolve(); } });
    leader.once('exit', (code) => reject(new Error(`the leader process exited (${code})`)));
  });

  const client = new Redis({ port, host: '127.0.0.1' });
  const thirdParty = new Redis({ port, host: '127.0.0.1' });
  const n = near.createNearCache(nearOptions(name, port, client, false));
  const plain = common.openCache('plain', { maxKeys: 20_000, keySize: 64, valueSize: 256, evict: 'lru' });
  const keys = common.makeKeys();
  const values = common.makeValues();
  const valueBytes = values[0].length;
  if (!keys[0].startsWith(PREFIX) || values.some((v) => v.length !== valueBytes)) throw new Error('unexpected benchmark data');
  try {
    await until(() => n.state === 'live', 20000, 'the host to go live');
    const pipe = client.pipeline();
    keys.forEach((k, i) => pipe.set(k, values[i]));
    await pipe.exec();
    for (let i = 0; i < keys.length; i++) {
      plain.set(keys[i], values[i]);
      await until(async () => (await n.getOrLoad(keys[i])) === values[i] && n.get(keys[i]) === values[i], 10000, `the fill of ${keys[i]}`);
    }

    // 1. Hit cost.
    const getCalls = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] || 0);
    const before = await getCalls();
    const plainNs = []; const nearNs = []; const ratios = [];
    const plainGet = (k) => plain.get(k);
    const nearGet = (k) => n.get(k);
    for (let r = 0; r < opts.rounds; r++) {
      plainNs.push(timeLoop(opts.calls, keys, plainGet, valueBytes));
      nearNs.push(timeLoop(opts.calls, keys, nearGet, valueBytes));
      ratios.push(nearNs[r] / plainNs[r]);
    }
    const redisGets = (await getCalls()) - before;
    const p = median(plainNs); const q = median(nearNs); const ratio = median(ratios);
    const s = n.stats();

    // 2. Invalidation lag (third-party SET -> this host stops returning the old value).
    const lags = [];
    const lagKey = `${PREFIX}lag`;
    for (let i = 0; i < LAG_SAMPLES; i++) {
      await client.set(lagKey, `old${i}`);
      await until(async () => (await n.getOrLoad(lagKey)) === `old${i}` && n.get(lagKey) === `old${i}`, 10000, 'the lag key fill');
      const t0 = process.hrtime.bigint();
      const acked = thirdParty.set(lagKey, `new${i}`);
      const end = Date.now() + 10000;
      while (n.get(lagKey) === `old${i}`) {
        if (Date.now() > end) throw new Error('no invalidation within 10 s');
        await tick();
      }
      lags.push(Number(process.hrtime.bigint() - t0) / 1000);
      await acked;
    }
    lags.sort((a, b) => a - b);

    console.log('near cache benchmark');
    console.log(common.machineInfo());
    console.log(`redis-server on 127.0.0.1:${port}; the host's leader (listener) is pid ${leader.pid}; this process reads.\n`);
    printTable(['operation', 'ns/call (median)', 'calls/s', 'vs plain get'], [
      ['plain get (hit)', fmtNum(p, 1), fmtInt(1e9 / p), '1.00x'],
      ['near.get (trusted L1 hit)', fmtNum(q, 1), fmtInt(1e9 / q), `${fmtNum(ratio)}x`],
    ]);
    console.log(`\n${opts.rounds} alternating rounds of ${fmtInt(opts.calls)} calls over ${fmtInt(keys.length)} keys; ratio = median ` +
      `of the per-round ratios (range ${fmtNum(Math.min(...ratios))}-${fmtNum(Math.max(...ratios))}); ` +
      `Redis GETs during the hit loops: ${redisGets}; near stats: hits ${fmtInt(s.hits)}, misses ${s.misses}, ` +
      `bypass ${JSON.stringify(s.bypass)}.`);
    console.log(`\ninvalidation lag (third-party SET issued -> old value no longer returned here), n=${lags.length}: ` +
      `p50 ${fmtInt(percentile(lags, 50))} µs, p99 ${fmtInt(percentile(lags, 99))} µs, max ${fmtInt(lags[lags.length - 1])} µs`);
    if (redisGets !== 0) process.exitCode = 1;
  } finally {
    await n.close();
    client.disconnect();
    thirdParty.disconnect();
    leader.send({ type: 'exit' });
    await new Promise((r) => { if (leader.exitCode !== null) r(); else leader.once('exit', r); });
    await stopRedis(server);
  }
}

if (process.argv[2] === '--leader') {
  leaderMain(process.argv[3], Number(process.argv[4])).catch((err) => { console.error(err); process.exit(1); });
} else {
  main().catch((err) => { console.error(err); process.exit(1); });
}
