// fast-sharedmemory-mmap/near: the host's shared segment as an L1 in front of Redis.
/// <reference types="node" />
import { EventEmitter } from 'node:events';

declare namespace near {
  /** The data path, if the client is neither ioredis nor node-redis. Values are strings. */
  interface RedisAdapter {
    /** [value or null, PTTL in ms (-1 no expiry, -2 missing)] read in one round trip. */
    read(key: string): Promise<[string | null, number]>;
    write(key: string, value: string, ttlMs?: number): Promise<unknown>;
    writeIfAbsent(key: string, value: string, ttlMs?: number): Promise<unknown>;
    del(key: string): Promise<number>;
  }
  interface ListenOptions {
    host?: string;
    port?: number;
    username?: string;
    password?: string;
  }
  interface NearCacheOptions {
    /** Segments "<name>.near" and "<name>.near.ctl"; every process of the host uses the same name. */
    name: string;
    /** An ioredis or node-redis (v4/v5) client, or a RedisAdapter, for reads and writes; it must talk to the server `listen` watches. */
    client: unknown;
    /** Only keys under these prefixes are near-cached (BCAST tracking prefixes). */
    prefixes: string[];
    /** The invalidation listener's own RESP2 connection (default 127.0.0.1:6379). */
    listen?: ListenOptions;
    maxKeys?: number;
    keySize?: number;
    valueSize?: number;
    evict?: 'none' | 'lru';
    mode?: number;
    /** Cap on an L1 entry's lifetime (default 60000). */
    maxTtlMs?: number;
    /** A local hit is never older than this relative to Redis (default 1000). */
    maxStalenessMs?: number;
    pingIntervalMs?: number;
    pingTimeoutMs?: number;
    /** Host-wide single-flight lock lifetime (default 2000). */
    loadTimeoutMs?: number;
    /** > 0: cache "absent in Redis" for this long; get() then returns null for such keys (default 0: off). */
    negativeTtlMs?: number;
    /** End-to-end self-test period (default 30000; 0 = only when a connection is set up). */
    canaryIntervalMs?: number;
    /** Where the elected process runs the listener: 'worker' (default; a busy main thread does not delay it) or 'main'. */
    listenerThread?: 'worker' | 'main';
    /** false: this process never runs the host's listener (it only reads and fills). Default true. */
    lead?: boolean;
    /** How long a canary write may take to come back as an invalidation (default 2000; 0 disables the canary). */
    canaryTimeoutMs?: number;
  }
  interface NearStats {
    hits: number;
    misses: number;
    negativeHits: number;
    bypass: { notLive: number; notCovered: number; tooBig: number; full: number };
    fills: number;
    negativeFills: number;
    fillsRejected: number;
    loads: number;
    lockWaits: number;
    state: 'live' | 'down' | 'closed';
    isLeader: boolean;
    leaderPid: number | null;
    invalidations: number;
    /** Entries of old generations reclaimed by the leaders' sweeps (host-wide). */
    swept: number;
    /** proofAgeMs: age of the PONG-confirmed point the trust window rests on (null when DOWN); pingRttMs: the listener's last PING round trip. */
    lag: { proofAgeMs: number | null; pingRttMs: number | null };
    flushes: { disconnect: number; pingTimeout: number; flushall: number; stale: number; leader: number; canary: number };
  }
  interface NearCache extends EventEmitter {
    readonly state: 'live' | 'down' | 'closed';
    readonly isLeader: boolean;
    /** Sync: the value on a trusted L1 hit, null on a trusted negative entry (negativeTtlMs > 0), else undefined. Never touches Redis. */
    get(key: string): string | null | undefined;
    getOrLoad(key: string, options?: { loader?: (key: string) => unknown; ttlMs?: number }): Promise<string | undefined>;
    set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
    delete(key: string): Promise<boolean>;
    stats(): NearStats;
    close(): Promise<void>;
  }
}

declare const near: {
  createNearCache(options: near.NearCacheOptions): near.NearCache;
  /** Removes a near cache's two segments; true if any existed. */
  unlinkNear(name: string): boolean;
};

export = near;
