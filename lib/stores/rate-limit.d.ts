// fast-sharedmemory-mmap/rate-limit: an express-rate-limit Store on the shared cache.
import type { Store, Options, ClientRateLimitInfo } from 'express-rate-limit';
import createCache = require('../..');
import { StoreCacheOptions } from './common';

declare namespace FastShmRateLimitStore {
  type StoreOptions = StoreCacheOptions & {
    /** Key prefix for counters in the cache. Default "rl:". */
    prefix?: string;
  };
}

/** Fixed-window counters on atomic incr: exact across every process on the machine. */
declare class FastShmRateLimitStore implements Store {
  constructor(options: FastShmRateLimitStore.StoreOptions);
  readonly cache: createCache.Cache;
  readonly windowMs: number;
  prefix: string;
  localKeys: boolean;
  init(options: Options): void;
  get(key: string): ClientRateLimitInfo | undefined;
  increment(key: string): ClientRateLimitInfo;
  decrement(key: string): void;
  resetKey(key: string): void;
  resetAll(): void;
  /** Closes the cache if this store opened it. */
  shutdown(): void;
}

declare const _default: typeof FastShmRateLimitStore & {
  FastShmRateLimitStore: typeof FastShmRateLimitStore;
  default: typeof FastShmRateLimitStore;
};
export = _default;
