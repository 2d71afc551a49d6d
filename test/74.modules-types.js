'use strict';
// package.json "exports": CommonJS and ESM entries (one module instance),
// the store subpaths, ./package.json, no deep imports; and the stores'
// declarations checked by tsc against a typed usage file.
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { nextName, shmEntries } = require('./helpers/names');

const ROOT = path.join(__dirname, '..');

function run(file, args, timeout) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : err.signal) : 0, stdout, stderr });
    });
  });
}

describe('modules: exports, ESM and types', function () {
  it('CommonJS: the package name and its subpaths resolve through "exports"', function () {
    assert.equal(require('fast-sharedmemory-mmap'), require('..'));
    assert.equal(require('fast-sharedmemory-mmap').default, require('..'));
    assert.equal(require('fast-sharedmemory-mmap/express-session').FastShmSessionStore.name, 'FastShmSessionStore');
    assert.equal(require('fast-sharedmemory-mmap/rate-limit').FastShmRateLimitStore.name, 'FastShmRateLimitStore');
    assert.equal(require('fast-sharedmemory-mmap/keyv').KeyvFastShm.name, 'KeyvFastShm');
    assert.equal(require('fast-sharedmemory-mmap/package.json').name, 'fast-sharedmemory-mmap');
    assert.throws(() => require('fast-sharedmemory-mmap/lib/cache.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('ESM: default and named imports, the store subpaths, same instance as require()', async function () {
    const name = nextName('esm');
    const r = await run(process.execPath, [path.join(__dirname, 'fixtures', 'eco-esm.mjs'), name], 60000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      sameAsRequire: true, named: true, stores: true, value: 'from esm',
      version: require('../package.json').version, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
    assert.deepEqual(shmEntries(name), []);
  });

  it('tsc accepts the typed usage of the stores and rejects the wrong uses', async function () {
    this.timeout(300000);
    this.slow(60000);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', path.join(__dirname, 'fixtures', 'eco-types')], 280000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
