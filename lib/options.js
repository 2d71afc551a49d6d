'use strict';
// Normalises and validates the factory options and per-call option objects.
// Every limit here is documented in the README ("Options" and "Limits").
const binding = require('./binding');
const { argTypeError, argRangeError } = require('./errors');

const MAX_KEY_SIZE = 255; // key_len is an 8-bit field (src/core/layout.h)
const MAX_VALUE_SIZE = 1048575; // value_len is a 20-bit field
const MAX_MAX_KEYS = 2 ** 31;
const MAX_TTL = Number.MAX_SAFE_INTEGER;
const EVICT = { none: 0, lru: 1 };

function integerIn(name, value, min, max) {
  if (typeof value !== 'number') throw argTypeError(name, 'a number', value);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw argRangeError(name, `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}

function boolean(name, value) {
  if (typeof value !== 'boolean') throw argTypeError(name, 'a boolean', value);
  return value;
}

function ttl(name, value) {
  return integerIn(name, value, 0, MAX_TTL);
}

function cacheOptions(options) {
  if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options);
  const { name } = options;
  if (typeof name !== 'string') throw argTypeError('options.name', 'a string', name);
  const why = binding.validateName(name);
  if (why) throw argRangeError('options.name', why, name);
  const o = {
    name,
    maxKeys: options.maxKeys === undefined ? 1024 : integerIn('options.maxKeys', options.maxKeys, 1, MAX_MAX_KEYS),
    keySize: options.keySize === undefined ? 64 : integerIn('options.keySize', options.keySize, 1, MAX_KEY_SIZE),
    valueSize:
      options.valueSize === undefined ? 256 : integerIn('options.valueSize', options.valueSize, 1, MAX_VALUE_SIZE),
    persist: options.persist === undefined ? false : boolean('options.persist', options.persist),
    ttl: options.ttl === undefined ? 0 : ttl('options.ttl', options.ttl),
    mode: options.mode === undefined ? 0o600 : integerIn('options.mode', options.mode, 0, 0o777),
    stats: options.stats === undefined ? true : boolean('options.stats', options.stats),
    create: options.create === undefined ? true : boolean('options.create', options.create),
    // observe: inspect an existing segment without changing it (bin/fast-shm):
    // implies create:false and stats:false; see OpenOptions::observe in src/core/segment.h.
    observe: options.observe === undefined ? false : boolean('options.observe', options.observe),
    evict: 0,
  };
  if (o.observe) {
    o.create = false;
    o.stats = false;
  }
  if (options.evict !== undefined) {
    if (typeof options.evict !== 'string') throw argTypeError('options.evict', '"none" or "lru"', options.evict);
    if (!(options.evict in EVICT)) throw argRangeError('options.evict', 'must be "none" or "lru"', options.evict);
    o.evict = EVICT[options.evict];
  }
  return o;
}

// Per-call { ttl } for set/add/replace/cas: absent -> the cache's default.
function writeTtl(opts, fallback) {
  if (opts === undefined) return fallback;
  if (opts === null || typeof opts !== 'object') throw argTypeError('options', 'an object', opts);
  return opts.ttl === undefined ? fallback : ttl('options.ttl', opts.ttl);
}

function listOptions(opts) {
  if (opts === undefined) return { prefix: undefined, limit: Number.MAX_SAFE_INTEGER };
  if (opts === null || typeof opts !== 'object') throw argTypeError('options', 'an object', opts);
  const prefix = opts.prefix;
  if (prefix !== undefined && typeof prefix !== 'string' && !(prefix instanceof Uint8Array)) {
    throw argTypeError('options.prefix', 'a string or Buffer', prefix);
  }
  const limit = opts.limit === undefined ? Number.MAX_SAFE_INTEGER : integerIn('options.limit', opts.limit, 0, Number.MAX_SAFE_INTEGER);
  return { prefix, limit };
}

function safeInteger(name, value) {
  if (typeof value !== 'number') throw argTypeError(name, 'a number', value);
  if (!Number.isSafeInteger(value)) throw argRangeError(name, 'must be a safe integer', value);
  return value;
}

module.exports = { cacheOptions, writeTtl, listOptions, safeInteger, ttl, MAX_KEY_SIZE, MAX_VALUE_SIZE, MAX_MAX_KEYS };
