// fast-sharedmemory-mmap/express-session: an express-session Store on the shared cache.
/// <reference types="node" />
import { EventEmitter } from 'node:events';
import createCache = require('../..');
import { StoreCacheOptions } from './common';

declare namespace FastShmSessionStore {
  type Options = StoreCacheOptions & {
    /** Key prefix for sessions in the cache. Default "sess:". */
    prefix?: string;
    /** TTL in ms for sessions whose cookie has no maxAge/expires. Default 86400000 (one day). */
    ttl?: number;
  };
  /** The session object express-session hands to the store (serialised as JSON). */
  interface SessionData {
    cookie?: { maxAge?: number | null; expires?: Date | string | null | boolean; [k: string]: unknown };
    [key: string]: any;
  }
  type Callback = (err?: any) => void;
}

/**
 * express-session Store. A session that does not fit the cache's valueSize fails set()
 * with a RangeError, code ERR_SHM_VALUE_TOO_LARGE (err.bytes, err.limit); a full cache with
 * evict "none" fails it with code ERR_SHM_FULL.
 */
declare class FastShmSessionStore extends EventEmitter {
  constructor(options: FastShmSessionStore.Options);
  /** The cache the sessions live in. */
  readonly cache: createCache.Cache;
  get(sid: string, callback: (err: any, session?: FastShmSessionStore.SessionData | null) => void): void;
  set(sid: string, session: FastShmSessionStore.SessionData, callback?: FastShmSessionStore.Callback): void;
  destroy(sid: string, callback?: FastShmSessionStore.Callback): void;
  touch(sid: string, session: FastShmSessionStore.SessionData, callback?: FastShmSessionStore.Callback): void;
  length(callback: (err: any, length?: number) => void): void;
  clear(callback?: FastShmSessionStore.Callback): void;
  all(callback: (err: any, sessions?: { [sid: string]: FastShmSessionStore.SessionData } | null) => void): void;
  /** Inherited from express-session's Store. */
  regenerate(req: any, callback: (err?: any) => any): void;
  load(sid: string, callback: (err: any, session?: any) => any): void;
  createSession(req: any, session: any): any;
  /** Closes the cache if this store opened it. */
  close(): void;
}

declare const _default: typeof FastShmSessionStore & {
  FastShmSessionStore: typeof FastShmSessionStore;
  default: typeof FastShmSessionStore;
};
export = _default;
