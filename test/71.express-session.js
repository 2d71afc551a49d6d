'use strict';
// express-session with FastShmSessionStore in a real 2-worker cluster: a
// session created through one worker is read, changed and destroyed through
// the other; TTL follows the cookie; oversized sessions fail clearly.
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { nextName, shmEntries } = require('./helpers/names');
const { startCluster, request } = require('./fixtures/eco-http');

const CLI = path.join(__dirname, '..', 'bin', 'fast-shm.js');
const cookieOf = (res) => res.headers.get('set-cookie').split(';')[0];
const sidOf = (cookie) => decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0];

describe('stores: express-session across cluster workers', function () {
  let app;
  let name;
  before(async function () {
    name = nextName('sess');
    app = await startCluster('session', name, { valueSize: 512, maxAge: 60000 });
  });
  after(async function () {
    if (app) await app.close();
    assert.deepEqual(shmEntries(name), [], 'the workers were the last users: the segment is gone');
  });

  it('a session created through worker A is read through worker B', async function () {
    const login = await request(app.url(0, '/login?user=alice'), { method: 'POST' });
    assert.equal(login.status, 200);
    assert.equal(login.worker, app.workers[0].id);
    const cookie = cookieOf(login);
    assert.equal(sidOf(cookie), login.body.sid);

    const me = await request(app.url(1, '/me'), { headers: { cookie } });
    assert.equal(me.worker, app.workers[1].id);
    assert.notEqual(me.worker, login.worker);
    assert.deepEqual([me.body.user, me.body.sid, me.body.views], ['alice', login.body.sid, 1]);
    // A change made through B is seen through A.
    const again = await request(app.url(0, '/me'), { headers: { cookie } });
    assert.deepEqual([again.worker, again.body.user, again.body.views], [app.workers[0].id, 'alice', 2]);
    // An unknown cookie has no session.
    const anon = await request(app.url(1, '/me'));
    assert.equal(anon.body.user, null);
  });

  it('stores the session as JSON with the cookie maxAge as TTL (seen with fast-shm get)', async function () {
    const login = await request(app.url(1, '/login?user=bob'), { method: 'POST' });
    const sid = login.body.sid;
    const out = JSON.parse(execFileSync(process.execPath, [CLI, 'get', name, `sess:${sid}`, '--json'], { timeout: 30000 }));
    assert.equal(JSON.parse(out.value).user, 'bob');
    assert.ok(out.ttl > 0 && out.ttl <= 60000, `ttl ${out.ttl} must come from the cookie maxAge (60000)`);
  });

  it('destroy through one worker logs out on the other; length/all/clear see every worker', async function () {
    const login = await request(app.url(0, '/login?user=carol'), { method: 'POST' });
    const cookie = cookieOf(login);
    const before = await request(app.url(1, '/admin/sessions'));
    assert.ok(before.body.users.includes('carol'));
    assert.equal(before.body.length, before.body.users.length);
    const out = await request(app.url(1, '/logout'), { method: 'POST', headers: { cookie } });
    assert.equal(out.status, 200);
    assert.equal((await request(app.url(0, '/me'), { headers: { cookie } })).body.user, null);
    const after = await request(app.url(0, '/admin/sessions'));
    assert.ok(!after.body.users.includes('carol'));
    assert.equal(after.body.length, before.body.length - 1);
    await request(app.url(1, '/admin/clear'), { method: 'POST' });
    assert.deepEqual((await request(app.url(0, '/admin/sessions'))).body, { length: 0, users: [] });
  });

  it('a session larger than valueSize fails the request with an error naming both sizes', async function () {
    const res = await request(app.url(0, '/big?bytes=600'), { method: 'POST' });
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'ERR_SHM_VALUE_TOO_LARGE');
    assert.match(res.body.error, /session \S+ is \d{3} bytes of JSON, larger than the cache's valueSize \(512 bytes\)/);
    const fits = await request(app.url(1, '/big?bytes=100'), { method: 'POST' });
    assert.equal(fits.status, 200);
  });
});

describe('stores: FastShmSessionStore contract', function () {
  const createCache = require('..');
  const { FastShmSessionStore } = require('../lib/stores/express-session');
  const call = (fn, ...args) => new Promise((resolve, reject) => fn(...args, (err, v) => (err ? reject(err) : resolve(v))));

  it('touch() moves the TTL to the cookie lifetime; an expired cookie removes the session', async function () {
    const cache = createCache({ name: nextName('sess'), maxKeys: 4, valueSize: 256 });
    try {
      const store = new FastShmSessionStore({ cache, prefix: 'p:', ttl: 5000 });
      await call(store.set.bind(store), 'a', { cookie: { maxAge: 1000 }, user: 'x' });
      assert.ok(cache.ttl('p:a') > 0 && cache.ttl('p:a') <= 1000);
      await call(store.touch.bind(store), 'a', { cookie: { expires: new Date(Date.now() + 600000).toISOString() } });
      assert.ok(cache.ttl('p:a') > 1000 && cache.ttl('p:a') <= 600000, `ttl ${cache.ttl('p:a')}`);
      await call(store.set.bind(store), 'b', { cookie: {}, user: 'y' }); // browser-session cookie: options.ttl
      assert.ok(cache.ttl('p:b') > 1000 && cache.ttl('p:b') <= 5000);
      assert.deepEqual(await call(store.get.bind(store), 'b'), { cookie: {}, user: 'y' });
      await call(store.set.bind(store), 'b', { cookie: { maxAge: -1 } });
      assert.equal(await call(store.get.bind(store), 'b'), null, 'an already expired cookie deletes the session');
      await call(store.set.bind(store), 'c', { cookie: { maxAge: 1000 } });
      await call(store.set.bind(store), 'd', { cookie: { maxAge: 1000 } });
      await call(store.set.bind(store), 'e', { cookie: { maxAge: 1000 } });
      await assert.rejects(call(store.set.bind(store), 'f', { cookie: { maxAge: 1000 } }), { code: 'ERR_SHM_FULL', message: /is full \(maxKeys 4\)/ });
    } finally {
      cache.close();
    }
  });
});
