// Resolution by package name through package.json "exports" (types condition).
import createCache = require('fast-sharedmemory-mmap');

const cache: createCache.Cache = createCache({ name: 'typed-nodenext', maxKeys: 16 });
const v: string | Buffer | undefined = cache.get('k');
cache.close();

export = v;
