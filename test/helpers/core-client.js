'use strict';
// Parent side of test/fixtures/core-client.js: a forked process that holds
// one cache handle and runs operations on request, each bounded in time.
const child = require('./child');

/** Starts a client process and waits until it is ready. */
async function client({ timeoutMs = 60000, env } = {}) {
  const h = child.start('core-client', [], { timeoutMs, env });
  await h.next('ready');
  let seq = 0;
  async function request(msg) {
    const id = ++seq;
    const wait = h.next((m) => m && m.type === 'reply' && m.id === id);
    h.send({ ...msg, id });
    const r = await wait;
    if (!r.ok) {
      const err = new Error(`child ${h.pid} ${msg.op} ${msg.method || ''}: ${r.error.message}`);
      Object.assign(err, r.error);
      throw err;
    }
    return r.value && r.value.undefined === true ? undefined : r.value;
  }
  return {
    pid: h.pid,
    handle: h,
    /** Opens; with set = [key, value], also sets it in the same turn as the open. */
    open: (options, set) => request({ op: 'open', options, set }),
    call: (method, ...args) => request({ op: 'call', method, args }),
    close: () => request({ op: 'close' }),
    hammer: (params) => request({ op: 'hammer', params }),
    ino: (path) => request({ op: 'stat', path }),
    /** Asks the child to exit with code; resolves { code, signal }. */
    async exit(code = 0) {
      if (h.child.connected) h.send({ op: 'exit', code, id: 0 });
      return h.exited();
    },
    /** Closes the IPC channel so the child's event loop drains and it exits on its own. */
    async finish() {
      if (h.child.connected) h.send({ op: 'disconnect', id: 0 });
      return h.exited();
    },
    kill: () => h.kill('SIGKILL'),
    exited: (ms) => h.exited(ms),
  };
}

/** Starts n clients in parallel. */
function clients(n, opts) {
  return Promise.all(Array.from({ length: n }, () => client(opts)));
}

module.exports = { client, clients };
