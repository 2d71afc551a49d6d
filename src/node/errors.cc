#include "errors.h"

#include <errno.h>
#include <string.h>

#include <cstdio>
#include <string>

namespace fsmm {

namespace {

napi_value Str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

void SetProp(napi_env env, napi_value obj, const char* name, napi_value v) { napi_set_named_property(env, obj, name, v); }

void SetNumber(napi_env env, napi_value obj, const char* name, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  SetProp(env, obj, name, v);
}

enum class Kind { kError, kTypeError, kRangeError };

// The single place that creates an error object. Properties must be attached
// before napi_throw: once an exception is pending, napi_set_named_property
// fails with napi_pending_exception and the property is silently lost.
napi_value Make(napi_env env, Kind kind, const char* code, const std::string& message) {
  napi_value msg = Str(env, message.c_str());
  napi_value err;
  napi_value code_v = Str(env, code);
  switch (kind) {
    case Kind::kTypeError: napi_create_type_error(env, nullptr, msg, &err); break;
    case Kind::kRangeError: napi_create_range_error(env, nullptr, msg, &err); break;
    case Kind::kError: napi_create_error(env, nullptr, msg, &err); break;
  }
  SetProp(env, err, "code", code_v);
  return err;
}

void Throw(napi_env env, Kind kind, const char* code, const std::string& message) {
  napi_throw(env, Make(env, kind, code, message));
}

const char* TypeName(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return "unknown";
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "unknown";
}

const char* ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* n = strerrorname_np(err);
  if (n) return n;
#endif
  switch (err) {
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EFBIG: return "EFBIG";
    case EMFILE: return "EMFILE";
    default: return "ERR_SHM_SYSTEM";
  }
}

}  // namespace

void ThrowArgType(napi_env env, const char* arg, const char* expected, napi_value received) {
  std::string m = std::string("The \"") + arg + "\" argument must be " + expected + " (received " +
                  TypeName(env, received) + ")";
  Throw(env, Kind::kTypeError, "ERR_INVALID_ARG_TYPE", m);
}

void ThrowTooLarge(napi_env env, const char* arg, size_t bytes, size_t limit, const char* option) {
  char m[256];
  snprintf(m, sizeof m, "The \"%s\" argument is %zu bytes; the limit is %zu bytes (%s)", arg, bytes, limit, option);
  napi_value err = Make(env, Kind::kRangeError,
                        strcmp(arg, "key") == 0 ? "ERR_SHM_KEY_TOO_LONG" : "ERR_SHM_VALUE_TOO_LARGE", m);
  SetNumber(env, err, "bytes", static_cast<double>(bytes));
  SetNumber(env, err, "limit", static_cast<double>(limit));
  napi_throw(env, err);
}

void ThrowClosed(napi_env env, const char* method) {
  Throw(env, Kind::kError, "ERR_SHM_CLOSED", std::string("Cannot call ") + method + "(): the cache is closed");
}

void ThrowOpenError(napi_env env, const OpenError& e) {
  switch (e.status) {
    case Status::kLayoutMismatch: {
      napi_value err = Make(env, Kind::kError, "ERR_SHM_LAYOUT_MISMATCH", e.message);
      SetProp(env, err, "field", Str(env, e.field.c_str()));
      SetNumber(env, err, "expected", static_cast<double>(e.expected));
      SetNumber(env, err, "actual", static_cast<double>(e.actual));
      napi_throw(env, err);
      return;
    }
    case Status::kSysError: {
      napi_value err = Make(env, Kind::kError, ErrnoName(e.err), e.message);
      SetNumber(env, err, "errno", -static_cast<double>(e.err));
      SetProp(env, err, "syscall", Str(env, e.syscall));
      napi_throw(env, err);
      return;
    }
    default:
      Throw(env, Kind::kRangeError, "ERR_INVALID_ARG_VALUE", e.message);
      return;
  }
}

void ThrowIncrError(napi_env env, Status s, const char* key_bytes, size_t key_len, double delta, int64_t result,
                    size_t value_size) {
  std::string key(key_bytes, key_len);
  if (s == Status::kNotInteger) {
    napi_throw(env, Make(env, Kind::kTypeError, "ERR_SHM_NOT_INTEGER",
                         "Cannot increment \"" + key + "\": its value is not a decimal integer"));
    return;
  }
  char m[200];
  if (s == Status::kTooLarge) {
    int digits = snprintf(m, sizeof m, "%lld", static_cast<long long>(result));
    snprintf(m, sizeof m, "The result of incrementing \"%.64s\" (%lld) is %d bytes; the limit is %zu bytes (valueSize); nothing stored",
             key.c_str(), static_cast<long long>(result), digits, value_size);
    napi_value err = Make(env, Kind::kRangeError, "ERR_SHM_VALUE_TOO_LARGE", m);
    SetNumber(env, err, "bytes", digits);
    SetNumber(env, err, "limit", static_cast<double>(value_size));
    napi_throw(env, err);
    return;
  }
  snprintf(m, sizeof m, "Incrementing by %.17g would leave the safe integer range (+-9007199254740991); nothing stored",
           delta);
  napi_throw(env, Make(env, Kind::kRangeError, "ERR_SHM_OUT_OF_RANGE", "\"" + key + "\": " + m));
}

void ThrowInvalid(napi_env env, const char* message) { Throw(env, Kind::kRangeError, "ERR_INVALID_ARG_VALUE", message); }

}  // namespace fsmm
