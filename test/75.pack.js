'use strict';
// The published tarball works where install scripts do not run: `npm pack`
// (prepack: prebuildify) into a temp dir, `npm install <tarball>
// --ignore-scripts` into a fresh project, then two processes share a cache
// through the installed package, whose addon comes from prebuilds/.
// Slow (a full node-gyp build of a copy of the tree): about a minute.
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { nextName, shmEntries } = require('./helpers/names');

describe('package: npm pack + install --ignore-scripts uses the prebuilt addon', function () {
  it('installs from the tarball without scripts and shares a cache across two processes', async function () {
    this.timeout(20 * 60000);
    this.slow(120000);
    const name = nextName('pack');
    const script = path.join(__dirname, '..', 'scripts', 'prebuild-smoke.js');
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, [script, name], { timeout: 18 * 60000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
        (err, out, errOut) => resolve({ code: err ? err.code ?? err.signal : 0, stdout: out, stderr: errOut }));
    });
    assert.equal(code, 0, `prebuild-smoke failed:\n${stderr.slice(-4000)}`);
    const r = JSON.parse(stdout.trim().split('\n').pop());
    assert.deepEqual(r.prebuilds, ['prebuilds/linux-x64/fast-sharedmemory-mmap.glibc.node']);
    assert.deepEqual(r.loadedFrom, r.prebuilds, 'the installed package loads its prebuild');
    assert.equal(r.from, `writer ${r.writerPid}`, 'a value written by one process is read by the other');
    assert.equal(r.n, 6);
    assert.equal(r.sizeAfterWriterLeft, 2);
    assert.equal(r.removed, true, 'the last user removed the segment');
    assert.equal(r.esm, 'function function function');
    assert.equal(r.cli, true);
    assert.deepEqual(shmEntries(name), []);
  });
});
