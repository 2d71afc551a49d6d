'use strict';
// Forks test/near/fixtures/host.js and gives a request/response handle.
// Children are killed by PID in killAll(); every wait is bounded.
const { fork } = require('node:child_process');
const path = require('node:path');

const live = new Set();

function startHost(name, redisPort, listenPort, ms = 30000, mode = 'lead') {
  const child = fork(path.join(__dirname, '..', 'fixtures', 'host.js'), [name, redisPort, listenPort, mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(m); }
  });
  child.on('exit', (code, signal) => {
    for (const w of waiters.splice(0)) { clearTimeout(w.timer); w.reject(new Error(`host exited (${code}, ${signal})`)); }
  });
  let seq = 0;
  const next = (pred, wait = ms) => {
    const seen = messages.find(pred);
    if (seen) { messages.splice(messages.indexOf(seen), 1); return Promise.resolve(seen); }
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m) => { messages.splice(messages.indexOf(m), 1); resolve(m); } };
      w.reject = reject;
      w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`no message in ${wait} ms`)); }, wait);
      waiters.push(w);
    });
  };
  const call = async (msg, wait = ms) => {
    const id = ++seq;
    child.send({ ...msg, id });
    const r = await next((m) => m.type === 'reply' && m.id === id, wait);
    if (r.error) throw new Error(r.error);
    return r;
  };
  return { child, pid: child.pid, messages, next, call, ready: () => next((m) => m.type === 'ready') };
}

function killAll() {
  for (const c of live) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }
}

function exited(child, ms = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('child did not exit')), ms);
    child.once('exit', () => { clearTimeout(t); resolve(); });
  });
}

module.exports = { startHost, killAll, exited };
