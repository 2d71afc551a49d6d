'use strict';
// Attaching to a live (or persistent) segment with other sizes fails with
// ERR_SHM_LAYOUT_MISMATCH naming the field, the requested value (expected)
// and the stored one (actual); the segment and its data are untouched. A
// file under our prefix that we did not write is refused, never rewritten.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const open = require('..');
const { nextName, shmEntries } = require('./helpers/names');
const { client } = require('./helpers/core-client');

const base = { maxKeys: 16, keySize: 32, valueSize: 64 };
const variants = [
  ['maxKeys', { maxKeys: 17 }, 17, 16],
  ['keySize', { keySize: 33 }, 33, 32],
  ['valueSize', { valueSize: 65 }, 65, 64],
  ['evict', { evict: 'lru' }, 1, 0],
];

function mismatch(field, expected, actual) {
  return (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'ERR_SHM_LAYOUT_MISMATCH', err.message);
    assert.equal(err.field, field);
    assert.equal(err.expected, expected);
    assert.equal(err.actual, actual);
    assert.ok(err.message.includes(field), err.message);
    return true;
  };
}

describe('layout mismatch', function () {
  describe('while another handle in this process keeps it open', function () {
    for (const [field, change, expected, actual] of variants) {
      it(`different ${field} -> ERR_SHM_LAYOUT_MISMATCH (field ${field})`, function () {
        const name = nextName('lm');
        const first = open({ name, ...base });
        try {
          first.set('k', 'v');
          assert.throws(() => open({ name, ...base, ...change }), mismatch(field, expected, actual));
          assert.equal(first.get('k'), 'v', 'the existing data is untouched');
          assert.equal(first.checkInvariants(), '');
          const same = open({ name, ...base });
          assert.equal(same.get('k'), 'v', 'a matching opener still attaches');
          same.close();
        } finally {
          first.close();
        }
        assert.deepEqual(shmEntries(name), []);
      });
    }
  });

  it('while another process keeps it open', async function () {
    const name = nextName('lmproc');
    const holder = await client();
    try {
      await holder.open({ name, ...base });
      await holder.call('set', 'k', 'held');
      assert.throws(() => open({ name, ...base, maxKeys: 32 }), mismatch('maxKeys', 32, 16));
      assert.throws(() => open({ name, ...base, valueSize: 256 }), mismatch('valueSize', 256, 64));
      assert.equal(await holder.call('get', 'k'), 'held');
      const mine = open({ name, ...base });
      assert.equal(mine.get('k'), 'held');
      mine.close();
    } finally {
      await holder.finish();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('a persistent segment with no live user is validated, not reinitialised', function () {
    const name = nextName('lmpersist');
    const first = open({ name, ...base, persist: true });
    first.set('k', 'kept');
    first.close();
    try {
      for (const [field, change, expected, actual] of variants) {
        assert.throws(() => open({ name, ...base, ...change }), mismatch(field, expected, actual));
      }
      const again = open({ name, ...base });
      assert.equal(again.get('k'), 'kept');
      again.close();
    } finally {
      assert.equal(open.unlink(name), true);
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('a stale persist:false segment (its only user was SIGKILLed) is reinitialised with the new layout', async function () {
    const name = nextName('lmstale');
    const holder = await client();
    await holder.open({ name, ...base });
    await holder.call('set', 'k', 'v');
    holder.kill();
    assert.equal((await holder.exited()).signal, 'SIGKILL');
    assert.equal(shmEntries(name).length, 2, 'a killed user leaves its files behind');
    const cache = open({ name, ...base, maxKeys: 99 });
    try {
      assert.equal(cache.maxKeys, 99);
      assert.equal(cache.stats().capacity, 99);
      assert.equal(cache.get('k'), undefined, 'a stale non-persistent segment starts empty');
      assert.equal(cache.stats().size, 0);
      assert.equal(cache.checkInvariants(), '');
    } finally {
      cache.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  describe('foreign files under our prefix', function () {
    for (const [label, bytes] of [
      ['4 KiB of random bytes', () => { const b = crypto.randomBytes(4096); b[0] |= 1; return b; }],
      ['a short text file', () => Buffer.from('not a cache, just some text\n')],
      ['a header-sized file with a wrong magic', () => { const b = Buffer.alloc(8192); b.write('NOTFSMM!', 0); return b; }],
    ]) {
      it(`${label} is refused and left byte-for-byte unchanged`, function () {
        const name = nextName('foreign');
        const path = `/dev/shm/fsmm.${name}`;
        const content = bytes();
        fs.writeFileSync(path, content, { mode: 0o600 });
        try {
          for (const options of [{ name }, { name, maxKeys: 8 }, { name, persist: true }, { name, create: false }]) {
            assert.throws(() => open(options), (err) => {
              assert.ok(err instanceof Error);
              assert.ok(['ERR_SHM_LAYOUT_MISMATCH', 'ENOENT'].includes(err.code), `${err.code}: ${err.message}`);
              if (err.code === 'ERR_SHM_LAYOUT_MISMATCH') assert.equal(err.field, 'magic');
              return true;
            });
            assert.ok(fs.readFileSync(path).equals(content), `the foreign file was modified (options ${JSON.stringify(options)})`);
          }
        } finally {
          fs.rmSync(path, { force: true });
          fs.rmSync(`${path}.lock`, { force: true });
        }
      });
    }
  });
});
