// Benchmark-only addon (target "fsmm_floor"): the cost of a native call that
// does everything src/node/cache_wrap.cc does around the table EXCEPT the
// table itself. examples/benchmark.js reports each cache operation as a ratio
// to this floor, so the difference is what the core + binding add on top of
// "a call that converts its arguments and hashes the key".
//
// Contract: each function converts its arguments exactly as CacheWrap does
// (napi_typeof, napi_get_value_string_utf8 into a scratch buffer of limit+5
// bytes, the "written > limit" check, TTL/mode as doubles for set), hashes
// the key with Fnv1a32 (src/core/hash.h) and returns a value of the same
// shape as the cache: get -> a JS string of configured length created from a
// static ASCII buffer with napi_create_string_latin1 (the honest lower bound
// of a hit), set/has/delete -> boolean.
// Buffers/Uint8Array arguments are not supported (the benchmark passes
// strings); anything else returns undefined.
//
// Two flavours of the same functions:
//   raw:  plain napi_create_function callbacks with the state as callback
//         data (the cheapest N-API dispatch; CacheWrap's fastMethods() too);
//   wrap: a Napi::ObjectWrap with InstanceMethod<> members, the dispatch
//         CacheWrap uses, so raw vs wrap shows what node-addon-api adds.
// Not shipped: package.json "files" lists src/, but nothing loads this target
// outside examples/.
#include <napi.h>

#include <cstring>
#include <vector>

#include "../core/hash.h"

namespace fsmm_bench {

struct Floor {
  uint32_t key_limit = 64;
  uint32_t value_limit = 256;
  uint32_t value_len = 66;
  std::vector<uint64_t> key_buf, value_buf, out_buf;
  uint32_t sink = 0;  // keeps the hash live

  void Configure(uint32_t k, uint32_t v, uint32_t len) {
    key_limit = k;
    value_limit = v;
    value_len = len > v ? v : len;
    key_buf.assign((k + 8 + 8) / 8, 0);
    value_buf.assign((v + 8 + 8) / 8, 0);
    out_buf.assign((v + 8) / 8, 0);
    char* out = reinterpret_cast<char*>(out_buf.data());
    for (uint32_t i = 0; i < v; i++) out[i] = static_cast<char>('a' + i % 26);
  }

  // The string path of CacheWrap::ReadBytes. False if not a string or too long.
  static bool ReadString(napi_env env, napi_value v, uint32_t limit, uint64_t* buf, uint32_t* len) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t != napi_string) return false;
    size_t written = 0;
    napi_get_value_string_utf8(env, v, reinterpret_cast<char*>(buf), limit + 5, &written);
    if (written > limit) return false;
    *len = static_cast<uint32_t>(written);
    return true;
  }

  bool Key(napi_env env, napi_value v) {
    uint32_t len;
    if (!ReadString(env, v, key_limit, key_buf.data(), &len)) return false;
    sink += fsmm::Fnv1a32(reinterpret_cast<const uint8_t*>(key_buf.data()), len);
    return true;
  }

  napi_value Get(napi_env env, napi_value key) {
    napi_value result;
    if (!Key(env, key)) {
      napi_get_undefined(env, &result);
      return result;
    }
    // The cheapest way to make a string of value_len bytes: the buffer is
    // ASCII by construction, so Latin-1 needs no decoding (CacheWrap::MakeValue
    // also scans for ASCII first; that scan is part of what it adds).
    napi_create_string_latin1(env, reinterpret_cast<const char*>(out_buf.data()), value_len, &result);
    return result;
  }

  // (key, value, ttl, mode) converted like CacheWrap::JS_set.
  napi_value Set(napi_env env, size_t argc, napi_value* argv) {
    napi_value result;
    uint32_t value_len = 0;
    bool ok = Key(env, argv[0]) && ReadString(env, argv[1], value_limit, value_buf.data(), &value_len);
    if (ok && argc > 2) {
      double ttl = 0;
      napi_get_value_double(env, argv[2], &ttl);
      sink += ttl > 0 ? 1 : 0;
    }
    if (ok && argc > 3) {
      double mode = 0;
      napi_get_value_double(env, argv[3], &mode);
      sink += mode == 1 ? 1 : 0;
    }
    napi_get_boolean(env, ok, &result);
    return result;
  }

  napi_value Has(napi_env env, napi_value key) {
    napi_value result;
    napi_get_boolean(env, Key(env, key), &result);
    return result;
  }
};

// ---- raw N-API flavour -------------------------------------------------------

Floor* RawData(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  void* data = nullptr;
  napi_get_cb_info(env, info, argc, argv, nullptr, &data);
  return static_cast<Floor*>(data);
}

napi_value RawGet(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Floor* f = RawData(env, info, &argc, argv);
  return f->Get(env, argv[0]);
}

napi_value RawSet(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Floor* f = RawData(env, info, &argc, argv);
  return f->Set(env, argc < 4 ? argc : 4, argv);
}

napi_value RawHas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Floor* f = RawData(env, info, &argc, argv);
  return f->Has(env, argv[0]);
}

// configure(keySize, valueSize, valueLength)
napi_value RawConfigure(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  Floor* f = RawData(env, info, &argc, argv);
  uint32_t k = 64, v = 256, len = 66;
  if (argc > 0) napi_get_value_uint32(env, argv[0], &k);
  if (argc > 1) napi_get_value_uint32(env, argv[1], &v);
  if (argc > 2) napi_get_value_uint32(env, argv[2], &len);
  f->Configure(k, v, len);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

// ---- ObjectWrap flavour ----------------------------------------------------

class FloorWrap : public Napi::ObjectWrap<FloorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FloorWrap",
                       {
                           InstanceMethod<&FloorWrap::JS_get>("get"),
                           InstanceMethod<&FloorWrap::JS_set>("set"),
                           InstanceMethod<&FloorWrap::JS_has>("has"),
                       });
  }

  // new FloorWrap(keySize, valueSize, valueLength)
  explicit FloorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FloorWrap>(info) {
    uint32_t k = info.Length() > 0 ? info[0].As<Napi::Number>().Uint32Value() : 64;
    uint32_t v = info.Length() > 1 ? info[1].As<Napi::Number>().Uint32Value() : 256;
    uint32_t len = info.Length() > 2 ? info[2].As<Napi::Number>().Uint32Value() : 66;
    floor_.Configure(k, v, len);
  }

 private:
  // open_ mirrors CacheWrap::CheckOpen's branch.
  Napi::Value JS_get(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (!open_) return Napi::Value();
    return Napi::Value(env, floor_.Get(env, info[0]));
  }
  Napi::Value JS_set(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (!open_) return Napi::Value();
    napi_value argv[4] = {info[0], info[1], info[2], info[3]};
    size_t argc = info.Length() < 4 ? info.Length() : 4;
    return Napi::Value(env, floor_.Set(env, argc, argv));
  }
  Napi::Value JS_has(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (!open_) return Napi::Value();
    return Napi::Value(env, floor_.Has(env, info[0]));
  }

  Floor floor_;
  bool open_ = true;
};

void DeleteFloor(napi_env, void* data, void*) { delete static_cast<Floor*>(data); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One Floor per environment (worker threads each load their own), owned by
  // the exports object through a finalizer.
  Floor* f = new Floor();
  f->Configure(64, 256, 66);
  napi_wrap(env, exports, f, DeleteFloor, nullptr, nullptr);
  struct Fn {
    const char* name;
    napi_callback cb;
  } fns[] = {{"get", RawGet}, {"set", RawSet}, {"has", RawHas}, {"configure", RawConfigure}};
  for (const Fn& fn : fns) {
    napi_value v;
    napi_create_function(env, fn.name, NAPI_AUTO_LENGTH, fn.cb, f, &v);
    exports.Set(fn.name, Napi::Value(env, v));
  }
  exports.Set("FloorWrap", FloorWrap::Define(env));
  return exports;
}

}  // namespace fsmm_bench

// NODE_API_MODULE pastes the name into an identifier: it must be unqualified.
static Napi::Object InitFloor(Napi::Env env, Napi::Object exports) { return fsmm_bench::Init(env, exports); }

NODE_API_MODULE(fsmm_floor, InitFloor)
