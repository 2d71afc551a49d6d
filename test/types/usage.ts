// Typed usage of every factory option and every method (test/50.types.js
// compiles this with tsc --noEmit; nothing here runs). `// @ts-expect-error`
// lines must fail to compile: they prove the declarations are not `any`.
import createCache = require('../..');
import { Cache, CacheError, CacheOptions, CacheStats, ErrorCode, Key, Value } from '../..';

const options: CacheOptions = {
  name: 'typed',
  maxKeys: 10000,
  keySize: 64,
  valueSize: 256,
  persist: false,
  ttl: 0,
  evict: 'lru',
  mode: 0o600,
  stats: true,
  create: true,
  observe: false,
};
const cache: Cache = createCache(options);
const byName: Cache = createCache.createCache({ name: 'typed' });
const viaDefault: Cache = createCache.default({ name: 'typed', evict: 'none' });
const isCache: boolean = cache instanceof createCache.Cache;

const name: string = cache.name;
const maxKeys: number = cache.maxKeys;

const key: Key = Buffer.from('k');
const value: Value = new Uint8Array([1, 2]);

const got = cache.get('k');
if (typeof got === 'string') {
  const s: string = got;
} else if (got !== undefined) {
  const b: Buffer = got;
}
// @ts-expect-error get() may return a Buffer or undefined
const notJustString: string = cache.get('k');

const present: boolean = cache.has(key);
const left: number | undefined = cache.ttl('k');

const a: boolean = cache.set('k', 'v');
const b: boolean = cache.set(key, value, { ttl: 1000 });
const c: boolean = cache.add('k', 'v', { ttl: 5 });
const d: boolean = cache.replace('k', Buffer.from('v'));
const e: boolean = cache.cas('k', 'v', 'w', { ttl: 0 });

const n1: number = cache.incr('n');
const n2: number = cache.incr('n', 5);
const n3: number = cache.incr('n', 1, { initial: 10, ttl: 60000 });
const n4: number = cache.decr('n');
const n5: number = cache.decr('n', 2, { initial: 0 });

const ex: boolean = cache.expire('k', 0);
const del: boolean = cache.delete('k');
cache.clear();
const purged: number = cache.purgeExpired();

const keys: string[] = cache.keys();
const some: string[] = cache.keys({ prefix: 'user:', limit: 10 });
const pairs: Array<[string, string | Buffer]> = cache.entries({ prefix: Buffer.from('u') });

const st: CacheStats = cache.stats();
const total: number =
  st.capacity + st.size + st.keySize + st.valueSize + st.hits + st.misses + st.sets + st.deletes +
  st.evictions + st.expired + st.recoveries + st.maxProbe + st.slotCount + st.regionBytes;

const problem: string = cache.checkInvariants();
cache.close();

const existed: boolean = createCache.unlink('typed');

try {
  cache.get('k');
} catch (err) {
  const ce = err as CacheError;
  const code: ErrorCode | string = ce.code;
  if (ce.code === 'ERR_SHM_KEY_TOO_LONG') {
    const over: number | undefined = ce.bytes;
    const lim: number | undefined = ce.limit;
  }
  if (ce.code === 'ERR_SHM_LAYOUT_MISMATCH') {
    const f: string | undefined = ce.field;
    const wanted: number | undefined = ce.expected;
    const stored: number | undefined = ce.actual;
  }
  const sys: string | undefined = ce.syscall;
  const errno: number | undefined = ce.errno;
}

// @ts-expect-error evict is 'none' | 'lru'
createCache({ name: 'x', evict: 'fifo' });
// @ts-expect-error name is required
createCache({ maxKeys: 5 });
// @ts-expect-error keys are strings or bytes
cache.get(42);
// @ts-expect-error values are strings or bytes, not objects
cache.set('k', { a: 1 });
// @ts-expect-error the constructor is private: use the factory
new createCache.Cache();
// @ts-expect-error incr returns a number
const wrong: string = cache.incr('n');

export {
  byName, viaDefault, isCache, name, maxKeys, present, left, a, b, c, d, e, n1, n2, n3, n4, n5, ex, del, purged,
  keys, some, pairs, total, problem, existed, wrong, notJustString,
};
