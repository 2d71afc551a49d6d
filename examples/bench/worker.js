'use strict';
// A forked load generator for examples/bench/compare.js (started with cluster.fork).
//
// Protocol (all over the IPC channel, no timers):
//   primary -> {cmd:'setup', kind, workload, name, seconds, index}
//        kind: 'fsmm' (attach the primary's segment), 'map' (a private Map), 'ipc' (ask the primary)
//   worker  -> {ready:true}                  after attaching/filling and a warm-up
//   primary -> {cmd:'go'}                    sent to every worker of a cell at once
//   worker  -> {done:true, ops, ns, medianNs} after running `seconds` of the workload
//              (medianNs: median per-op time over chunks of 1000 ops, 100 for ipc)
//   primary -> {cmd:'exit'}                  the worker closes its handle and exits
// For kind 'ipc' the worker sends {q:id, op:'get'|'set', k, v} and awaits {r:id, v}.
const common = require('./common');

const keys = common.makeKeys();
const values = common.makeValues();
const N = keys.length;

let cache = null;
let runner = null;

function closeAll() {
  if (cache) {
    try { cache.close(); } catch { /* closed */ }
    cache = null;
  }
}
process.on('exit', closeAll);
// Ctrl-C reaches the whole process group: close and leave; the primary unlinks.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
process.on('disconnect', () => process.exit(0));

/** A synchronous op(i) for the workload over `store` (a cache or a Map). */
// Results go to `sink`: an unused Map.get is otherwise optimised away.
let sink;
function syncOp(store, workload) {
  switch (workload) {
    case 'get': return (i) => (sink = store.get(keys[i]));
    case 'set': return (i) => (sink = store.set(keys[i], values[i]));
    case 'mixed70': return (i) => (sink = (i % 10 < 7 ? store.get(keys[i]) : store.set(keys[i], values[i])));
    case 'mixed50': return (i) => (sink = ((i & 1) === 0 ? store.get(keys[i]) : store.set(keys[i], values[i])));
    default: throw new Error(`unknown workload ${workload}`);
  }
}

function median(list) {
  const sorted = Float64Array.from(list).sort();
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function isGet(workload, i) {
  return workload === 'get' || (workload === 'mixed70' && i % 10 < 7) || (workload === 'mixed50' && (i & 1) === 0);
}

function syncRunner(op, start) {
  let i = start;
  const step = (count) => {
    for (let c = 0; c < count; c++) {
      op(i);
      i = i + 1 === N ? 0 : i + 1;
    }
  };
  return {
    warm: () => step(50000),
    run: (seconds) => {
      const t0 = process.hrtime.bigint();
      const end = t0 + BigInt(Math.round(seconds * 1e9));
      let ops = 0;
      let now = t0;
      const chunks = [];
      do {
        const c0 = now;
        step(1000);
        ops += 1000;
        now = process.hrtime.bigint();
        chunks.push(Number(now - c0) / 1000);
      } while (now < end);
      return { ops, ns: Number(now - t0), medianNs: median(chunks) };
    },
  };
}

function ipcRunner(workload, start) {
  let seq = 0;
  const pending = new Map();
  process.on('message', (m) => {
    if (m && m.r !== undefined) {
      const resolve = pending.get(m.r);
      pending.delete(m.r);
      resolve(m.v);
    }
  });
  const request = (i) => new Promise((resolve) => {
    const id = ++seq;
    pending.set(id, resolve);
    if (isGet(workload, i)) process.send({ q: id, op: 'get', k: keys[i] });
    else process.send({ q: id, op: 'set', k: keys[i], v: values[i] });
  });
  let i = start;
  return {
    warm: async () => {
      for (let c = 0; c < 2000; c++) { await request(i); i = i + 1 === N ? 0 : i + 1; }
    },
    run: async (seconds) => {
      const t0 = process.hrtime.bigint();
      const end = t0 + BigInt(Math.round(seconds * 1e9));
      let ops = 0;
      let now = t0;
      const chunks = [];
      do {
        const c0 = now;
        for (let c = 0; c < 100; c++) {
          const v = await request(i);
          if (isGet(workload, i) && v !== values[i]) throw new Error(`ipc get(${keys[i]}) returned ${v}`);
          i = i + 1 === N ? 0 : i + 1;
        }
        ops += 100;
        now = process.hrtime.bigint();
        chunks.push(Number(now - c0) / 100);
      } while (now < end);
      return { ops, ns: Number(now - t0), medianNs: median(chunks) };
    },
  };
}

process.on('message', async (m) => {
  if (!m || !m.cmd) return;
  try {
    if (m.cmd === 'setup') {
      const start = (m.index * 2503) % N; // workers walk the same keys from different offsets
      if (m.kind === 'fsmm') {
        cache = common.createCache({ name: m.name, maxKeys: common.MAX_KEYS, create: false });
        if (cache.get(keys[start]) !== values[start]) throw new Error(`segment ${m.name} is not filled`);
        runner = syncRunner(syncOp(cache, m.workload), start);
      } else if (m.kind === 'map') {
        const map = new Map();
        for (let j = 0; j < N; j++) map.set(keys[j], values[j]);
        runner = syncRunner(syncOp(map, m.workload), start);
      } else if (m.kind === 'ipc') {
        runner = ipcRunner(m.workload, start);
      } else {
        throw new Error(`unknown kind ${m.kind}`);
      }
      await runner.warm();
      runner.seconds = m.seconds;
      process.send({ ready: true });
    } else if (m.cmd === 'go') {
      const r = await runner.run(runner.seconds);
      process.send({ done: true, ops: r.ops, ns: r.ns, medianNs: r.medianNs });
    } else if (m.cmd === 'exit') {
      closeAll();
      process.disconnect();
    }
  } catch (err) {
    process.send({ error: String(err && err.stack || err) });
  }
});
