'use strict';
// kill -9 churn: 4 processes write shared and private keys; 50 times a random
// one is SIGKILLed right after it reports progress and is restarted. Every
// acknowledged private write must survive exactly (test/fixtures/soak-driver.js
// explains what a kill may change), the table's invariants must hold, and no
// operation may block for a second.
const assert = require('node:assert/strict');
const { nextName } = require('./helpers/names');
const { churn } = require('./fixtures/soak-driver');

describe('kill -9 churn', function () {
  this.timeout(180000);

  it('50 SIGKILLs of 4 churning processes lose no acknowledged write and never block 1 s', async () => {
    const r = await churn({ name: nextName('churn'), procs: 4, kills: 50, maxWait: 3, messageTimeoutMs: 30000 });
    console.log(`      ${r.kills} kills, ${r.ops} ops in ${r.seconds.toFixed(1)} s (${r.opsPerSecond} ops/s), ` +
      `recoveries ${r.recoveries}, max op latency ${r.maxLatencyMs.toFixed(2)} ms ` +
      `(${r.maxLatencyRunqueueMs.toFixed(2)} ms of it waiting for a CPU at most), ` +
      `${r.keysChecked} private keys checked (${r.uncertainAtEnd} with more than one allowed state), ` +
      `${r.inexactTtlChecks} mid-run ttl_entries checks inexact`);
    assert.equal(r.kills, 50);
    // "Blocked" means waiting for another process's lock, not for a CPU: on a
    // starved box the slowest operation's run-queue wait (an upper bound, from
    // /proc/self/schedstat) is not counted against the 1 s bound.
    assert.ok(r.maxLatencyMs - r.maxLatencyRunqueueMs < 1000,
      `an operation blocked for ${r.maxLatencyMs} ms (${r.maxLatencyRunqueueMs} ms of it runnable but not running)`);
    assert.ok(r.ops > 0);
  });
});
