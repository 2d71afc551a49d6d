'use strict';
// index.d.ts: test/types/*.ts use every option and method with the declared
// types (and `@ts-expect-error` lines that must stay errors); tsc must accept
// them under three module setups. Nothing here runs the typed code.
const assert = require('node:assert');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const createCache = require('..');
const { cacheOptions } = require('../lib/options');
const { nextName } = require('./helpers/names');

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

// The declarations and the README are written by hand; these checks catch drift
// when the JS API grows (a new method, option, stats field or error code).
describe('50 declarations and docs agree with the code', () => {
  const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8');
  const block = (start) => {
    const from = dts.indexOf(start);
    assert.ok(from >= 0, `index.d.ts has no "${start}"`);
    let depth = 0;
    for (let i = dts.indexOf('{', from); i < dts.length; i++) {
      if (dts[i] === '{') depth++;
      if (dts[i] === '}' && --depth === 0) return dts.slice(from, i);
    }
    throw new Error(`unbalanced braces after "${start}"`);
  };

  it('every public Cache method and getter is declared on class Cache', () => {
    const body = block('export class Cache');
    const names = Object.getOwnPropertyNames(createCache.Cache.prototype).filter((n) => n !== 'constructor');
    assert.ok(names.length >= 20, `expected the full API, found ${names.join(', ')}`);
    for (const n of names) assert.match(body, new RegExp(`\\n\\s+(readonly )?${n}[(:]`), `Cache.${n} is not declared`);
  });

  it('every factory option read by lib/options.js is declared in CacheOptions', () => {
    const read = new Set();
    const probe = new Proxy({ name: 'probe' }, { get: (t, k) => { read.add(k); return t[k]; } });
    cacheOptions(probe);
    const body = block('export interface CacheOptions');
    assert.ok(read.size >= 10, `expected every option to be read, saw ${[...read].join(', ')}`);
    for (const k of read) assert.match(body, new RegExp(`\\n\\s+${String(k)}\\??:`), `option ${String(k)} is not declared`);
  });

  it('CacheStats declares exactly the fields stats() returns', () => {
    const cache = createCache({ name: nextName('types') });
    try {
      const fields = Object.keys(cache.stats()).sort();
      const body = block('export interface CacheStats');
      const declared = [...body.matchAll(/\n\s+(\w+(?:, \w+)*)?\??: number/g)].flatMap((m) => m[1].split(', ')).sort();
      assert.deepStrictEqual(declared, fields);
    } finally {
      cache.close();
    }
  });

  it('ErrorCode lists every code documented in lib/errors.js', () => {
    const src = fs.readFileSync(path.join(root, 'lib', 'errors.js'), 'utf8');
    const codes = [...new Set([...src.matchAll(/'?(ERR_[A-Z_]+)'?/g)].map((m) => m[1]))];
    const start = dts.indexOf('export type ErrorCode');
    const union = dts.slice(start, dts.indexOf(';', start));
    assert.ok(codes.length >= 9, codes.join(', '));
    for (const c of codes) assert.ok(union.includes(`'${c}'`), `${c} is missing from ErrorCode`);
  });

  it('the README quick start is examples/basic.js verbatim', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const basic = fs.readFileSync(path.join(root, 'examples', 'basic.js'), 'utf8');
    const section = readme.slice(readme.indexOf('## Quick start'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section);
    assert.ok(snippet, 'no js block under "## Quick start"');
    assert.strictEqual(snippet[1], basic);
  });
});
