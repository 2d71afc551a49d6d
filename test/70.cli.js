'use strict';
// bin/fast-shm against real segments held by real processes: output, --json,
// exit codes, and the read-only contract (no segment or lock file created, no
// counters touched, a stale segment left in place).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { nextName, shmEntries } = require('./helpers/names');
const child = require('./helpers/child');

const CLI = path.join(__dirname, '..', 'bin', 'fast-shm.js');

// Runs the CLI; resolves { code, stdout, stderr }. Bounded: killed after 30 s.
function cli(...args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

async function hold(name, options, entries) {
  const h = child.start('eco-holder', [name, JSON.stringify(options), JSON.stringify(entries)]);
  await h.next('ready');
  return h;
}

async function release(h) {
  h.send({ type: 'close' });
  await h.next('closed');
  await h.exited();
}

describe('cli: fast-shm', function () {
  it('--help prints the commands and exits 0; usage errors exit 1 with a hint', async function () {
    const help = await cli('--help');
    assert.equal(help.code, 0);
    for (const cmd of ['list', 'stats <name>', 'keys <name>', 'get <name> <key>', 'dump <name>', 'unlink <name>', '--json']) {
      assert.ok(help.stdout.includes(cmd), `help lacks ${cmd}`);
    }
    for (const args of [[], ['frobnicate'], ['keys'], ['get', 'x'], ['keys', 'x', '--limit', 'ten'], ['list', '--bogus'], ['stats', 'bad/name']]) {
      const r = await cli(...args);
      assert.equal(r.code, 1, `${args.join(' ')} -> ${r.code} ${r.stderr}`);
      assert.match(r.stderr, /^fast-shm: .*\n(.|\n)*--help/);
    }
  });

  it('list, stats, keys, get and dump show a segment held by another process', async function () {
    const name = nextName('cli');
    const h = await hold(name, { maxKeys: 100, keySize: 32, valueSize: 48, mode: 0o640 }, [
      ['user:1', 'alice'], ['user:2', 'bob', 60000], ['blob', { hex: '00ff10' }], ['n', '42'],
    ]);
    try {
      const list = await cli('list', '--json');
      assert.equal(list.code, 0, list.stderr);
      const row = JSON.parse(list.stdout).find((r) => r.name === name);
      assert.ok(row, `list lacks ${name}`);
      assert.equal(row.capacity, 100);
      assert.equal(row.size, 4);
      assert.equal(row.keySize, 32);
      assert.equal(row.valueSize, 48);
      assert.equal(row.mode, '0640');
      assert.equal(row.uid, process.getuid());
      assert.equal(row.persist, false);
      assert.deepEqual(row.attached, [h.pid]);
      assert.equal(row.stale, false);
      const text = await cli('list');
      assert.match(text.stdout, new RegExp(`^${name}\\s+4\\s+100\\s+32\\s+48\\s+none\\s+no\\s+0640\\s+\\d+\\s+${h.pid}`, 'm'));

      const stats = JSON.parse((await cli('stats', name, '--json')).stdout);
      assert.equal(stats.size, 4);
      assert.equal(stats.capacity, 100);
      assert.deepEqual(stats.attached, [h.pid]);

      assert.deepEqual(JSON.parse((await cli('keys', name, '--prefix', 'user:', '--json')).stdout).sort(), ['user:1', 'user:2']);
      assert.equal(JSON.parse((await cli('keys', name, '--limit', '2', '--json')).stdout).length, 2);
      assert.deepEqual((await cli('keys', name)).stdout.trim().split('\n').sort(), ['blob', 'n', 'user:1', 'user:2']);

      const get = await cli('get', name, 'user:1');
      assert.deepEqual([get.code, get.stdout], [0, 'alice\n']);
      const bin = JSON.parse((await cli('get', name, 'blob', '--json')).stdout);
      assert.deepEqual([bin.type, Buffer.from(bin.base64, 'base64').toString('hex')], ['binary', '00ff10']);
      const withTtl = JSON.parse((await cli('get', name, 'user:2', '--json')).stdout);
      assert.ok(withTtl.ttl > 0 && withTtl.ttl <= 60000, `ttl ${withTtl.ttl}`);
      const missing = await cli('get', name, 'user:3');
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /"user:3" not found/);

      const dump = JSON.parse((await cli('dump', name, '--prefix', 'user:', '--json')).stdout);
      assert.deepEqual(dump.map((e) => [e.key, e.value]).sort(), [['user:1', 'alice'], ['user:2', 'bob']]);
      assert.equal(JSON.parse((await cli('dump', name, '--limit', '1', '--json')).stdout).length, 1);
      const dumpText = (await cli('dump', name)).stdout;
      assert.match(dumpText, /^"user:1"\t-\t"alice"$/m);

      // The CLI's reads were not counted in the segment's statistics.
      h.send({ type: 'stats' });
      const after = (await h.next('stats')).stats;
      assert.deepEqual([after.hits, after.misses], [0, 0]);
    } finally {
      await release(h);
    }
    assert.deepEqual(shmEntries(name), [], 'the holder was the last user: its close removes the segment');
  });

  it('never creates a segment: a missing name exits 2 and leaves nothing in /dev/shm', async function () {
    const name = nextName('cli');
    for (const args of [['stats', name], ['keys', name], ['get', name, 'k'], ['dump', name], ['unlink', name]]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')} -> ${r.code} ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`no segment named "${name}"`));
      assert.deepEqual(shmEntries(name), []);
    }
    const j = await cli('get', name, 'k', '--json');
    assert.deepEqual([j.code, j.stdout, JSON.parse(j.stderr)], [2, '', { error: `no segment named "${name}" (/dev/shm/fsmm.${name})`, exitCode: 2 }]);
  });

  it('leaves a stale segment (its last user died) in place, reports it, and unlinks it on request', async function () {
    const name = nextName('cli');
    const h = await hold(name, { maxKeys: 8 }, [['k', 'v']]);
    h.kill('SIGKILL');
    await h.exited();
    assert.equal(shmEntries(name).length, 2, 'a killed last user leaves the segment behind');
    const row = JSON.parse((await cli('list', '--json')).stdout).find((r) => r.name === name);
    assert.deepEqual([row.attached, row.stale, row.size], [[], true, 1]);
    assert.match((await cli('list')).stdout, new RegExp(`^${name}\\s.*none \\(stale\\)`, 'm'));
    assert.equal((await cli('get', name, 'k')).stdout, 'v\n');
    assert.equal((await cli('dump', name)).code, 0);
    assert.equal(shmEntries(name).length, 2, 'reading a stale segment must not remove it');
    const un = await cli('unlink', name, '--json');
    assert.deepEqual([un.code, JSON.parse(un.stdout)], [0, { name, unlinked: true }]);
    assert.deepEqual(shmEntries(name), []);
    assert.equal((await cli('unlink', name)).code, 2);
  });

  it('keeps a persistent segment with no user and reports it as not stale', async function () {
    const name = nextName('cli');
    const h = await hold(name, { maxKeys: 8, persist: true }, [['k', 'v']]);
    await release(h);
    const row = JSON.parse((await cli('list', '--json')).stdout).find((r) => r.name === name);
    assert.deepEqual([row.persist, row.stale, row.attached], [true, false, []]);
    assert.equal((await cli('get', name, 'k')).stdout, 'v\n');
    assert.equal(shmEntries(name).length, 2);
  });

  it('refuses a file under the prefix that is not a segment, with exit 3', async function () {
    const name = nextName('cli');
    fs.writeFileSync(`/dev/shm/fsmm.${name}`, Buffer.alloc(4096, 7));
    try {
      const r = await cli('stats', name);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /cannot open/);
      const row = JSON.parse((await cli('list', '--json')).stdout).find((x) => x.name === name);
      assert.match(row.error, /not an initialised/);
      assert.ok(fs.existsSync(`/dev/shm/fsmm.${name}`), 'a foreign file is never removed');
    } finally {
      fs.rmSync(`/dev/shm/fsmm.${name}`, { force: true });
      fs.rmSync(`/dev/shm/fsmm.${name}.lock`, { force: true });
    }
  });
});

describe('observe option (what the CLI opens with)', function () {
  const createCache = require('..');

  it('an observer that outlives the last user removes the segment as that user would have', async function () {
    const name = nextName('obs');
    const h = await hold(name, { maxKeys: 8 }, [['k', 'v']]);
    const o = createCache({ name, observe: true });
    assert.equal(o.get('k'), 'v');
    await release(h);
    assert.equal(shmEntries(name).length, 2, 'the observer is still a user');
    o.close();
    assert.deepEqual(shmEntries(name), []);
  });

  it('observing a stale segment does not stop the next opener from reinitialising it', async function () {
    const name = nextName('obs');
    const h = await hold(name, { maxKeys: 8 }, [['k', 'v']]);
    h.kill('SIGKILL');
    await h.exited();
    const o = createCache({ name, observe: true });
    try {
      assert.equal(o.get('k'), 'v', 'the observer sees what the dead user left');
      const fresh = createCache({ name, maxKeys: 8 });
      try {
        assert.equal(fresh.stats().size, 0, 'a stale segment is reinitialised by its next opener, observer or not');
        fresh.set('new', '1');
        assert.equal(o.get('new'), undefined, 'the observer keeps its snapshot');
        assert.equal(o.get('k'), 'v');
      } finally {
        fresh.close();
      }
    } finally {
      o.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('adopts the stored geometry, refuses a missing segment, counts nothing', async function () {
    const name = nextName('obs');
    assert.throws(() => createCache({ name, observe: true }), { code: 'ENOENT' });
    assert.deepEqual(shmEntries(name), []);
    const owner = createCache({ name, maxKeys: 20, keySize: 10, valueSize: 30, evict: 'lru' });
    try {
      owner.set('a', '1');
      const o = createCache({ name, observe: true, maxKeys: 999 });
      const s = o.stats();
      assert.deepEqual([s.capacity, s.keySize, s.valueSize], [20, 10, 30]);
      o.get('a');
      o.get('missing');
      o.close();
      assert.deepEqual([owner.stats().hits, owner.stats().misses], [0, 0]);
    } finally {
      owner.close();
    }
    assert.deepEqual(shmEntries(name), []);
  });
});
