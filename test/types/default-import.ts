// The ES-module forms: default import and named imports.
import createCache, { unlink, Cache, createCache as named } from '../..';

const cache: Cache = createCache({ name: 'typed-default' });
const again: Cache = named({ name: 'typed-default', create: false });
again.close();
cache.close();
const removed: boolean = unlink('typed-default');

export { removed };
