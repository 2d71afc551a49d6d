// fast-sharedmemory-mmap/keyv: a Keyv storage adapter on the shared cache.
/// <reference types="node" />
import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import createCache = require('../..');
import { StoreCacheOptions } from './common';

declare namespace KeyvFastShm {
  type Options = StoreCacheOptions;
}

/** Keyv v5 storage adapter: keys "namespace:key", values as Keyv serialised them, Keyv's ttl as the entry TTL. */
declare class KeyvFastShm extends EventEmitter implements KeyvStoreAdapter {
  constructor(options: KeyvFastShm.Options);
  readonly cache: createCache.Cache;
  opts: { name: string; dialect: string; url: string };
  namespace?: string | undefined;
  get<Value>(key: string): Promise<StoredData<Value> | undefined>;
  getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>>;
  set(key: string, value: any, ttl?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  deleteMany(keys: string[]): Promise<boolean>;
  has(key: string): Promise<boolean>;
  clear(): Promise<void>;
  iterator<Value>(namespace?: string): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void>;
  /** Closes the cache if this adapter opened it. */
  disconnect(): Promise<void>;
}

declare const _default: typeof KeyvFastShm & {
  KeyvFastShm: typeof KeyvFastShm;
  default: typeof KeyvFastShm;
};
export = _default;
