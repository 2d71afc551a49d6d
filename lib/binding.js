'use strict';
// The only place that loads the compiled addon. Lookup order (the same as
// node-gyp-build's, without the runtime dependency):
//   1. build/Release/fsmm.node, build/Debug/fsmm.node: a source build (`npm install`
//      in a clone, `npm run build`). First, so a stale prebuild left by `npm pack`
//      never shadows the code being developed.
//   2. prebuilds/<platform>-<arch>/*.node: the Node-API binaries packed into the
//      published tarball by `prepack` (prebuildify --napi --strip --tag-libc), so
//      installs work with --ignore-scripts and without a compiler. A file name is
//      the package name and dot-separated tags (fast-sharedmemory-mmap.glibc.node):
//      a build tagged for another libc, or with an abiNN tag (not Node-API) for
//      another Node, is skipped.
// Running this file (`node lib/binding.js --prebuilt`) exits 0 when a prebuild
// loads here: the install script then skips the source build.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

function libc() {
  if (process.platform !== 'linux') return '';
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return report && report.header && report.header.glibcVersionRuntime ? 'glibc' : 'musl';
}

function prebuildCandidates() {
  const dir = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  let files;
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const want = libc();
  return files
    .filter((f) => {
      if (!f.endsWith('.node')) return false;
      const tags = f.slice(0, -5).split('.').slice(1); // the first part is the package name
      const abi = tags.find((t) => /^abi\d+$/.test(t));
      if (abi && abi !== `abi${process.versions.modules}`) return false; // not a Node-API build
      const tagged = tags.find((t) => t === 'glibc' || t === 'musl');
      return !tagged || tagged === want;
    })
    .sort((a, b) => b.split('.').length - a.split('.').length) // most specific first
    .map((f) => path.join(dir, f));
}

function candidates({ prebuiltOnly = false } = {}) {
  const builds = prebuiltOnly ? [] : ['Release', 'Debug'].map((f) => path.join(ROOT, 'build', f, 'fsmm.node'));
  return [...builds, ...prebuildCandidates()];
}

function load(opts) {
  const errors = [];
  for (const file of candidates(opts)) {
    if (!fs.existsSync(file)) {
      errors.push(`${path.relative(ROOT, file)}: not found`);
      continue;
    }
    try {
      return require(file);
    } catch (err) {
      errors.push(`${path.relative(ROOT, file)}: ${err.message.split('\n')[0]}`);
    }
  }
  if (!errors.some((e) => e.startsWith('prebuilds'))) {
    errors.push(`prebuilds/${process.platform}-${process.arch}/*.node: none for this platform and libc`);
  }
  const err = new Error(
    'fast-sharedmemory-mmap: the native addon is not built. Run `npm rebuild fast-sharedmemory-mmap` ' +
      '(needs python3, make and a C++17 compiler). Tried:\n  ' + errors.join('\n  '),
  );
  err.code = 'ERR_SHM_NOT_BUILT';
  throw err;
}

if (require.main === module && process.argv.includes('--prebuilt')) {
  try {
    load({ prebuiltOnly: true });
    process.exitCode = 0;
  } catch {
    process.exitCode = 1;
  }
} else {
  module.exports = load();
}
