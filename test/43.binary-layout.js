'use strict';
// Issue 4, binary data and geometry: Buffer/Uint8Array values come back as
// Buffers and strings as strings; a key is its bytes whatever its spelling;
// keySize/valueSize bound the UTF-8 byte length and are part of the layout.
const assert = require('node:assert/strict');
const os = require('node:os');
const createCache = require('..');
const { nextName } = require('./helpers/names');

describe('43 binary values, keys, keySize/valueSize', function () {
  const open = [];
  function make(opts = {}) {
    const c = createCache({ name: nextName('bin'), maxKeys: 16, ...opts });
    open.push(c);
    return c;
  }
  afterEach(function () {
    for (const c of open.splice(0)) c.close();
  });

  it('a Buffer value comes back as an equal Buffer, a string as a string', function () {
    const c = make();
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    assert.equal(c.set('bin', all), true);
    const got = c.get('bin');
    assert.ok(Buffer.isBuffer(got));
    assert.deepEqual(got, all);
    c.set('str', 'plain \u0000 text ✓');
    assert.equal(c.get('str'), 'plain \u0000 text ✓');
    c.set('digits', Buffer.from('123'));
    assert.ok(Buffer.isBuffer(c.get('digits')), 'a binary write of text bytes stays binary');
    c.set('digits', '123');
    assert.equal(c.get('digits'), '123', 'overwriting with a string changes the type back');
  });

  it('Uint8Array values (and views at an offset) store exactly their bytes', function () {
    const c = make();
    c.set('u8', new Uint8Array([1, 2, 3]));
    assert.deepEqual(c.get('u8'), Buffer.from([1, 2, 3]));
    const backing = Buffer.from([9, 9, 4, 5, 6, 9]);
    c.set('view', backing.subarray(2, 5));
    assert.deepEqual(c.get('view'), Buffer.from([4, 5, 6]));
    c.set('view2', new Uint8Array(backing.buffer, backing.byteOffset + 1, 2));
    assert.deepEqual(c.get('view2'), Buffer.from([9, 4]));
  });

  it('empty values keep their type', function () {
    const c = make();
    c.set('es', '');
    c.set('eb', Buffer.alloc(0));
    assert.equal(c.get('es'), '');
    assert.ok(Buffer.isBuffer(c.get('eb')));
    assert.equal(c.get('eb').length, 0);
    assert.equal(c.has('eb'), true);
  });

  it('the returned Buffer is a copy: mutating it does not change the cache', function () {
    const c = make();
    const v = Buffer.from([1, 2, 3]);
    c.set('k', v);
    v[0] = 42; // the cache copied at set
    const got = c.get('k');
    assert.equal(got[0], 1);
    got[1] = 42;
    assert.deepEqual(c.get('k'), Buffer.from([1, 2, 3]));
  });

  it('keys: a string and a Buffer/Uint8Array with the same bytes are the same key', function () {
    const c = make();
    c.set('ключ', 'a');
    assert.equal(c.get(Buffer.from('ключ')), 'a');
    c.set(Buffer.from('ключ'), 'b');
    assert.equal(c.get('ключ'), 'b');
    assert.equal(c.stats().size, 1);
    assert.equal(c.has(new Uint8Array(Buffer.from('ключ'))), true);
    assert.equal(c.delete(Buffer.from('ключ')), true);
    assert.equal(c.has('ключ'), false);
  });

  it('binary keys that are not UTF-8 are distinct keys and round-trip', function () {
    const c = make();
    const k1 = Buffer.from([0xff, 0x00, 0x01]);
    const k2 = Buffer.from([0xff, 0x00, 0x02]);
    c.set(k1, 'one');
    c.set(k2, 'two');
    assert.equal(c.get(k1), 'one');
    assert.equal(c.get(k2), 'two');
    assert.equal(c.get(Buffer.from([0xff, 0x00])), undefined, 'a prefix is another key');
    assert.equal(c.stats().size, 2);
    assert.equal(c.checkInvariants(), '');
  });

  it('keySize and valueSize bound UTF-8 byte lengths exactly', function () {
    const c = make({ keySize: 4, valueSize: 6 });
    assert.equal(c.set('éé', 'ééé'), true, '4-byte key, 6-byte value fit');
    assert.equal(c.get('éé'), 'ééé');
    assert.throws(() => c.set('ééa', 'x'), (e) => e instanceof RangeError && e.code === 'ERR_SHM_KEY_TOO_LONG');
    assert.throws(() => c.set('k', 'éééa'), (e) => e instanceof RangeError && e.code === 'ERR_SHM_VALUE_TOO_LARGE');
    assert.throws(() => c.set(Buffer.alloc(5), 'x'), { code: 'ERR_SHM_KEY_TOO_LONG' });
    assert.throws(() => c.set('k', Buffer.alloc(7)), { code: 'ERR_SHM_VALUE_TOO_LARGE' });
    assert.throws(() => c.get('12345'), { code: 'ERR_SHM_KEY_TOO_LONG' });
    assert.equal(c.set(Buffer.alloc(4, 1), Buffer.alloc(6, 2)), true);
    assert.deepEqual(c.get(Buffer.alloc(4, 1)), Buffer.alloc(6, 2));
    const s = c.stats();
    assert.equal(s.keySize, 4);
    assert.equal(s.valueSize, 6);
    assert.equal(s.size, 2);
  });

  it('defaults are keySize 64 / valueSize 256, and a slot is 384 bytes (336-byte record + mutex) on x86-64', function () {
    const a = make({ maxKeys: 3 }); // slotCount 4
    const b = make({ maxKeys: 6 }); // slotCount 8; the CLOCK byte array pads to 64 in both
    const sa = a.stats();
    const sb = b.stats();
    assert.equal(sa.keySize, 64);
    assert.equal(sa.valueSize, 256);
    assert.equal(sa.slotCount, 4);
    assert.equal(sb.slotCount, 8);
    const slotBytes = (sb.regionBytes - sa.regionBytes) / (sb.slotCount - sa.slotCount);
    if (os.platform() === 'linux' && os.arch() === 'x64') assert.equal(slotBytes, 384);
    else assert.ok(slotBytes >= 336 && slotBytes % 64 === 0, `slot bytes ${slotBytes}`);
    a.set('x'.repeat(64), 'v'.repeat(256));
    assert.equal(a.get('x'.repeat(64)), 'v'.repeat(256));
    assert.throws(() => a.set('x'.repeat(65), 'v'), { code: 'ERR_SHM_KEY_TOO_LONG' });
    assert.throws(() => a.set('x', 'v'.repeat(257)), { code: 'ERR_SHM_VALUE_TOO_LARGE' });
  });

  it('opening an existing segment with another keySize or valueSize -> ERR_SHM_LAYOUT_MISMATCH', function () {
    const name = nextName('bin');
    const c = createCache({ name, maxKeys: 8, keySize: 32, valueSize: 100 });
    open.push(c);
    c.set('k', 'v');
    assert.throws(() => createCache({ name, maxKeys: 8, keySize: 64, valueSize: 100 }), (e) => {
      assert.equal(e.code, 'ERR_SHM_LAYOUT_MISMATCH');
      assert.equal(e.field, 'keySize');
      assert.equal(e.expected, 64);
      assert.equal(e.actual, 32);
      return true;
    });
    assert.throws(() => createCache({ name, maxKeys: 8, keySize: 32, valueSize: 256 }), (e) => {
      assert.equal(e.code, 'ERR_SHM_LAYOUT_MISMATCH');
      assert.equal(e.field, 'valueSize');
      assert.equal(e.actual, 100);
      return true;
    });
    // The defaults (64/256) are sizes too: omitting them mismatches this segment.
    assert.throws(() => createCache({ name, maxKeys: 8 }), { code: 'ERR_SHM_LAYOUT_MISMATCH' });
    // The failed opens changed nothing; a matching open shares the data.
    const d = createCache({ name, maxKeys: 8, keySize: 32, valueSize: 100 });
    open.push(d);
    assert.equal(d.get('k'), 'v');
  });

  it('rejects values and keys of other types with TypeError ERR_INVALID_ARG_TYPE', function () {
    const c = make();
    for (const bad of [1, null, undefined, {}, [1], true, new Uint16Array(2), new ArrayBuffer(2)]) {
      assert.throws(() => c.set('k', bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, String(bad));
    }
    for (const bad of [1, null, undefined, {}, Symbol('s')]) {
      assert.throws(() => c.get(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, String(bad));
    }
    assert.equal(c.stats().size, 0);
  });
});
