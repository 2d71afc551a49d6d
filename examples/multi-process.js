'use strict';
// A parent and forked children sharing one cache: the parent publishes a
// config entry, each child reads it, writes its own key and bumps a shared
// counter, then reports back; the parent checks everything the children wrote.
//
//   node examples/multi-process.js
const { fork } = require('node:child_process');
const createCache = require('fast-sharedmemory-mmap');

const NAME = `example-multi-${process.pid}`;
const CHILDREN = 4;
const OPS = 1000;

if (process.argv[2] === 'child') {
  // Open in the child itself: a handle must never cross fork(). create:false
  // attaches to the parent's segment and adopts its sizes (maxKeys etc.).
  const cache = createCache({ name: process.argv[3], create: false });
  const config = JSON.parse(cache.get('config'));
  for (let i = 0; i < config.ops; i++) cache.incr('counter');
  cache.set(`child:${process.pid}`, `done after ${config.ops} increments`);
  cache.close();
  process.send({ pid: process.pid }, () => process.disconnect());
} else {
  const cache = createCache({ name: NAME, maxKeys: 1000 });
  cache.set('config', JSON.stringify({ ops: OPS }));

  const children = [];
  for (let c = 0; c < CHILDREN; c++) {
    children.push(new Promise((resolve, reject) => {
      const child = fork(__filename, ['child', NAME]);
      let pid = null;
      child.on('message', (m) => { pid = m.pid; });
      child.on('exit', (code) => (code === 0 && pid ? resolve(pid) : reject(new Error(`child exited with ${code}`))));
    }));
  }

  Promise.allSettled(children).then((results) => {
    let ok = true;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        console.log(`child ${r.value}: ${cache.get(`child:${r.value}`)}`);
      } else {
        ok = false;
        console.error(r.reason.message);
      }
    }
    const counter = Number(cache.get('counter'));
    console.log(`counter = ${counter} (expected ${CHILDREN * OPS})`);
    cache.close(); // last user: the segment disappears from /dev/shm
    process.exitCode = ok && counter === CHILDREN * OPS ? 0 : 1;
  });
}
