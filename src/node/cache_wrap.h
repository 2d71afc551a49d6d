// The JS-visible native cache: argument unwrapping, the core call, and the
// conversion of results and Status values to JS. lib/cache.js is the public
// class; it holds one CacheWrap and passes it normalised positional arguments
// (option objects are parsed in JS, byte limits are checked here, once).
#ifndef FSMM_NODE_CACHE_WRAP_H_
#define FSMM_NODE_CACHE_WRAP_H_

#include <napi.h>

#include <vector>

#include "../core/table.h"

namespace fsmm {

class CacheWrap : public Napi::ObjectWrap<CacheWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CacheWrap(const Napi::CallbackInfo& info);
  ~CacheWrap() override;

 private:
  // --- JS-visible methods ---
  // Hot methods (installed by InstallFastMethods, called through Fast<>).
  napi_value JS_get(napi_env env, napi_value* argv, size_t argc);
  napi_value JS_has(napi_env env, napi_value* argv, size_t argc);
  napi_value JS_ttl(napi_env env, napi_value* argv, size_t argc);
  napi_value JS_set(napi_env env, napi_value* argv, size_t argc);     // (key, value, ttlMs, mode 0=set 1=add 2=replace)
  napi_value JS_cas(napi_env env, napi_value* argv, size_t argc);     // (key, expected, value, ttlMs)
  napi_value JS_incr(napi_env env, napi_value* argv, size_t argc);    // (key, delta, initial, ttlMs)
  napi_value JS_expire(napi_env env, napi_value* argv, size_t argc);  // (key, ttlMs)
  napi_value JS_delete(napi_env env, napi_value* argv, size_t argc);
  napi_value JS_getTrusted(napi_env env, napi_value* argv, size_t argc);  // value | undefined | null (no window)
  // Prototype methods.
  Napi::Value JS_clear(const Napi::CallbackInfo& info);
  Napi::Value JS_purgeExpired(const Napi::CallbackInfo& info);
  Napi::Value JS_list(const Napi::CallbackInfo& info);     // (prefix|undefined, limit, withValues)
  Napi::Value JS_stats(const Napi::CallbackInfo& info);
  Napi::Value JS_info(const Napi::CallbackInfo& info);
  Napi::Value JS_setCounting(const Napi::CallbackInfo& info);
  Napi::Value JS_close(const Napi::CallbackInfo& info);
  Napi::Value JS_fastMethods(const Napi::CallbackInfo& info);
  Napi::Value JS_checkInvariants(const Napi::CallbackInfo& info);
  // Trust window (core layout.h N1-N6), for lib/near. Times are Table::ClockMs() milliseconds.
  Napi::Value JS_clockMs(const Napi::CallbackInfo& info);
  Napi::Value JS_trustGoLive(const Napi::CallbackInfo& info);  // (untilMs) -> generation
  Napi::Value JS_trustRenew(const Napi::CallbackInfo& info);   // (generation, untilMs) -> bool
  Napi::Value JS_trustFlush(const Napi::CallbackInfo& info);
  Napi::Value JS_trustState(const Napi::CallbackInfo& info);   // -> { generation, untilMs, trustedGeneration }
  Napi::Value JS_trustEpoch(const Napi::CallbackInfo& info);   // (key) -> the key's stripe epoch
  Napi::Value JS_putTrusted(const Napi::CallbackInfo& info);   // (key, value, ttlMs, generation, epoch) -> 0 ok, 1 stale, 2 full
  Napi::Value JS_invalidateTrusted(const Napi::CallbackInfo& info);  // (key) -> an entry was removed
  Napi::Value JS_purgeGenerations(const Napi::CallbackInfo& info);   // (below, cursor, maxSlots, epoch) -> { removed, cursor, epoch, disturbed }

  // Converts a string/Buffer/Uint8Array argument into `out` (capacity >= limit).
  // Returns false after throwing (wrong type, or more than `limit` bytes).
  bool ReadBytes(napi_env env, napi_value v, const char* arg, uint32_t limit, const char* option, uint8_t* out,
                 uint32_t* len, uint32_t* type);
  bool ReadKey(napi_env env, napi_value v, uint32_t* len);
  bool CheckOpen(napi_env env, const char* method);
  napi_value MakeValue(napi_env env, const uint8_t* data, uint32_t len, uint32_t type);
  void Close();
  static void CleanupHook(void* arg);
  template <napi_value (CacheWrap::*M)(napi_env, napi_value*, size_t), size_t N>
  static napi_value Fast(napi_env env, napi_callback_info cbinfo);
  static napi_value Undefined(napi_env env);
  static napi_value Bool(napi_env env, bool b);
  void InstallFastMethods(napi_env env, napi_value target);

  Table table_;
  bool open_ = false;
  bool hook_registered_ = false;
  napi_env env_ = nullptr;
  uint32_t key_size_ = 0;
  uint32_t value_size_ = 0;
  // Per-handle scratch (a handle lives in one JS thread): converted key,
  // converted value(s) and the copy-out buffer, sized once at open.
  std::vector<uint64_t> key_buf_;
  std::vector<uint64_t> value_buf_;
  std::vector<uint64_t> expected_buf_;
  std::vector<uint64_t> out_buf_;
  std::vector<char16_t> utf16_buf_;  // a string argument's code units, max(keySize, valueSize) + 2
};

}  // namespace fsmm

#endif  // FSMM_NODE_CACHE_WRAP_H_
