'use strict';
// Hostile-input safety and permissions: segment modes, refused names, foreign
// files under our prefix, segments scribbled over by another process, and
// access by another user.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const createCache = require('..');
const { unlink } = require('..');
const { nextName } = require('./helpers/names');
const child = require('./helpers/child');

const segPath = (name) => `/dev/shm/fsmm.${name}`;
const lockPath = (name) => `/dev/shm/fsmm.${name}.lock`;
const modeOf = (p) => fs.statSync(p).mode & 0o777;

// Slot geometry read back from the header (layout.h), checked against stats().
function geometry(name, stats) {
  const h = Buffer.alloc(256);
  const fd = fs.openSync(segPath(name), 'r');
  fs.readSync(fd, h, 0, 256, 0);
  fs.closeSync(fd);
  const g = {
    headerBytes: h.readUInt32LE(12), keySize: h.readUInt32LE(16), valueSize: h.readUInt32LE(20),
    slotBytes: h.readUInt32LE(28), slotCount: Number(h.readBigUInt64LE(48)), regionBytes: Number(h.readBigUInt64LE(56)),
  };
  // header, 128 stat blocks, 256 stripe epochs (N5), CLOCK bits rounded to 64, then the slots
  g.slotsOffset = g.headerBytes + 128 * 64 + 256 * 8 + Math.ceil(g.slotCount / 64) * 64;
  g.valueOffset = 16 + Math.ceil(g.keySize / 8) * 8;
  assert.equal(g.slotCount, stats.slotCount);
  assert.equal(g.regionBytes, stats.regionBytes);
  assert.equal(g.slotsOffset + g.slotCount * g.slotBytes, g.regionBytes, 'slot offsets derived from the header');
  return g;
}
const packInfo = (state, type, keyLen, valueLen) => ((state & 3) | ((type & 3) << 2) | ((keyLen & 0xff) << 4) | ((valueLen & 0xfffff) << 12)) >>> 0;

// Scribblers: (fd, g, slotInfo[], rnd) -> void. slotInfo[i] = { off, state }.
const SCRIBBLES = {
  lengths(fd, g, slots) {
    slots.forEach((s, n) => {
      if (s.state === 0) return;
      const b = Buffer.alloc(4);
      const mode = n % 3;
      b.writeUInt32LE(mode === 0 ? packInfo(1, 0, 255, 0xfffff) : mode === 1 ? packInfo(1, 1, 2, 0xfffff) : packInfo(1, 0, 0, 0xffff0));
      fs.writeSync(fd, b, 0, 4, s.off + 4);
    });
  },
  states(fd, g, slots, rnd) {
    slots.forEach((s, n) => {
      const b = Buffer.alloc(4);
      if (s.state === 0 && n % 4 === 0) {
        b.writeUInt32LE(packInfo(1, 3, 8, 16)); // LIVE with a random key, type 3
        fs.writeSync(fd, b, 0, 4, s.off + 4);
        fs.writeSync(fd, rnd(8), 0, 8, s.off + 16);
      } else if (s.state !== 0) {
        const info = Buffer.alloc(4);
        fs.readSync(fd, info, 0, 4, s.off + 4);
        const state = [2, 3, 1, 0][n % 4]; // MOVING, TORN, LIVE, EMPTY with the key still there
        b.writeUInt32LE(((info.readUInt32LE(0) & ~3) | state) >>> 0);
        fs.writeSync(fd, b, 0, 4, s.off + 4);
      }
    });
  },
  seqlocks(fd, g, slots) {
    slots.forEach((s, n) => {
      if (n % 3 !== 0) return;
      const b = Buffer.alloc(4);
      b.writeUInt32LE((0xfffffff1 + n * 2) % 2 ** 32); // odd (some wrap past 2^32): a "writer" that never finishes and owns no mutex
      fs.writeSync(fd, b, 0, 4, s.off);
    });
    const e = Buffer.alloc(8);
    e.writeBigUInt64LE(12345n); // move_epoch odd forever
    fs.writeSync(fd, e, 0, 8, 192);
  },
  random(fd, g, slots, rnd) {
    for (const s of slots) fs.writeSync(fd, rnd(g.valueOffset + g.valueSize), 0, g.valueOffset + g.valueSize, s.off);
  },
  counters(fd, g, slots, rnd) {
    const b = Buffer.alloc(64);
    b.writeBigUInt64LE(1n << 63n, 8); // count
    b.writeBigUInt64LE(0n, 16); // ttl_entries
    b.writeBigUInt64LE(0xffffffffffffff00n, 24); // clock_hand
    b.writeBigUInt64LE(0n, 56); // next_expiry_hint
    fs.writeSync(fd, b, 8, 56, 72);
    slots.forEach((s, n) => {
      const x = Buffer.alloc(8);
      x.writeBigUInt64LE(n % 2 ? 1n : 0xffffffffffffffffn); // expired long ago / never
      if (s.state !== 0) fs.writeSync(fd, x, 0, 8, s.off + 8);
    });
    fs.writeSync(fd, rnd(64), 0, 64, g.headerBytes); // a stat block
  },
};

describe('security and hostile input', function () {
  this.timeout(120000);

  describe('segment modes', () => {
    it('segments and lock files are created 0600 by default', () => {
      const name = nextName('sec');
      const cache = createCache({ name });
      try {
        assert.equal(modeOf(segPath(name)), 0o600);
        assert.equal(modeOf(lockPath(name)), 0o600);
      } finally {
        cache.close();
      }
    });

    for (const mode of [0o640, 0o660, 0o666]) {
      it(`mode 0o${mode.toString(8)} is applied exactly (not filtered by the umask) to the segment and its lock file`, () => {
        const name = nextName('sec');
        const old = process.umask(0o022);
        try {
          const cache = createCache({ name, mode });
          try {
            assert.equal(modeOf(segPath(name)), mode);
            assert.equal(modeOf(lockPath(name)), mode);
          } finally {
            cache.close();
          }
        } finally {
          process.umask(old);
        }
      });
    }
  });

  describe('names', () => {
    const refused = ['evil/x', '../evil', 'evil/../../etc', '..', '.evil', 'evil..', `evil${'x'.repeat(197)}`,
      'evil x', 'evil\0x', 'évil', 'evil*', 'evil\n', ''];
    it('names with "/", "..", a leading dot, bad characters or over 200 characters are refused', () => {
      const before = new Set(fs.readdirSync('/dev/shm'));
      for (const name of refused) {
        assert.throws(() => createCache({ name }), (err) => err instanceof RangeError && err.code === 'ERR_INVALID_ARG_VALUE',
          JSON.stringify(name));
        assert.throws(() => unlink(name), { code: 'ERR_INVALID_ARG_VALUE' });
      }
      const created = fs.readdirSync('/dev/shm').filter((f) => !before.has(f) && /evil/.test(f));
      assert.deepEqual(created, []);
      assert.equal(fs.existsSync('/dev/shm/evil'), false);
    });

    it('a 200-character name is accepted', () => {
      const base = nextName('sec');
      const name = base + 'n'.repeat(200 - base.length);
      try {
        const cache = createCache({ name });
        cache.set('k', 'v');
        assert.equal(cache.get('k'), 'v');
        cache.close();
      } finally {
        unlink(name);
      }
      assert.equal(fs.existsSync(segPath(name)), false);
    });
  });

  describe('foreign files under the prefix', () => {
    const options = { maxKeys: 64, keySize: 64, valueSize: 64 };
    function regionBytes() {
      const name = nextName('sec');
      const c = createCache({ name, ...options });
      const bytes = c.stats().regionBytes;
      const image = fs.readFileSync(segPath(name));
      c.close();
      return { bytes, image };
    }
    function randomWithNonZeroMagic(n) {
      const b = crypto.randomBytes(n);
      b[0] |= 1;
      return b;
    }
    const variants = {
      'random bytes (4 KiB)': () => randomWithNonZeroMagic(4096),
      'random bytes of the exact region size': () => randomWithNonZeroMagic(regionBytes().bytes),
      'a real segment image with a wrong magic': () => {
        const { image } = regionBytes();
        image.write('NOTFSMM!', 0, 'latin1');
        return image;
      },
      'a 9-byte file': () => randomWithNonZeroMagic(9),
    };
    for (const [label, make] of Object.entries(variants)) {
      it(`${label}: refused with ERR_SHM_LAYOUT_MISMATCH (field "magic") and left unchanged`, () => {
        const name = nextName('sec');
        const bytes = make();
        fs.writeFileSync(segPath(name), bytes, { mode: 0o600 });
        try {
          for (const create of [true, false]) {
            assert.throws(() => createCache({ name, ...options, create }), (err) => {
              assert.equal(err.code, 'ERR_SHM_LAYOUT_MISMATCH');
              assert.equal(err.field, 'magic');
              return true;
            });
            assert.ok(fs.readFileSync(segPath(name)).equals(bytes), 'the foreign file must not be modified');
          }
        } finally {
          unlink(name);
        }
        assert.equal(fs.existsSync(segPath(name)), false);
        assert.equal(fs.existsSync(lockPath(name)), false);
      });
    }
  });

  describe('a segment scribbled over by another process', () => {
    for (const [label, scribble] of Object.entries(SCRIBBLES)) {
      for (const evict of ['none', 'lru']) {
        it(`${label} (evict ${evict}): every operation survives in a child process`, async () => {
          const name = nextName('sec');
          const options = { maxKeys: 64, keySize: 64, valueSize: 256, evict };
          const cache = createCache({ name, ...options });
          try {
            for (let i = 0; i < (evict === 'lru' ? 64 : 40); i++) cache.set(`k${i}`, `value-${i}`, i % 5 ? undefined : { ttl: 60000 });
            const g = geometry(name, cache.stats());
            const fd = fs.openSync(segPath(name), 'r+');
            try {
              const slots = [];
              for (let i = 0; i < g.slotCount; i++) {
                const off = g.slotsOffset + i * g.slotBytes;
                const info = Buffer.alloc(4);
                fs.readSync(fd, info, 0, 4, off + 4);
                slots.push({ off, state: info.readUInt32LE(0) & 3 });
              }
              let seed = 12345;
              const rnd = (n) => Buffer.from(Array.from({ length: n }, () => {
                seed = (seed * 1103515245 + 12345) >>> 0;
                return seed >>> 24;
              }));
              scribble(fd, g, slots, rnd);
            } finally {
              fs.closeSync(fd);
            }
            const c = child.start('crash-hostile', [name, JSON.stringify(options)]);
            const done = await c.next('done', 60000);
            assert.deepEqual(await c.exited(60000), { code: 0, signal: null });
            assert.deepEqual(done.unexpected, []);
            assert.ok(done.counts.ok > 1000, `only ${done.counts.ok} operations succeeded`);
            assert.equal(done.invariantsAfterClear, '', 'clear() rebuilds a sound table');
          } finally {
            cache.close();
          }
        });
      }
    }
  });

  describe('access by another user', () => {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    it('a 0600 segment created by root cannot be opened by uid 65534 (EACCES)', async function () {
      if (!root) this.skip();
      const name = nextName('sec');
      const cache = createCache({ name });
      try {
        cache.set('secret', 'root only');
        const c = child.start('crash-privdrop', [name]);
        const r = await c.next('result', 30000);
        assert.deepEqual(await c.exited(30000), { code: 0, signal: null });
        assert.equal(r.opened, false);
        assert.equal(r.code, 'EACCES', r.message);
        assert.equal(r.syscall, 'shm_open');
      } finally {
        cache.close();
      }
    });

    it('a 0666 segment created by root is shared with uid 65534', async function () {
      if (!root) this.skip();
      const name = nextName('sec');
      const cache = createCache({ name, mode: 0o666 });
      try {
        cache.set('secret', 'shared');
        const c = child.start('crash-privdrop', [name]);
        const r = await c.next('result', 30000);
        assert.deepEqual(await c.exited(30000), { code: 0, signal: null });
        assert.equal(r.opened, true, r.message);
        assert.equal(r.value, 'shared');
      } finally {
        cache.close();
      }
    });

    it('without root: a segment whose mode denies its owner is refused with EACCES', function () {
      if (root) this.skip(); // root bypasses permission bits; the setuid tests above cover it
      const name = nextName('sec');
      const cache = createCache({ name, mode: 0o000 });
      try {
        assert.throws(() => createCache({ name }), { code: 'EACCES' });
      } finally {
        cache.close();
      }
    });
  });
});
