'use strict';
// A 20-second sanity benchmark without benchmark.js: best of 3 runs of N calls
// per operation, 10,000 keys, 66-byte values, maxKeys 20,000. Used for the
// before/after figures of the speed work (run it against two checkouts back to
// back: the machine's load moves absolute numbers, not the ratio between them).
//   node examples/bench/quick.js [path-to-package]
const path = require('node:path');
const createCache = require(path.resolve(process.argv[2] || path.join(__dirname, '..', '..')));

const name = `bench-quick-${process.pid}`;
const cache = createCache({ name, maxKeys: 20000 });
const keys = [];
const value = 'v'.repeat(66);
for (let i = 0; i < 10000; i++) {
  keys.push(`key:${i}`);
  cache.set(keys[i], value);
}
const missing = keys.map((k) => `${k}x`);
const map = new Map(keys.map((k) => [k, value]));
let sink = 0;

function bench(label, fn, n = 3e6) {
  for (let i = 0; i < 2e5; i++) fn(i);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.max(best, n / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  console.log(`${label.padEnd(16)} ${(best / 1e6).toFixed(2).padStart(6)} M ops/s ${(1e9 / best).toFixed(0).padStart(5)} ns`);
}

try {
  bench('get hit', (i) => { sink += cache.get(keys[i % 10000]).length; });
  bench('get miss', (i) => { sink += cache.get(missing[i % 10000]) === undefined; });
  bench('has', (i) => { sink += cache.has(keys[i % 10000]); });
  bench('set overwrite', (i) => { cache.set(keys[i % 10000], value); });
  bench('mixed 70/30', (i) => {
    if (i % 10 < 7) sink += cache.get(keys[i % 10000]).length;
    else cache.set(keys[i % 10000], value);
  });
  bench('delete+set pair', (i) => {
    const k = keys[i % 10000];
    cache.delete(k);
    cache.set(k, value);
  }, 1e6);
  bench('Map get', (i) => { sink += map.get(keys[i % 10000]).length; });
} finally {
  cache.close();
}
if (sink === -1) console.log(sink); // keeps the results alive
