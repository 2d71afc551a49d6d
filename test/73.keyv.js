'use strict';
// Keyv v5 with the KeyvFastShm adapter in a real 2-worker cluster: values set
// through one worker are read through the other, namespaces are separate,
// TTL is the entry's TTL, clear() empties one namespace only.
const assert = require('node:assert/strict');
const { Keyv } = require('keyv');
const { nextName, shmEntries } = require('./helpers/names');
const { startCluster, request } = require('./fixtures/eco-http');
const { waitFor } = require('./helpers/time');
const createCache = require('..');
const { KeyvFastShm } = require('../lib/stores/keyv');

describe('stores: Keyv across cluster workers', function () {
  let app;
  let name;
  before(async function () {
    name = nextName('keyv');
    app = await startCluster('keyv', name);
  });
  after(async function () {
    if (app) await app.close();
    assert.deepEqual(shmEntries(name), []);
  });
  const put = (i, ns, key, value, ttl) =>
    request(app.url(i, `/kv/${ns}/${key}${ttl ? `?ttl=${ttl}` : ''}`), { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(value) });
  const get = async (i, ns, key) => (await request(app.url(i, `/kv/${ns}/${key}`))).body.value;

  it('a value set through worker A is read through worker B, per namespace', async function () {
    const r = await put(0, 'users', 'u1', { name: 'alice', roles: ['admin'] });
    assert.deepEqual([r.status, r.worker, r.body.stored], [200, app.workers[0].id, true]);
    await put(1, 'carts', 'u1', [1, 2, 3]);
    assert.deepEqual(await get(1, 'users', 'u1'), { name: 'alice', roles: ['admin'] });
    assert.deepEqual(await get(0, 'carts', 'u1'), [1, 2, 3]);
    assert.equal(await get(0, 'users', 'nobody'), null);
    const del = await request(app.url(1, '/kv/carts/u1'), { method: 'DELETE' });
    assert.equal(del.body.deleted, true);
    assert.equal(await get(0, 'carts', 'u1'), null);
  });

  it('clear() through one worker empties that namespace only', async function () {
    await put(0, 'a', 'k1', 1);
    await put(1, 'a', 'k2', 2);
    await put(0, 'b', 'k1', 'kept');
    await request(app.url(1, '/kv/a/clear'), { method: 'POST' });
    assert.deepEqual([await get(0, 'a', 'k1'), await get(1, 'a', 'k2'), await get(1, 'b', 'k1')], [null, null, 'kept']);
  });

  it('an entry set with a ttl through one worker expires for the other', async function () {
    await put(0, 't', 'short', 'soon gone', 300);
    await put(0, 't', 'long', 'stays', 600000);
    await waitFor(async () => (await get(1, 't', 'short')) === null, { timeoutMs: 30000, stepMs: 50, what: 'the 300 ms entry to expire' });
    assert.equal(await get(1, 't', 'long'), 'stays');
  });
});

describe('stores: KeyvFastShm contract', function () {
  it('passes Keyv ttl to the cache and reports errors through Keyv', async function () {
    const cache = createCache({ name: nextName('keyv'), maxKeys: 2, keySize: 16, valueSize: 64 });
    try {
      const store = new KeyvFastShm({ cache });
      const keyv = new Keyv({ store, namespace: 'n' });
      const errors = [];
      keyv.on('error', (e) => errors.push(e));
      assert.equal(await keyv.set('a', 'x', 5000), true);
      const ttl = cache.ttl('n:a');
      assert.ok(ttl > 0 && ttl <= 5000, `ttl ${ttl}`);
      assert.equal(await keyv.set('b', 'y'), true);
      assert.equal(cache.ttl('n:b'), -1);
      assert.equal(await keyv.set('c', 'z'), false, 'full cache: set fails');
      assert.equal(errors.at(-1).code, 'ERR_SHM_FULL');
      assert.equal(await keyv.set('a', 'v'.repeat(100)), false, 'too large: set fails');
      assert.equal(errors.at(-1).code, 'ERR_SHM_VALUE_TOO_LARGE');
      assert.equal(await keyv.get('a'), 'x');
      assert.equal(await keyv.has('a'), true);
      assert.deepEqual(await keyv.get(['a', 'b', 'q']), ['x', 'y', undefined]);
      const listed = [];
      for await (const [k] of store.iterator('n')) listed.push(k);
      assert.deepEqual(listed.sort(), ['n:a', 'n:b']);
      await keyv.clear();
      assert.deepEqual(cache.keys(), []);
    } finally {
      cache.close();
    }
  });
});
