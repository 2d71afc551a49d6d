'use strict';
// Factory option validation: every bad option is refused with a TypeError or
// RangeError whose message names the option and the received value, before
// anything is created in /dev/shm; system failures carry errno and syscall.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const open = require('..');
const { nextName, shmEntries } = require('./helpers/names');

function throwsOption(options, Kind, code, ...mentions) {
  assert.throws(
    () => open(options),
    (err) => {
      assert.ok(err instanceof Kind, `expected ${Kind.name}, got ${err && err.constructor.name}: ${err && err.message}`);
      assert.equal(err.code, code);
      for (const m of mentions) assert.ok(err.message.includes(m), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(m)}`);
      return true;
    },
  );
}

describe('open: options', function () {
  it('opens with defaults and reports them', function () {
    const name = nextName('open');
    const cache = open({ name });
    try {
      const s = cache.stats();
      assert.equal(s.capacity, 1024);
      assert.equal(s.keySize, 64);
      assert.equal(s.valueSize, 256);
      assert.equal(s.size, 0);
      assert.ok(s.slotCount > 1024, 'slotCount must exceed maxKeys (one slot always empty)');
      assert.equal(cache.maxKeys, 1024);
      assert.equal(cache.name, name);
      assert.deepEqual(shmEntries(name).sort(), [`/dev/shm/fsmm.${name}`, `/dev/shm/fsmm.${name}.lock`]);
    } finally {
      cache.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('requires an options object', function () {
    for (const bad of [undefined, null, 'name', 42, true]) {
      assert.throws(() => open(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
  });

  describe('name', function () {
    it('non-string -> TypeError naming options.name', function () {
      for (const bad of [undefined, null, 42, {}, [], Symbol('s'), Buffer.from('abc'), true]) {
        throwsOption({ name: bad }, TypeError, 'ERR_INVALID_ARG_TYPE', 'options.name');
      }
    });

    it("'/', '..', too long, bad characters, empty, leading dot -> RangeError naming options.name and the value", function () {
      const bad = ['a/b', '/abs', '..', 'a..b', '../x', 'x'.repeat(201), 'sp ace', 'tab\t', 'uml\u00e4ut', 'nul\0', '', '.hidden', 'star*'];
      for (const name of bad) {
        throwsOption({ name }, RangeError, 'ERR_INVALID_ARG_VALUE', 'options.name', JSON.stringify(name).slice(0, 20));
        assert.equal(fs.existsSync(`/dev/shm/fsmm.${name}`), false);
      }
    });

    it('accepts 200 characters of [A-Za-z0-9_.-]', function () {
      const base = nextName('long');
      const name = (base + '_.-Az09'.repeat(40)).slice(0, 200);
      const cache = open({ name, maxKeys: 1 });
      try {
        cache.set('k', 'v');
        assert.equal(cache.get('k'), 'v');
      } finally {
        cache.close();
      }
      assert.equal(open.unlink(name), false, 'the last close of a persist:false cache removes it');
    });
  });

  describe('maxKeys / keySize / valueSize', function () {
    const rangeCases = [0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 31 + 1];
    const typeCases = ['10', null, true, {}, 10n];

    for (const [option, max] of [['maxKeys', 2 ** 31], ['keySize', 255], ['valueSize', 1048575]]) {
      it(`${option}: not a positive safe integer <= ${max} -> RangeError naming it and the value`, function () {
        for (const v of [...rangeCases, max + 1]) {
          throwsOption({ name: nextName('opt'), [option]: v }, RangeError, 'ERR_INVALID_ARG_VALUE', `options.${option}`, String(v));
        }
      });
      it(`${option}: not a number -> TypeError naming it`, function () {
        for (const v of typeCases) {
          throwsOption({ name: nextName('opt'), [option]: v }, TypeError, 'ERR_INVALID_ARG_TYPE', `options.${option}`);
        }
      });
    }

    it('a region too large for /dev/shm fails at open with errno and syscall, and leaves nothing behind', function () {
      const name = nextName('huge');
      assert.throws(
        () => open({ name, maxKeys: 2 ** 31, valueSize: 1048575 }),
        (err) => {
          assert.ok(err instanceof Error);
          assert.match(err.code, /^E[A-Z0-9]+$/, `code ${err.code}`);
          assert.ok(['ENOSPC', 'EFBIG', 'ENOMEM', 'EINVAL'].includes(err.code), `code ${err.code}`);
          assert.equal(typeof err.errno, 'number');
          assert.ok(err.errno < 0, `errno ${err.errno}`);
          assert.equal(typeof err.syscall, 'string');
          assert.ok(err.syscall.length > 0);
          assert.ok(err.message.includes(name), err.message);
          return true;
        },
      );
      assert.deepEqual(shmEntries(name), []);
    });

    it('keySize/valueSize at their maxima open and store at the limit', function () {
      const name = nextName('max');
      const cache = open({ name, maxKeys: 2, keySize: 255, valueSize: 1048575 });
      try {
        const key = 'k'.repeat(255);
        const value = Buffer.alloc(1048575, 7);
        assert.equal(cache.set(key, value), true);
        assert.deepEqual(cache.get(key), value);
        assert.throws(() => cache.set(key, Buffer.alloc(1048576)), { code: 'ERR_SHM_VALUE_TOO_LARGE' });
        assert.equal(cache.checkInvariants(), '');
      } finally {
        cache.close();
      }
    });
  });

  describe('flags', function () {
    for (const option of ['persist', 'stats', 'create']) {
      it(`${option} must be a boolean`, function () {
        for (const v of [1, 0, 'true', null, {}]) {
          throwsOption({ name: nextName('flag'), [option]: v }, TypeError, 'ERR_INVALID_ARG_TYPE', `options.${option}`);
        }
      });
    }

    it('evict must be "none" or "lru"', function () {
      throwsOption({ name: nextName('ev'), evict: 'fifo' }, RangeError, 'ERR_INVALID_ARG_VALUE', 'options.evict', 'fifo');
      throwsOption({ name: nextName('ev'), evict: 1 }, TypeError, 'ERR_INVALID_ARG_TYPE', 'options.evict');
    });

    it('ttl and mode are validated', function () {
      throwsOption({ name: nextName('ttl'), ttl: -1 }, RangeError, 'ERR_INVALID_ARG_VALUE', 'options.ttl');
      throwsOption({ name: nextName('ttl'), ttl: '5' }, TypeError, 'ERR_INVALID_ARG_TYPE', 'options.ttl');
      throwsOption({ name: nextName('mode'), mode: 0o1000 }, RangeError, 'ERR_INVALID_ARG_VALUE', 'options.mode');
    });

    it('mode is applied exactly (not filtered by the umask)', function () {
      const name = nextName('mode');
      const old = process.umask(0o077);
      let cache;
      try {
        cache = open({ name, mode: 0o640 });
      } finally {
        process.umask(old);
      }
      try {
        assert.equal(fs.statSync(`/dev/shm/fsmm.${name}`).mode & 0o777, 0o640);
      } finally {
        cache.close();
      }
    });
  });

  describe('create: false', function () {
    it('on a missing name -> Error code ENOENT with errno/syscall, nothing created', function () {
      const name = nextName('nocreate');
      assert.throws(
        () => open({ name, create: false }),
        (err) => {
          assert.equal(err.code, 'ENOENT');
          assert.equal(err.errno, -2);
          assert.equal(typeof err.syscall, 'string');
          return true;
        },
      );
      assert.deepEqual(shmEntries(name), []);
    });

    it('attaches to an existing cache and adopts its geometry', function () {
      const name = nextName('adopt');
      const first = open({ name, maxKeys: 7, keySize: 10, valueSize: 20 });
      try {
        first.set('k', 'v');
        const second = open({ name, create: false });
        try {
          assert.equal(second.maxKeys, 7);
          assert.equal(second.stats().keySize, 10);
          assert.equal(second.stats().valueSize, 20);
          assert.equal(second.get('k'), 'v');
        } finally {
          second.close();
        }
      } finally {
        first.close();
      }
      assert.deepEqual(shmEntries(name), []);
    });
  });
});
