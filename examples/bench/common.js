'use strict';
// Shared pieces of examples/benchmark.js and examples/bench/compare.js:
// machine info, the workload data, statistics, table printing, and the
// segment registry that is cleaned up on exit and on Ctrl-C.
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const createCache = require(ROOT);

// ---- workload -----------------------------------------------------------------

const KEY_COUNT = 10000;
const MAX_KEYS = 20000;
const VALUE_BYTES = 66;

/** Flat one-byte strings, as parsed input would be (concatenations are flattened once). */
function flat(s) {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function makeKeys(n = KEY_COUNT, prefix = 'user:') {
  return Array.from({ length: n }, (_, i) => flat(`${prefix}${String(i).padStart(6, '0')}:session`));
}

/** A 66-byte JSON-looking value per key. */
function makeValues(n = KEY_COUNT, bytes = VALUE_BYTES) {
  return Array.from({ length: n }, (_, i) => flat(`{"id":${i},"role":"member","ts":${1700000000 + i}}`.padEnd(bytes, ' ')));
}

/** Deterministic shuffle (xorshift), so runs are comparable. */
function shuffled(arr, seed = 0x9e3779b9) {
  const out = arr.slice();
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---- segments: every name opened here is unlinked on exit / SIGINT / SIGTERM --------

const names = new Set();
const handles = new Set();
let counter = 0;

function nextName(tag) {
  const name = `bench-${tag}-${process.pid}-${++counter}`;
  names.add(name);
  return name;
}

function openCache(tag, opts = {}) {
  const name = opts.name || nextName(tag);
  names.add(name);
  const cache = createCache({ maxKeys: MAX_KEYS, ...opts, name });
  handles.add(cache);
  return cache;
}

function cleanup() {
  for (const h of handles) {
    try { h.close(); } catch { /* already closed */ }
  }
  handles.clear();
  for (const name of names) {
    try { createCache.unlink(name); } catch { /* gone */ }
    for (const p of [`/dev/shm/fsmm.${name}`, `/dev/shm/fsmm.${name}.lock`]) {
      try { fs.unlinkSync(p); } catch { /* gone */ }
    }
  }
  names.clear();
}

const extraCleanups = [];
function onCleanup(fn) { extraCleanups.push(fn); }

let installed = false;
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const fn of extraCleanups) { try { fn(); } catch { /* best effort */ } }
    cleanup();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: closing and unlinking benchmark segments\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143); // 'exit' runs the cleanups
    });
  }
}

// ---- machine --------------------------------------------------------------------

function machineInfo() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim();
  } catch { /* not a checkout */ }
  const pkg = require(path.join(ROOT, 'package.json'));
  return [
    `date        ${new Date().toISOString()}`,
    `cpu         ${cpus.length ? cpus[0].model : 'unknown'} x ${cpus.length} (os.availableParallelism ${os.availableParallelism ? os.availableParallelism() : cpus.length})`,
    `memory      ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `node        ${process.version} (v8 ${process.versions.v8}, napi ${process.versions.napi}) ${process.platform}/${process.arch}, kernel ${os.release()}`,
    `package     ${pkg.name}@${pkg.version} commit ${commit}`,
  ].join('\n');
}

// ---- statistics -------------------------------------------------------------------

// Two-sided 95% Student t values by degrees of freedom (as benchmark.js uses).
const T95 = [0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** samples: seconds per op. Returns { mean, rme (%), n, hz } like benchmark.js stats. */
function summarize(samples) {
  const n = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const t = n - 1 < T95.length ? T95[Math.max(1, n - 1)] : 1.96;
  return { mean, rme: mean > 0 ? (t * sem / mean) * 100 : 0, n, hz: 1 / mean };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// ---- formatting -------------------------------------------------------------------

function fmtInt(n) { return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'; }
function fmtNum(n, d = 2) { return Number.isFinite(n) ? n.toFixed(d) : '-'; }

/** Prints rows (arrays of strings) under headers; the first `left` columns left-aligned, the rest right. */
function printTable(headers, rows, { left = 1, out = console.log } = {}) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => '| ' + cells.map((v, c) => (c < left ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join(' | ') + ' |';
  out(line(headers));
  out('|' + widths.map((w, c) => (c < left ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of rows) out(line(r));
}

module.exports = {
  ROOT, createCache, KEY_COUNT, MAX_KEYS, VALUE_BYTES,
  flat, makeKeys, makeValues, shuffled,
  nextName, openCache, cleanup, onCleanup, installCleanup,
  machineInfo, summarize, percentile, fmtInt, fmtNum, printTable,
};
