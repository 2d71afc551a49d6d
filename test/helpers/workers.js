'use strict';
// A pool of test/fixtures/feat-worker.js processes sharing one cache, driven
// by commands (see that fixture for the protocol). Every wait is bounded by
// helpers/child.js; a worker that reports an error rejects the command.
const child = require('./child');

async function command(w, msg, ms) {
  const reply = w.next((m) => m && (m.type === 'done' || m.type === 'error') && m.cmd === msg.cmd, ms);
  w.send(msg);
  const m = await reply;
  if (m.type === 'error') throw new Error(`worker ${m.id} failed ${msg.cmd}: ${m.message}`);
  return m;
}

/** Forks n workers on cacheOptions; resolves once every one has opened the cache. */
async function startWorkers(n, cacheOptions, { timeoutMs = 60000 } = {}) {
  const ws = [];
  for (let i = 0; i < n; i++) ws.push(child.start('feat-worker', [JSON.stringify(cacheOptions), i], { timeoutMs }));
  try {
    await Promise.all(ws.map((w) => w.next('ready')));
  } catch (err) {
    for (const w of ws) w.kill();
    throw err;
  }
  return ws;
}

/**
 * Sends msg(i) to every worker. With barrierKey, waits until all are armed
 * (spinning), then calls release() (which must create barrierKey) so they start
 * together. Resolves with the replies in worker order.
 */
async function runAll(ws, msg, { barrierKey, release, timeoutMs } = {}) {
  const msgs = ws.map((_, i) => ({ ...(typeof msg === 'function' ? msg(i) : msg), barrier: barrierKey }));
  const armed = barrierKey ? ws.map((w) => w.next('armed', timeoutMs)) : [];
  const replies = ws.map((w, i) => command(w, msgs[i], timeoutMs));
  if (barrierKey) {
    await Promise.all(armed);
    release();
  }
  return Promise.all(replies);
}

/** Asks every worker to close its handle and exit; asserts a clean exit. */
async function closeWorkers(ws, timeoutMs) {
  for (const w of ws) {
    try { w.send({ cmd: 'close' }); } catch { /* already gone */ }
  }
  const exits = await Promise.all(ws.map((w) => w.exited(timeoutMs)));
  const bad = exits.filter((e) => e.code !== 0);
  if (bad.length) throw new Error(`workers exited badly: ${JSON.stringify(bad)}`);
}

/** Kills (SIGKILL) every worker in ws still running; for afterEach. */
function killWorkers(ws) {
  for (const w of ws) if (w.child.exitCode === null && w.child.signalCode === null) w.kill();
}

module.exports = { command, startWorkers, runAll, closeWorkers, killWorkers };
