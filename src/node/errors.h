// The binding's throw-sites: one function per JS error family. Every error the
// addon raises is built here, so messages and codes stay uniform (README,
// "Errors"). Each returns nothing; callers `return nullptr;` after calling.
#ifndef FSMM_NODE_ERRORS_H_
#define FSMM_NODE_ERRORS_H_

#include <node_api.h>

#include <cstddef>

#include "../core/segment.h"
#include "../core/status.h"

namespace fsmm {

// TypeError ERR_INVALID_ARG_TYPE: `The "key" argument must be a string, Buffer or Uint8Array (received number)`.
void ThrowArgType(napi_env env, const char* arg, const char* expected, napi_value received);
// RangeError ERR_SHM_KEY_TOO_LONG / ERR_SHM_VALUE_TOO_LARGE, naming both byte counts.
void ThrowTooLarge(napi_env env, const char* arg, size_t bytes, size_t limit, const char* option);
// Error ERR_SHM_CLOSED.
void ThrowClosed(napi_env env, const char* method);
// Open/unlink failures: Error with code (errno name or ERR_SHM_LAYOUT_MISMATCH), errno, syscall, field...
void ThrowOpenError(napi_env env, const OpenError& e);
// incr()'s failures: TypeError ERR_SHM_NOT_INTEGER, RangeError ERR_SHM_OUT_OF_RANGE.
// RangeError ERR_SHM_VALUE_TOO_LARGE when the result (`result`) needs more than valueSize bytes.
void ThrowIncrError(napi_env env, Status s, const char* key_bytes, size_t key_len, double delta, int64_t result,
                    size_t value_size);
// Anything else the JS layer should have prevented: RangeError ERR_INVALID_ARG_VALUE.
void ThrowInvalid(napi_env env, const char* message);

}  // namespace fsmm

#endif  // FSMM_NODE_ERRORS_H_
