// Type declarations for fast-sharedmemory-mmap. README.md is the reference
// for behaviour; the comments here are the short form.
//
// Usable as
//   const createCache = require('fast-sharedmemory-mmap');          // CommonJS
//   import createCache = require('fast-sharedmemory-mmap');         // TypeScript, any settings
//   import createCache, { unlink } from 'fast-sharedmemory-mmap';   // esModuleInterop (or without: `default` exists)
/// <reference types="node" />

/**
 * Opens the shared cache called `options.name`, creating it on first use.
 * Every process and thread on the machine that opens the same name shares one table.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_INVALID_ARG_VALUE` (options),
 *   Error `ERR_SHM_LAYOUT_MISMATCH` (the segment exists with other sizes),
 *   Error with an errno code such as `EACCES`, `ENOSPC`, `ENOENT` (`create: false`).
 */
declare function createCache(options: createCache.CacheOptions): createCache.Cache;

declare namespace createCache {
  /** A key: a string (its UTF-8 bytes count) or bytes. At most `keySize` bytes. */
  export type Key = string | Uint8Array;
  /** A value: a string (its UTF-8 bytes count) or bytes. At most `valueSize` bytes. Bytes come back as a Buffer. */
  export type Value = string | Uint8Array;
  export type EvictMode = 'none' | 'lru';

  export interface CacheOptions {
    /** Segment name: letters, digits, `_`, `-`, `.`; 1-200 characters; no leading `.`, no `..`. */
    name: string;
    /** Entries the cache can hold (1 to 2^31). Part of the layout. Default 1024. */
    maxKeys?: number;
    /** Largest key in bytes (1-255). Part of the layout. Default 64. */
    keySize?: number;
    /** Largest value in bytes (1-1048575). Part of the layout. Default 256. */
    valueSize?: number;
    /** Keep the data after the last user closes, until `unlink(name)`. Sticky once set. Default false. */
    persist?: boolean;
    /** Default ttl in ms for writes that pass no `{ ttl }` (0 = never expire). Per handle. Default 0. */
    ttl?: number;
    /** What a write of a new key does when the cache is full: 'none' fails, 'lru' evicts (CLOCK). Part of the layout. Default 'none'. */
    evict?: EvictMode;
    /** Permission bits of a newly created segment (0 to 0o777). Default 0o600. */
    mode?: number;
    /** Count hits, misses, sets and deletes for this handle. Default true. */
    stats?: boolean;
    /** false: only attach to an existing segment, adopting its sizes; throw `ENOENT` otherwise. Default true. */
    create?: boolean;
    /** Inspection tools: attach like `create: false`, count nothing, set no LRU bits, and leave a segment that had no live user at open in place on close. Default false. */
    observe?: boolean;
  }

  export interface WriteOptions {
    /** Time to live in ms (0 = never expire). Default: the cache's `ttl` option. */
    ttl?: number;
  }

  export interface IncrOptions {
    /** Starting value when the key is missing or expired. Default 0. */
    initial?: number;
    /** Time to live in ms, applied only when the key is created. Default: the cache's `ttl` option. */
    ttl?: number;
  }

  export interface ListOptions {
    /** Only keys that start with these bytes. */
    prefix?: Key;
    /** At most this many results. Default: all. */
    limit?: number;
  }

  export interface CacheStats {
    /** maxKeys. */
    capacity: number;
    /** Live (unexpired) entries now. */
    size: number;
    keySize: number;
    valueSize: number;
    /** get() calls that found a value (all processes, since the segment was created). */
    hits: number;
    /** get() calls that found nothing. */
    misses: number;
    /** Successful set/add/replace/cas/incr/decr calls. */
    sets: number;
    /** delete() calls that removed an entry. */
    deletes: number;
    /** Entries removed by 'lru' eviction. */
    evictions: number;
    /** Expired entries reclaimed or overwritten. */
    expired: number;
    /** Repairs after a process died holding a lock. */
    recoveries: number;
    /** Longest probe sequence among live entries (1 = every key in its home slot). */
    maxProbe: number;
    /** Hash table slots: ceil(4 * maxKeys / 3). */
    slotCount: number;
    /** Size of the shared memory segment in bytes. */
    regionBytes: number;
  }

  /** Every `err.code` the package sets (plus any errno name, e.g. 'EACCES', for a failed system call). */
  export type ErrorCode =
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_SHM_KEY_TOO_LONG'
    | 'ERR_SHM_VALUE_TOO_LARGE'
    | 'ERR_SHM_NOT_INTEGER'
    | 'ERR_SHM_OUT_OF_RANGE'
    | 'ERR_SHM_FULL'
    | 'ERR_SHM_CLOSED'
    | 'ERR_SHM_LAYOUT_MISMATCH'
    | 'ERR_SHM_NOT_BUILT'
    | 'EACCES'
    | 'ENOENT'
    | 'ENOSPC'
    | 'ENOMEM'
    | 'EMFILE';

  /** The shape of errors thrown by the package (they are plain Error/TypeError/RangeError instances). */
  export interface CacheError extends Error {
    code: ErrorCode | (string & {});
    /** ERR_SHM_KEY_TOO_LONG / ERR_SHM_VALUE_TOO_LARGE: the argument's size in bytes. */
    bytes?: number;
    /** ERR_SHM_KEY_TOO_LONG / ERR_SHM_VALUE_TOO_LARGE: keySize or valueSize. */
    limit?: number;
    /** ERR_SHM_LAYOUT_MISMATCH: the header field that differs, e.g. 'maxKeys'. */
    field?: string;
    /** ERR_SHM_LAYOUT_MISMATCH: the value this open asked for. */
    expected?: number;
    /** ERR_SHM_LAYOUT_MISMATCH: the value stored in the segment. */
    actual?: number;
    /** System call failures: negative errno, as in Node's fs errors. */
    errno?: number;
    /** System call failures: e.g. 'shm_open', 'posix_fallocate', 'flock'. */
    syscall?: string;
  }

  /** A handle on a shared cache. Create it with the factory, not `new`. */
  export class Cache {
    private constructor();
    /** The segment name this handle opened. */
    readonly name: string;
    /** The segment's capacity (adopted from the segment with `create: false`). */
    readonly maxKeys: number;

    /** The value, or undefined if the key is missing or expired. Lock-free. */
    get(key: Key): string | Buffer | undefined;
    /** Whether the key is present and unexpired. Lock-free; not counted in stats. */
    has(key: Key): boolean;
    /** Milliseconds until the key expires, -1 if it never expires, undefined if missing. */
    ttl(key: Key): number | undefined;

    /** Inserts or overwrites. false only when the key is new and the cache is full (evict 'none'). */
    set(key: Key, value: Value, options?: WriteOptions): boolean;
    /** Inserts only if the key is missing (or expired). false if present or the cache is full. */
    add(key: Key, value: Value, options?: WriteOptions): boolean;
    /** Overwrites only if the key is present. false if missing. */
    replace(key: Key, value: Value, options?: WriteOptions): boolean;
    /** Writes `value` only if the current value's bytes equal `expected`'s. false if missing or different. */
    cas(key: Key, expected: Value, value: Value, options?: WriteOptions): boolean;

    /**
     * Atomically adds `delta` (default 1) to a decimal integer value and returns the result.
     * A missing key starts at `initial` and gets `ttl`; a live key keeps its expiry.
     * @throws TypeError `ERR_SHM_NOT_INTEGER`, RangeError `ERR_SHM_OUT_OF_RANGE`, Error `ERR_SHM_FULL`.
     */
    incr(key: Key, delta?: number, options?: IncrOptions): number;
    /** incr(key, -delta, options). */
    decr(key: Key, delta?: number, options?: IncrOptions): number;

    /** Sets a present key's ttl in ms (0 removes its expiry). false if missing. */
    expire(key: Key, ttl: number): boolean;
    /** Removes the key. false if it was missing or expired. */
    delete(key: Key): boolean;
    /** Removes every entry. */
    clear(): void;
    /** Removes every expired entry now; returns how many. */
    purgeExpired(): number;

    /** Live keys (decoded as UTF-8), a snapshot taken under the structure lock, in slot order. */
    keys(options?: ListOptions): string[];
    /** Live [key, value] pairs, like keys(). */
    entries(options?: ListOptions): Array<[string, string | Buffer]>;
    /** Counters and geometry of the whole segment (all processes). */
    stats(): CacheStats;

    /** Unmaps this handle. Idempotent; other methods then throw `ERR_SHM_CLOSED`. */
    close(): void;
    /** Test support: '' if the table's invariants hold, else a description of the first violation. */
    checkInvariants(): string;
  }

  /** The factory, also available by name. */
  export function createCache(options: CacheOptions): Cache;

  /**
   * Removes the named segment and its lock file. Processes still attached keep
   * their (now private) mapping; the next open creates a new segment.
   * Returns whether the segment existed.
   */
  export function unlink(name: string): boolean;

  const _default: typeof createCache;
  export { _default as default };
}

export = createCache;
