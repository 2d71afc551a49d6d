'use strict';
// worker_thread entry for the host leader's listener, so a busy main thread
// does not delay invalidations or heartbeats. Protocol with the main thread:
//   main -> worker: { type: 'stop' } | { type: 'canaryDone', id, error? } | { type: 'forward' }
//   ('invalidate' batches are posted only after 'forward' or workerData.forward: a storm
//   must not flood the main thread when nobody listens)
//   worker -> main: { type: 'state', state, reason } | { type: 'invalidate', keys }
//                   | { type: 'error', message } | { type: 'canary', id, keys } | { type: 'stopped' }
// The data write of the canary goes through the main thread (the user's client lives there).
const { parentPort, workerData } = require('node:worker_threads');
const { Leader } = require('./leader');
const { openSegments } = require('./segments');

const { data, ctl } = openSegments(workerData);
const pending = new Map();
let seq = 0;
const canaryWrite = (keys) => new Promise((resolve, reject) => {
  const id = ++seq;
  pending.set(id, { resolve, reject });
  parentPort.postMessage({ type: 'canary', id, keys });
});

const leader = new Leader(workerData, { data, ctl, canaryWrite });
leader.on('state', (state, reason) => parentPort.postMessage({ type: 'state', state, reason }));
let forward = Boolean(workerData.forward);
leader.on('invalidate', (keys) => { if (forward) parentPort.postMessage({ type: 'invalidate', keys }); });
leader.on('error', (err) => parentPort.postMessage({ type: 'error', message: err.message }));

parentPort.on('message', (m) => {
  if (m.type === 'forward') {
    forward = true;
  } else if (m.type === 'canaryDone') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (p) { if (m.error) p.reject(new Error(m.error)); else p.resolve(); }
  } else if (m.type === 'stop') {
    leader.stop();
    data.close();
    ctl.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  }
});
leader.start();
