#!/usr/bin/env node
'use strict';
// Soak: mixed operations from N processes sharing one cache, with random
// SIGKILLs and restarts, then exact checks of every process's private keys and
// of the table's invariants (test/fixtures/soak-driver.js has the model).
//
//   npm run soak -- --seconds 60 --procs 4 [--rss-ops 10000000]
//
// --rss-ops N additionally runs N operations in one process and reports its
// RSS growth (test/63.leaks.js runs 2M of the same mix).
const { fork } = require('node:child_process');
const path = require('node:path');
const { churn } = require('../test/fixtures/soak-driver');
const { unlink } = require('..');

function parseArgs(argv) {
  const o = { seconds: 60, procs: 4, rssOps: 0, maxWait: 20 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--seconds') o.seconds = Number(value);
    else if (flag === '--procs') o.procs = Number(value);
    else if (flag === '--rss-ops') o.rssOps = Number(value);
    else if (flag === '--max-wait') o.maxWait = Number(value);
    else throw new Error(`unknown argument ${flag} (use --seconds N --procs N [--rss-ops N] [--max-wait batches])`);
    i++;
  }
  for (const k of ['seconds', 'procs', 'maxWait']) {
    if (!(Number.isInteger(o[k]) && o[k] > 0)) throw new Error(`--${k} must be a positive integer`);
  }
  return o;
}

function rss(ops) {
  return new Promise((resolve, reject) => {
    const name = `soak-rss-${process.pid}`;
    const c = fork(path.join(__dirname, '..', 'test', 'fixtures', 'soak-rss.js'), [name, String(ops)]);
    let result;
    c.on('message', (m) => { result = m; });
    c.on('exit', (code, signal) => {
      try { unlink(name); } catch { /* gone */ }
      if (code === 0 && result) resolve(result);
      else reject(new Error(`soak-rss exited with code ${code}, signal ${signal}`));
    });
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const name = `soak-${process.pid}`;
  const started = new Date();
  console.log(`soak: ${o.procs} processes for ${o.seconds} s on "${name}", started ${started.toISOString()}`);
  let r;
  try {
    r = await churn({
      name, procs: o.procs, seconds: o.seconds, maxWait: o.maxWait, messageTimeoutMs: 60000,
      log: (line) => console.log(`  ${line}`),
    });
  } finally {
    try { unlink(name); } catch { /* gone */ }
  }
  console.log(`duration:        ${r.seconds.toFixed(1)} s`);
  console.log(`operations:      ${r.ops} (${r.opsPerSecond} ops/s over ${o.procs} processes)`);
  console.log(`kills:           ${r.kills} (SIGKILL + restart)`);
  console.log(`recoveries:      ${r.recoveries} (owner-dead locks repaired, layout.h R1-R3)`);
  console.log(`max stall:       ${r.maxLatencyMs.toFixed(2)} ms (slowest single operation any process reported; ` +
    `its process waited up to ${r.maxLatencyRunqueueMs.toFixed(2)} ms of it for a CPU)`);
  console.log(`private keys:    ${r.keysChecked} checked against the model, ${r.uncertainAtEnd} with a widened state after a kill`);
  console.log(`invariants:      ok at every kill and at the end (${r.inexactTtlChecks} mid-run ttl_entries checks inexact)`);
  if (o.rssOps > 0) {
    const m = await rss(o.rssOps);
    const mb = (b) => (b / 2 ** 20).toFixed(2);
    console.log(`rss:             ${m.ops} ops in ${m.seconds.toFixed(1)} s, RSS ${mb(m.baseline)} -> ${mb(m.final)} MB ` +
      `(growth ${mb(m.growth)} MB; V8 heapTotal ${mb(m.heapTotalGrowth)} MB, heapUsed ${mb(m.heapUsedGrowth)} MB)`);
    if (m.growth >= 10 * 2 ** 20) throw new Error(`RSS grew by ${mb(m.growth)} MB`);
  }
  // Blocked = waiting for another process's lock; time spent runnable but
  // without a CPU (nice, an overloaded box) is not the cache's doing.
  const blockedMs = r.maxLatencyMs - r.maxLatencyRunqueueMs;
  console.log(blockedMs < 1000 ? 'PASS' : `FAIL: an operation was blocked for ${blockedMs.toFixed(0)} ms`);
  if (blockedMs >= 1000) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`FAIL: ${err && err.stack}`);
  process.exitCode = 1;
});
