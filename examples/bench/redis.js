'use strict';
// A private redis-server for the benchmarks: started on a free loopback port with
// persistence off, killed by the benchmark's cleanup (common.onCleanup).
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const common = require('./common');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function haveRedisServer() {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  common.onCleanup(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not become ready in 20 s:\n${log}`)), 20000);
    child.stdout.on('data', (d) => {
      log += d;
      if (/Ready to accept connections/.test(log)) { clearTimeout(timer); resolve(); }
    });
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}):\n${log}`)); });
  });
  child.stdout.resume();
  return { port, child };
}

function stopRedis(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}


module.exports = { freePort, haveRedisServer, startRedis, stopRedis };
