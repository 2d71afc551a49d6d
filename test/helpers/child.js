'use strict';
// Real child processes for multi-process tests. Synchronisation is by
// messages, never sleeps; every wait is bounded and kills the child (by PID,
// only children we started) when the bound is exceeded.
const { fork } = require('node:child_process');
const path = require('node:path');

const live = new Set();

/**
 * Forks test/fixtures/<fixture>.js with args. Returns a handle:
 *   child        the ChildProcess
 *   messages     every message received so far
 *   next(pred, ms)  resolves with the first (later) message matching pred
 *   exited(ms)   resolves { code, signal } when the child exits
 *   send(msg)
 */
function start(fixture, args = [], { env, timeoutMs = 60000 } = {}) {
  const file = path.join(__dirname, '..', 'fixtures', fixture.endsWith('.js') ? fixture : `${fixture}.js`);
  const child = fork(file, args.map(String), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  const messages = [];
  const waiters = [];
  let exitInfo = null;
  const exitWaiters = [];
  child.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  });
  child.on('exit', (code, signal) => {
    live.delete(child);
    exitInfo = { code, signal };
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${fixture} exited (code ${code}, signal ${signal}) before the awaited message`));
    }
    for (const w of exitWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(exitInfo);
    }
  });
  return {
    child,
    pid: child.pid,
    messages,
    send: (m) => child.send(m),
    next(pred = () => true, ms = timeoutMs) {
      if (typeof pred === 'string') {
        const type = pred;
        pred = (m) => m && m.type === type;
      }
      return new Promise((resolve, reject) => {
        if (exitInfo) return reject(new Error(`${fixture} already exited (code ${exitInfo.code}, signal ${exitInfo.signal})`));
        const w = { pred, resolve, reject };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          child.kill('SIGKILL');
          reject(new Error(`timed out after ${ms} ms waiting for a message from ${fixture}`));
        }, ms);
        waiters.push(w);
      });
    },
    exited(ms = timeoutMs) {
      if (exitInfo) return Promise.resolve(exitInfo);
      return new Promise((resolve, reject) => {
        const w = { resolve };
        w.timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${fixture} did not exit within ${ms} ms (killed)`));
        }, ms);
        exitWaiters.push(w);
      });
    },
    kill(signal = 'SIGKILL') { child.kill(signal); },
  };
}

/** Kills every child this process started that is still running. */
function killAll() {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

module.exports = { start, killAll };
