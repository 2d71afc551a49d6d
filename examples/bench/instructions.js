'use strict';
// Instructions (and simulated cache misses) per call, independent of machine load:
//   node examples/bench/instructions.js [op...]        (needs valgrind; ~1 min per op)
//
// Runs examples/bench/profile-target.js under callgrind twice per op (N1 and N2
// calls), collecting only inside Builtins_CallApiCallback (the native call:
// N-API, the binding, the table, V8 string work; not the JS loop around it),
// and reports (Ir(N2) - Ir(N1)) / (N2 - N1) so setup and the fill cancel out.
// D1mr/LLmr are callgrind's simulated first-level and last-level read misses.
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const { printTable, fmtNum } = require('./common');

const OPS = process.argv.slice(2).length ? process.argv.slice(2) : ['get', 'floor-get', 'set', 'floor-set', 'miss', 'has'];
const N1 = 20000;
const N2 = 70000;
const target = path.join(__dirname, 'profile-target.js');

if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('valgrind is not installed (apt-get install -y valgrind); nothing measured');
  process.exit(0);
}

function totals(op, n) {
  const out = path.join(os.tmpdir(), `fsmm-cg-${process.pid}-${op}-${n}.out`);
  const r = spawnSync('valgrind', ['--tool=callgrind', '--cache-sim=yes', '--collect-atstart=no',
    '--toggle-collect=Builtins_CallApiCallback', `--callgrind-out-file=${out}`, process.execPath, target, op, String(n)],
  { encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) throw new Error(`valgrind ${op} ${n} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
  const text = fs.readFileSync(out, 'utf8');
  fs.unlinkSync(out);
  const events = text.match(/^events: (.+)$/m)[1].trim().split(/\s+/);
  const summary = text.match(/^(?:summary|totals): (.+)$/m)[1].trim().split(/\s+/).map(Number);
  return Object.fromEntries(events.map((e, k) => [e, summary[k] || 0]));
}

const rows = [];
for (const op of OPS) {
  process.stderr.write(`  callgrind ${op} x${N1}, x${N2}\n`);
  const a = totals(op, N1);
  const b = totals(op, N2);
  const per = (e) => (b[e] - a[e]) / (N2 - N1);
  rows.push([op, fmtNum(per('Ir'), 0), fmtNum(per('Dr') + per('Dw'), 0), fmtNum(per('D1mr'), 2), fmtNum(per('DLmr'), 2)]);
}
console.log(`\n### per call inside the native callback (callgrind, (Ir(${N2}) - Ir(${N1})) / ${N2 - N1})`);
printTable(['op', 'instructions', 'data refs', 'D1 read misses', 'LL read misses'], rows);
console.log('floor-* = the bare N-API floor (src/bench/floor.cc); the difference to the fsmm op is the binding + table.');
