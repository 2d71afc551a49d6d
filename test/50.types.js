'use strict';
// index.d.ts: test/types/*.ts use every option and method with the declared
// types (and `@ts-expect-error` lines that must stay errors); tsc must accept
// them under three module setups. Nothing here runs the typed code.
const assert = require('node:assert');
const { execFile } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', '.bin', 'tsc');

function compile(project) {
  return new Promise((resolve) => {
    execFile(tsc, ['--noEmit', '-p', project], { cwd: root, timeout: 120000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? err.signal) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('50 TypeScript declarations (index.d.ts)', function () {
  this.timeout(180000);

  for (const [project, what] of [
    ['test/types', 'import x = require() and esModuleInterop default/named imports'],
    ['test/types/no-interop', 'the same files without esModuleInterop'],
    ['test/types/nodenext', 'require by package name through "exports" (module nodenext)'],
  ]) {
    it(`tsc --noEmit -p ${project}: ${what}`, async () => {
      const { code, output } = await compile(project);
      assert.strictEqual(code, 0, `tsc failed:\n${output}`);
    });
  }

  it('a type error in typed usage makes tsc fail (the check is live)', async () => {
    const { code, output } = await compile('test/types/negative');
    assert.notStrictEqual(code, 0, 'tsc accepted a file that assigns get() to a string');
    assert.match(output, /TS2322/);
  });
});
