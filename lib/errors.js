'use strict';
// Error codes raised by the package (README, "Errors"). The native binding
// throws most of them (src/node/errors.cc, one throw-site per family); the JS
// layer throws the option and argument errors through the helpers below.
//
//   TypeError  ERR_INVALID_ARG_TYPE      an argument or option has the wrong type
//   RangeError ERR_INVALID_ARG_VALUE     right type, value out of range (message names the limit)
//   RangeError ERR_SHM_KEY_TOO_LONG      key longer than keySize bytes (err.bytes, err.limit)
//   RangeError ERR_SHM_VALUE_TOO_LARGE   value longer than valueSize bytes (err.bytes, err.limit)
//   TypeError  ERR_SHM_NOT_INTEGER       incr()/decr() on a value that is not a decimal integer
//   RangeError ERR_SHM_OUT_OF_RANGE      incr()/decr() result outside +-(2^53-1); nothing stored
//   Error      ERR_SHM_FULL              incr()/decr() on a new key while the cache is full
//   Error      ERR_SHM_CLOSED            any method after close()
//   Error      ERR_SHM_LAYOUT_MISMATCH   segment exists with other sizes (err.field, err.expected, err.actual)
//   Error      E* (EACCES, ENOSPC, ...)  a system call failed (err.errno, err.syscall)

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' || typeof value === 'boolean' ? `${typeof value} ${value}` : `type ${typeof value}`;
}

function argTypeError(name, expected, value) {
  const err = new TypeError(`The "${name}" ${name.includes('.') ? 'option' : 'argument'} must be ${expected} (received ${describe(value)})`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function argRangeError(name, requirement, value) {
  const err = new RangeError(`The "${name}" ${name.includes('.') ? 'option' : 'argument'} ${requirement} (received ${typeof value === 'string' ? JSON.stringify(value) : String(value)})`);
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

function fullError(name, capacity) {
  const err = new Error(`Cache "${name}" is full (maxKeys ${capacity}) and evict is "none"`);
  err.code = 'ERR_SHM_FULL';
  return err;
}

module.exports = { argTypeError, argRangeError, fullError };
