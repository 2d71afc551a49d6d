'use strict';
// Unique, short segment names per test, and their removal after the run.
// Every test that opens a cache takes its name from nextName(); the root
// hook in 00.setup.js unlinks every name handed out (and their lock files).
const fs = require('node:fs');
const { unlink } = require('../..');

const issued = new Set();
let counter = 0;

function nextName(tag = 't') {
  const name = `test-${tag}-${process.pid}-${++counter}`;
  issued.add(name);
  return name;
}

// /dev/shm entries belonging to a name: the segment and its lock file.
function shmEntries(name) {
  return [`/dev/shm/fsmm.${name}`, `/dev/shm/fsmm.${name}.lock`].filter((p) => fs.existsSync(p));
}

function removeAll() {
  for (const name of issued) {
    try { unlink(name); } catch { /* already gone */ }
  }
  issued.clear();
}

module.exports = { nextName, shmEntries, removeAll, issued };
