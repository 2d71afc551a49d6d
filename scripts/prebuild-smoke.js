#!/usr/bin/env node
'use strict';
// Packs the package the way `npm publish` would and installs the tarball into
// a fresh project with --ignore-scripts, then uses it across two processes.
// Proves the published tarball works without install scripts or a compiler:
// the addon must come from prebuilds/ (packed by `prepack`: prebuildify).
//
// Usage: node scripts/prebuild-smoke.js [segment-name]   (npm run test:pack)
// Works on a copy of the tree (prebuildify runs node-gyp rebuild, which must
// not touch this checkout's build/). Prints progress on stderr and one JSON
// line on stdout; exits non-zero on any failure. Removes its temp dirs.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const name = process.argv[2] || `pack-smoke-${process.pid}`;
const env = { ...process.env };
// node-gyp builds against the local headers; nothing is downloaded.
if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';

const log = (msg) => process.stderr.write(`[prebuild-smoke] ${msg}\n`);
const sh = (cmd, args, cwd, timeout = 600000) =>
  execFileSync(cmd, args, { cwd, env, timeout, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fsmm-pack-'));
try {
  // 1. A copy of what npm packs (package.json "files") without build outputs;
  //    node_modules is shared (prebuildify and node-addon-api come from it).
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  for (const entry of ['package.json', ...pkg.files]) {
    const from = path.join(ROOT, entry);
    if (!fs.existsSync(from) || entry.startsWith('prebuilds')) continue;
    fs.cpSync(from, path.join(src, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));

  // 2. npm pack: runs prepack (prebuildify) and writes the tarball.
  log('npm pack (prepack builds the prebuild)...');
  // (npm's stdout carries the build log too: the tarball is found on disk.)
  const packLog = sh('npm', ['pack', '--pack-destination', tmp], src);
  const tgz = fs.readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack wrote ${tgz.length} tarballs:\n${packLog}`);
  const tarball = path.join(tmp, tgz[0]);
  const files = sh('tar', ['-tzf', tarball], tmp).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  const prebuilds = files.filter((f) => /^prebuilds\/linux-x64\/.+\.node$/.test(f));
  if (prebuilds.length === 0) throw new Error(`the tarball has no prebuilds/linux-x64/*.node: ${files.join(', ')}`);
  if (files.some((f) => f.startsWith('build/'))) throw new Error('the tarball contains build/');

  // 3. A fresh project installs the tarball without running any script.
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', version: '1.0.0', private: true }));
  log('npm install <tarball> --ignore-scripts...');
  sh('npm', ['install', tarball, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
  const installed = path.join(app, 'node_modules', 'fast-sharedmemory-mmap');
  if (fs.existsSync(path.join(installed, 'build'))) throw new Error('install scripts ran: build/ exists');

  // 4. Two processes share one cache through the installed package.
  fs.writeFileSync(path.join(app, 'writer.js'), `
    const c = require('fast-sharedmemory-mmap')({ name: process.argv[2], maxKeys: 16 });
    c.set('from', 'writer ' + process.pid);
    c.incr('n', 5);
    process.send('written', () => process.on('message', () => { c.close(); process.exit(0); }));
  `);
  fs.writeFileSync(path.join(app, 'main.js'), `
    const { fork } = require('node:child_process');
    const createCache = require('fast-sharedmemory-mmap');
    const loadedFrom = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
    const w = fork(__dirname + '/writer.js', [process.argv[2]]);
    const timer = setTimeout(() => { w.kill('SIGKILL'); process.exit(3); }, 60000);
    w.once('message', () => {
      const c = createCache({ name: process.argv[2], maxKeys: 16 });
      const out = { loadedFrom, from: c.get('from'), n: c.incr('n', 1), writerPid: w.pid };
      w.send('close');
      w.on('exit', () => {
        clearTimeout(timer);
        out.sizeAfterWriterLeft = c.stats().size;
        c.close();
        out.removed = !require('node:fs').existsSync('/dev/shm/fsmm.' + process.argv[2]);
        console.log(JSON.stringify(out));
      });
    });
  `);
  const run = JSON.parse(sh(process.execPath, ['main.js', name], app, 120000));
  const esm = sh(process.execPath, ['--input-type=module', '-e',
    "import createCache, { unlink } from 'fast-sharedmemory-mmap'; import { KeyvFastShm } from 'fast-sharedmemory-mmap/keyv';" +
    'console.log(typeof createCache, typeof unlink, typeof KeyvFastShm)'], app, 60000).trim();
  const cliHelp = sh(path.join(app, 'node_modules', '.bin', 'fast-shm'), ['--help'], app, 60000);
  const result = {
    tarball: tgz[0], bytes: fs.statSync(tarball).size, files: files.length, prebuilds, loadedFrom: run.loadedFrom.map((p) => path.relative(installed, p)),
    from: run.from, n: run.n, writerPid: run.writerPid, sizeAfterWriterLeft: run.sizeAfterWriterLeft, removed: run.removed,
    esm, cli: cliHelp.startsWith('Usage: fast-shm'),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  try { require('..').unlink(name); } catch { /* not built here, or already gone */ }
}
