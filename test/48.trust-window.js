'use strict';
// The segment's trust window (src/core/layout.h N1-N6), the primitive under the
// near cache: a generation that readers may trust until a deadline. Tested with
// real processes: what one process opens, renews or flushes, the others see at
// once; a window closes at its deadline with nobody acting; a process killed
// inside go-live/renew/flush leaves nothing locked.
const assert = require('node:assert/strict');
const createCache = require('..');
const { trustWindowOf } = require('../lib/cache');
const { nextName } = require('./helpers/names');
const child = require('./helpers/child');

const KEY_SIZE = 40;
const tagged = (gen, key) => `\0${gen}:${key}`;

describe('trust window (near cache primitive)', function () {
  this.timeout(60000);
  let name; let cache; let trust; let peer;

  beforeEach(async () => {
    name = nextName('trust');
    cache = createCache({ name, maxKeys: 64, keySize: KEY_SIZE });
    trust = trustWindowOf(cache);
    peer = child.start('trust-client', [name, KEY_SIZE]);
    await peer.next('ready');
  });
  afterEach(async () => {
    peer.kill();
    await peer.exited(10000);
    cache.close();
  });
  const peerGet = async (key) => {
    peer.send({ op: 'get', key });
    return (await peer.next('got')).value;
  };

  it('a window opened in one process is trusted in another; a flush closes it everywhere at once', async () => {
    assert.equal(trust.getTrusted('k'), null); // never opened
    assert.equal(await peerGet('k'), 'untrusted');
    const g1 = trust.goLive(trust.clockMs() + 60000);
    cache.set(tagged(g1, 'k'), 'v1', { ttl: 60000 });
    cache.set(tagged(g1 + 1, 'k'), 'next-gen', { ttl: 60000 });
    assert.equal(trust.getTrusted('k'), 'v1');
    assert.equal(await peerGet('k'), 'v1');
    assert.equal(await peerGet('other'), 'miss');
    trust.flush();
    assert.equal(await peerGet('k'), 'untrusted');
    assert.equal(trust.renew(g1, trust.clockMs() + 60000), false, 'a closed window is never reopened');
    const g2 = trust.goLive(trust.clockMs() + 60000);
    assert.equal(g2, g1 + 1);
    assert.equal(await peerGet('k'), 'next-gen'); // only the new generation's entry is reachable
    cache.set(tagged(g2, 'neg'), Buffer.alloc(0));
    assert.equal(await peerGet('neg'), 'buffer:0'); // the near cache's negative entries
    assert.equal(trust.renew(g2 + 1, trust.clockMs() + 60000), false, 'only the current generation renews');
    assert.equal(trust.renew(g2, trust.clockMs() + 60000), true);
    assert.equal(cache.checkInvariants(), '');
  });

  it('a window closes by itself at its deadline, never after it, with no process acting', async () => {
    const until = trust.clockMs() + 200;
    const gen = trust.goLive(until);
    cache.set(tagged(gen, 'k'), 'v');
    peer.send({ op: 'waitClosed' });
    const { at, lastTrustedAt } = await peer.next('closed', 10000);
    // Never trusted at or after the deadline (a check that began at ms `until` must
    // not trust; this caught a coarse clock lagging by more than its resolution),
    // and not closed before it.
    assert.ok(lastTrustedAt !== null && lastTrustedAt < until, `trusted at ${lastTrustedAt}, deadline ${until}`);
    assert.ok(at >= until, `closed at ${at}, before its deadline ${until}`);
    assert.equal(trust.getTrusted('k'), null);
    assert.equal(trust.renew(gen, trust.clockMs() + 60000), false);
    const s = trust.state();
    assert.equal(s.generation, gen);
    assert.equal(s.trustedGeneration, 0);
  });

  it('SIGKILL of a process looping go-live/renew/flush leaves nothing locked (robust structure mutex)', async () => {
    for (let round = 0; round < 3; round++) {
      const churner = child.start('trust-client', [name, KEY_SIZE]);
      await churner.next('ready');
      churner.send({ op: 'churn' });
      await churner.next('churning');
      churner.kill('SIGKILL');
      await churner.exited(10000);
      const gen = trust.goLive(trust.clockMs() + 60000); // would hang on a lock the dead process held
      assert.ok(trust.renew(gen, trust.clockMs() + 60000));
      assert.ok(cache.set(tagged(gen, 'k'), `round ${round}`));
      assert.equal(await peerGet('k'), `round ${round}`);
      assert.equal(cache.checkInvariants(), '');
    }
  });

  it('a fill whose snapshot predates another process\'s invalidation is refused and never visible', async () => {
    const gen = trust.goLive(trust.clockMs() + 60000);
    const e0 = trust.epochOf('user:1');
    assert.equal(trust.fill('user:1', 'v1', 60000, gen, e0), 'ok');
    assert.equal(await peerGet('user:1'), 'v1');
    const snapshot = trust.epochOf('user:1'); // a filler's snapshot, then it "reads Redis"...
    peer.send({ op: 'invalidate', key: 'user:1' }); // ...while another process applies a write's invalidation
    assert.equal((await peer.next('invalidated')).removed, true);
    assert.equal(trust.epochOf('user:1'), snapshot + 1);
    assert.equal(trust.getTrusted('user:1'), undefined);
    assert.equal(trust.fill('user:1', 'v1-stale', 60000, gen, snapshot), 'stale');
    assert.equal(await peerGet('user:1'), 'miss'); // the refused value was never stored
    assert.equal(trust.fill('user:1', 'v2', 60000, gen, trust.epochOf('user:1')), 'ok');
    assert.equal(await peerGet('user:1'), 'v2');
    trust.flush();
    assert.equal(trust.fill('user:1', 'v3', 60000, gen, trust.epochOf('user:1')), 'stale', 'a closed window refuses fills');
    assert.equal(cache.checkInvariants(), '');
  });

  it('bad keys: too long is a RangeError naming keySize; a number is a TypeError', () => {
    trust.goLive(trust.clockMs() + 60000);
    assert.throws(() => trust.getTrusted('x'.repeat(KEY_SIZE + 1)), (e) => e instanceof RangeError && /keySize/.test(e.message) && /40/.test(e.message));
    assert.throws(() => trust.getTrusted(42), TypeError);
    assert.equal(trust.getTrusted('x'.repeat(KEY_SIZE)), undefined); // fits alone, not beside the tag: a miss
  });
});
