// Module entry. Per-environment state (main thread and each worker thread get
// their own) lives in the Addon instance, never in statics (worker_threads).
#include <napi.h>

#include <cstdlib>
#include <cstring>

#include "../core/hash.h"
#include "../core/robust_mutex.h"
#include "../core/segment.h"
#include "cache_wrap.h"
#include "errors.h"

namespace fsmm {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    Napi::Function cache = CacheWrap::Define(env);
    constructor_ = Napi::Persistent(cache);
    DefineAddon(exports, {
                             InstanceValue("NativeCache", cache, napi_enumerable),
                             InstanceMethod<&Addon::JS_unlink>("unlink"),
                             InstanceMethod<&Addon::JS_fnv1a>("fnv1a"),
                             InstanceMethod<&Addon::JS_validateName>("validateName"),
                         });
    // Test-only hook (test/31.crash-recovery.js): arm a named crash point so a
    // child process _exit()s while holding a lock. Present only when the
    // environment variable FSMM_TEST_HOOKS=1 is set at load time.
    const char* hooks = std::getenv("FSMM_TEST_HOOKS");
    if (hooks && std::strcmp(hooks, "1") == 0) {
      exports.Set("_armCrashPoint", Napi::Function::New<JS_armCrashPoint>(env, "_armCrashPoint"));
    }
  }

 private:
  // unlink(name) -> boolean: removes the named segment (true if it existed).
  Napi::Value JS_unlink(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    bool existed = false;
    OpenError e;
    if (Segment::Unlink(name, &existed, &e) != Status::kOk) {
      ThrowOpenError(env, e);
      return Napi::Value();
    }
    return Napi::Boolean::New(env, existed);
  }

  // fnv1a(buffer) -> number: the table's hash, exported for the published test vectors.
  Napi::Value JS_fnv1a(const Napi::CallbackInfo& info) {
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    return Napi::Number::New(info.Env(), Fnv1a32(bytes.Data(), bytes.ByteLength()));
  }

  // validateName(name) -> "" or the reason the name is refused (one rule, in C++).
  Napi::Value JS_validateName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), ValidateName(info[0].As<Napi::String>().Utf8Value()));
  }

  static Napi::Value JS_armCrashPoint(const Napi::CallbackInfo& info) {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    for (int p = 0; p < static_cast<int>(CrashPoint::kCount); p++) {
      if (name == CrashPointName(static_cast<CrashPoint>(p))) {
        ArmCrashPoint(static_cast<CrashPoint>(p));
        return Napi::Boolean::New(info.Env(), true);
      }
    }
    return Napi::Boolean::New(info.Env(), false);
  }

  Napi::FunctionReference constructor_;
};

}  // namespace fsmm

using fsmm::Addon;
NODE_API_ADDON(Addon)
