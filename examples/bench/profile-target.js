'use strict';
// A fixed loop of one operation, for profilers (no benchmark harness in the way):
//   node examples/bench/profile-target.js get 2000000
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.get node examples/bench/profile-target.js get 300000
//   perf record -e cpu-clock -g node --perf-basic-prof examples/bench/profile-target.js set 5000000
// op: get | miss | set | has | insert | delete-insert | floor-get | floor-set | trusted-get (the near
// cache's read: the native getTrusted on a segment with an open trust window, entries with a TTL).
// Same data as examples/benchmark.js.
const path = require('node:path');
const common = require('./common');

const op = process.argv[2] || 'get';
const count = Number(process.argv[3] || 1000000);
common.installCleanup();
const keys = common.makeKeys();
const values = common.makeValues();
const missKeys = common.makeKeys(common.KEY_COUNT, 'nobody:');
const N = keys.length;
const cache = common.openCache('prof');
for (let j = 0; j < N; j++) cache.set(keys[j], values[j]);
const floor = require(path.join(common.ROOT, 'build', 'Release', 'fsmm_floor.node'));
let getTrusted = null;
if (op === 'trusted-get') { // the near cache's data segment: keySize + 24 for the generation tag
  const near = common.openCache('prof-near', { keySize: 64 + 24 });
  const trust = require(path.join(common.ROOT, 'lib', 'cache')).trustWindowOf(near);
  const gen = trust.goLive(trust.clockMs() + 3600 * 1000);
  for (let j = 0; j < N; j++) trust.fill(keys[j], values[j], 3600 * 1000, gen, trust.epochOf(keys[j]));
  getTrusted = trust.getTrusted;
}
floor.configure(64, 256, common.VALUE_BYTES);

const ops = {
  get: (i) => cache.get(keys[i]),
  miss: (i) => cache.get(missKeys[i]),
  set: (i) => cache.set(keys[i], values[i]),
  has: (i) => cache.has(keys[i]),
  // inserts of new keys; the table is cleared each time the 10k keys wrap around
  insert: (i) => (i === 0 && cache.clear(), cache.set(keys[i], values[i])),
  // delete of a present key, then its re-insert (profilers split the two by function)
  'delete-insert': (i) => cache.delete(keys[i]) && cache.set(keys[i], values[i]),
  'floor-get': (i) => floor.get(keys[i]),
  'floor-set': (i) => floor.set(keys[i], values[i], 0, 0),
  'trusted-get': (i) => getTrusted(keys[i]),
};
const fn = ops[op];
if (!fn) throw new Error(`unknown op ${op}; one of ${Object.keys(ops).join(' ')}`);
let sink;
let i = 0;
const t0 = process.hrtime.bigint();
for (let c = 0; c < count; c++) {
  sink = fn(i);
  i = i + 1 === N ? 0 : i + 1;
}
const ns = Number(process.hrtime.bigint() - t0);
console.log(`${op} x ${count}: ${(ns / count).toFixed(1)} ns/op (last result ${typeof sink})`);
