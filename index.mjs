// ESM entry: the CommonJS module's exports, as default and named exports.
//   import createCache, { unlink } from 'fast-sharedmemory-mmap';
// It loads index.js, so CommonJS and ESM users in one process share one module.
import cjs from './index.js';

export default cjs;
export const { createCache, unlink, Cache } = cjs;
