#include "cache_wrap.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "errors.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fsmm {

namespace {

constexpr const char* kBytesExpected = "a string, Buffer or Uint8Array";

inline uint64_t TtlArg(napi_env env, napi_value v) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d > 0)) return 0;
  return d >= 9007199254740991.0 ? 9007199254740991ull : static_cast<uint64_t>(d);
}

inline double NumberArg(napi_env env, napi_value v, double fallback) {
  double d;
  return napi_get_value_double(env, v, &d) == napi_ok ? d : fallback;
}

// data is 8-byte aligned with readable padding up to the next word (the copy-out buffers).
inline bool IsAscii(const uint8_t* data, uint32_t len) {
  const uint64_t* w = reinterpret_cast<const uint64_t*>(data);
  uint64_t acc = 0;
  uint32_t full = len / 8;
  for (uint32_t i = 0; i < full; i++) acc |= w[i];
  for (uint32_t i = full * 8; i < len; i++) acc |= data[i];
  return (acc & 0x8080808080808080ull) == 0;
}

// UTF-16 -> UTF-8 with the same rule as V8's WriteUtf8(REPLACE_INVALID_UTF8),
// which napi_get_value_string_utf8 uses: a lone surrogate becomes U+FFFD.
// Returns the byte count, or SIZE_MAX if the result would exceed cap.
size_t EncodeUtf8(const char16_t* in, size_t n, uint8_t* out, size_t cap) {
  size_t o = 0;
  size_t i = 0;
  // ASCII fast paths (most keys and values are ASCII): eight units per step
  // with SSE2, then four with plain 64-bit words.
#if defined(__SSE2__)
  const __m128i high = _mm_set1_epi16(static_cast<short>(0xFF80));
  while (i + 8 <= n && o + 8 <= cap) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(v, high), _mm_setzero_si128())) != 0xFFFF) break;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + o), _mm_packus_epi16(v, v));
    o += 8;
    i += 8;
  }
#endif
  while (i + 4 <= n && o + 4 <= cap) {
    uint64_t w;
    memcpy(&w, in + i, 8);
    if (w & 0xFF80FF80FF80FF80ull) break;
    uint32_t b = static_cast<uint32_t>((w & 0xFF) | ((w >> 8) & 0xFF00) | ((w >> 16) & 0xFF0000) |
                                       ((w >> 24) & 0xFF000000));
    memcpy(out + o, &b, 4);
    o += 4;
    i += 4;
  }
  for (; i < n; i++) {
    uint32_t c = in[i];
    if (c < 0x80) {
      if (o + 1 > cap) return SIZE_MAX;
      out[o++] = static_cast<uint8_t>(c);
      continue;
    }
    if (c < 0x800) {
      if (o + 2 > cap) return SIZE_MAX;
      out[o++] = static_cast<uint8_t>(0xC0 | (c >> 6));
      out[o++] = static_cast<uint8_t>(0x80 | (c & 0x3F));
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && in[i + 1] >= 0xDC00 && in[i + 1] <= 0xDFFF) {
      uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
      i++;
      if (o + 4 > cap) return SIZE_MAX;
      out[o++] = static_cast<uint8_t>(0xF0 | (cp >> 18));
      out[o++] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
      out[o++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      out[o++] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
      continue;
    }
    if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // lone surrogate
    if (o + 3 > cap) return SIZE_MAX;
    out[o++] = static_cast<uint8_t>(0xE0 | (c >> 12));
    out[o++] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
    out[o++] = static_cast<uint8_t>(0x80 | (c & 0x3F));
  }
  return o;
}

}  // namespace

Napi::Function CacheWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeCache",
                     {
                         InstanceMethod<&CacheWrap::JS_clear>("clear"),
                         InstanceMethod<&CacheWrap::JS_purgeExpired>("purgeExpired"),
                         InstanceMethod<&CacheWrap::JS_list>("list"),
                         InstanceMethod<&CacheWrap::JS_stats>("stats"),
                         InstanceMethod<&CacheWrap::JS_info>("info"),
                         InstanceMethod<&CacheWrap::JS_setCounting>("setCounting"),
                         InstanceMethod<&CacheWrap::JS_close>("close"),
                         InstanceMethod<&CacheWrap::JS_fastMethods>("fastMethods"),
                         InstanceMethod<&CacheWrap::JS_checkInvariants>("checkInvariants"),
                         InstanceMethod<&CacheWrap::JS_clockMs>("clockMs"),
                         InstanceMethod<&CacheWrap::JS_trustGoLive>("trustGoLive"),
                         InstanceMethod<&CacheWrap::JS_trustRenew>("trustRenew"),
                         InstanceMethod<&CacheWrap::JS_trustFlush>("trustFlush"),
                         InstanceMethod<&CacheWrap::JS_trustState>("trustState"),
                         InstanceMethod<&CacheWrap::JS_trustEpoch>("trustEpoch"),
                         InstanceMethod<&CacheWrap::JS_putTrusted>("putTrusted"),
                         InstanceMethod<&CacheWrap::JS_invalidateTrusted>("invalidateTrusted"),
                         InstanceMethod<&CacheWrap::JS_purgeGenerations>("purgeGenerations"),
                     });
}

// new NativeCache(name, maxKeys, keySize, valueSize, evict, persist, mode, attachOnly[, observe])
// Arguments were validated by lib/options.js; the core re-checks ranges.
CacheWrap::CacheWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CacheWrap>(info) {
  napi_env env = info.Env();
  OpenOptions o;
  if (info.Length() < 8 || !info[0].IsString()) {
    ThrowInvalid(env, "NativeCache: use the package's factory, not this constructor");
    return;
  }
  o.name = info[0].As<Napi::String>().Utf8Value();
  o.max_keys = static_cast<uint64_t>(NumberArg(env, info[1], 0));
  o.key_size = static_cast<uint32_t>(NumberArg(env, info[2], 0));
  o.value_size = static_cast<uint32_t>(NumberArg(env, info[3], 0));
  o.evict_mode = static_cast<uint32_t>(NumberArg(env, info[4], 0));
  o.persist = info[5].ToBoolean();
  o.mode = static_cast<mode_t>(NumberArg(env, info[6], 0600));
  o.attach_only = info[7].ToBoolean();
  o.observe = info.Length() > 8 && info[8].ToBoolean();
  OpenError error;
  if (table_.Open(o, &error) != Status::kOk) {
    ThrowOpenError(env, error);
    return;
  }
  open_ = true;
  env_ = env;
  key_size_ = table_.geometry().key_size;
  value_size_ = table_.geometry().value_size;
  key_buf_.assign((key_size_ + 8 + 8) / 8, 0);
  value_buf_.assign((value_size_ + 8 + 8) / 8, 0);
  expected_buf_.assign((value_size_ + 8 + 8) / 8, 0);
  out_buf_.assign((value_size_ + 8) / 8, 0);
  utf16_buf_.assign(std::max(key_size_, value_size_) + 2, 0);
  // Normal exit and worker termination close the handle, so persist:false
  // segments are unlinked by their last user (segment.h P5).
  if (napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok) hook_registered_ = true;
}

CacheWrap::~CacheWrap() { Close(); }

// Hot methods as plain functions whose callback data is this CacheWrap: a call
// then needs no napi_unwrap (a private-symbol lookup that cost about a fifth
// of a get). lib/cache.js keeps them in private fields beside the instance, so
// they never outlive it (the instance is kept alive by the same Cache object).
template <napi_value (CacheWrap::*M)(napi_env, napi_value*, size_t), size_t N>
napi_value CacheWrap::Fast(napi_env env, napi_callback_info cbinfo) {
  size_t argc = N;
  napi_value argv[N];  // missing arguments read as undefined (napi_get_cb_info fills them)
  void* data = nullptr;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  return (static_cast<CacheWrap*>(data)->*M)(env, argv, argc);
}

void CacheWrap::InstallFastMethods(napi_env env, napi_value target) {
  struct Entry {
    const char* name;
    napi_callback cb;
  };
  const Entry entries[] = {
      {"get", Fast<&CacheWrap::JS_get, 1>},       {"has", Fast<&CacheWrap::JS_has, 1>},
      {"set", Fast<&CacheWrap::JS_set, 4>},       {"delete", Fast<&CacheWrap::JS_delete, 1>},
      {"incr", Fast<&CacheWrap::JS_incr, 4>},     {"ttl", Fast<&CacheWrap::JS_ttl, 1>},
      {"cas", Fast<&CacheWrap::JS_cas, 4>},       {"expire", Fast<&CacheWrap::JS_expire, 2>},
      {"getTrusted", Fast<&CacheWrap::JS_getTrusted, 1>},
  };
  for (const Entry& e : entries) {
    napi_value fn;
    if (napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.cb, this, &fn) == napi_ok) {
      napi_set_named_property(env, target, e.name, fn);
    }
  }
}

void CacheWrap::CleanupHook(void* arg) {
  CacheWrap* self = static_cast<CacheWrap*>(arg);
  self->hook_registered_ = false;  // the hook is being run: it must not be removed
  self->Close();
}

void CacheWrap::Close() {
  if (hook_registered_) {
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    hook_registered_ = false;
  }
  if (!open_) return;
  open_ = false;
  table_.Close();
}

bool CacheWrap::CheckOpen(napi_env env, const char* method) {
  if (open_) return true;
  ThrowClosed(env, method);
  return false;
}

bool CacheWrap::ReadBytes(napi_env env, napi_value v, const char* arg, uint32_t limit, const char* option,
                          uint8_t* out, uint32_t* len, uint32_t* type) {
  // Strings: V8 copies UTF-16 code units much faster than it encodes UTF-8
  // (String::WriteUtf8 was the largest single cost of a get), so take the
  // units and encode here. limit + 1 units are enough to know the string is
  // too long: every unit is at least one UTF-8 byte.
  size_t units = 0;
  char16_t* u16 = utf16_buf_.data();
  napi_status st = napi_get_value_string_utf16(env, v, u16, limit + 2, &units);
  if (st == napi_ok) {
    size_t bytes = units <= limit ? EncodeUtf8(u16, units, out, limit) : SIZE_MAX;
    if (bytes == SIZE_MAX) {
      size_t full = 0;
      napi_get_value_string_utf8(env, v, nullptr, 0, &full);
      ThrowTooLarge(env, arg, full, limit, option);
      return false;
    }
    *len = static_cast<uint32_t>(bytes);
    *type = kTypeString;
    return true;
  }
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) {
    napi_typedarray_type tt;
    size_t length;
    void* data;
    size_t offset;
    napi_get_typedarray_info(env, v, &tt, &length, &data, nullptr, &offset);
    if (tt == napi_uint8_array) {
      if (length > limit) {
        ThrowTooLarge(env, arg, length, limit, option);
        return false;
      }
      if (length) memcpy(out, data, length);
      *len = static_cast<uint32_t>(length);
      *type = kTypeBinary;
      return true;
    }
  }
  ThrowArgType(env, arg, kBytesExpected, v);
  return false;
}

bool CacheWrap::ReadKey(napi_env env, napi_value v, uint32_t* len) {
  uint32_t type;
  return ReadBytes(env, v, "key", key_size_, "keySize", reinterpret_cast<uint8_t*>(key_buf_.data()), len, &type);
}

napi_value CacheWrap::MakeValue(napi_env env, const uint8_t* data, uint32_t len, uint32_t type) {
  napi_value result;
  if (type == kTypeBinary) {
    void* copy;
    napi_create_buffer_copy(env, len, data, &copy, &result);
  } else if (IsAscii(data, len)) {
    // ASCII is valid Latin-1: V8 copies it into a one-byte string without decoding.
    napi_create_string_latin1(env, reinterpret_cast<const char*>(data), len, &result);
  } else {
    napi_create_string_utf8(env, reinterpret_cast<const char*>(data), len, &result);
  }
  return result;
}

// --- hot methods: raw N-API, called through Fast<> with this handle as data ---

napi_value CacheWrap::Undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value CacheWrap::Bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

napi_value CacheWrap::JS_get(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "get")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  uint32_t len = 0, type = 0;
  uint8_t* out = reinterpret_cast<uint8_t*>(out_buf_.data());
  Status s = table_.Get(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, out, &len, &type);
  if (s != Status::kOk) return Undefined(env);
  return MakeValue(env, out, len, type);
}

napi_value CacheWrap::JS_has(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "has")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  return Bool(env, table_.Has(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len) == Status::kOk);
}

napi_value CacheWrap::JS_ttl(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "ttl")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  int64_t remaining = 0;
  Status s = table_.Ttl(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, &remaining);
  if (s != Status::kOk) return Undefined(env);
  napi_value v;
  napi_create_double(env, static_cast<double>(remaining), &v);
  return v;
}

// set(key, value, ttlMs, mode): mode 0 = set, 1 = add, 2 = replace.
napi_value CacheWrap::JS_set(napi_env env, napi_value* argv, size_t argc) {
  if (!CheckOpen(env, "set")) return nullptr;
  uint32_t key_len, value_len, type;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  uint8_t* value = reinterpret_cast<uint8_t*>(value_buf_.data());
  if (!ReadBytes(env, argv[1], "value", value_size_, "valueSize", value, &value_len, &type)) return nullptr;
  uint64_t ttl = argc > 2 ? TtlArg(env, argv[2]) : 0;
  PutMode mode = PutMode::kUpsert;
  if (argc > 3) {
    double m = NumberArg(env, argv[3], 0);
    mode = m == 1 ? PutMode::kAdd : m == 2 ? PutMode::kReplace : PutMode::kUpsert;
  }
  Status s = table_.Put(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, value, value_len, type, ttl, mode);
  return Bool(env, s == Status::kOk);
}

napi_value CacheWrap::JS_cas(napi_env env, napi_value* argv, size_t argc) {
  if (!CheckOpen(env, "cas")) return nullptr;
  uint32_t key_len, expected_len, value_len, type, expected_type;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  uint8_t* expected = reinterpret_cast<uint8_t*>(expected_buf_.data());
  uint8_t* value = reinterpret_cast<uint8_t*>(value_buf_.data());
  if (!ReadBytes(env, argv[1], "expected", value_size_, "valueSize", expected, &expected_len, &expected_type)) {
    return nullptr;
  }
  if (!ReadBytes(env, argv[2], "value", value_size_, "valueSize", value, &value_len, &type)) return nullptr;
  uint64_t ttl = argc > 3 ? TtlArg(env, argv[3]) : 0;
  Status s = table_.Cas(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, expected, expected_len, value,
                        value_len, type, ttl);
  return Bool(env, s == Status::kOk);
}

// incr(key, delta, initial, ttlMs) -> number, or null when the cache is full
// (lib/cache.js turns that into ERR_SHM_FULL).
napi_value CacheWrap::JS_incr(napi_env env, napi_value* argv, size_t argc) {
  if (!CheckOpen(env, "incr")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  double delta = NumberArg(env, argv[1], 1);
  double initial = NumberArg(env, argv[2], 0);
  uint64_t ttl = argc > 3 ? TtlArg(env, argv[3]) : 0;
  int64_t result = 0;
  const uint8_t* key = reinterpret_cast<const uint8_t*>(key_buf_.data());
  Status s = table_.Incr(key, key_len, static_cast<int64_t>(delta), static_cast<int64_t>(initial), ttl, &result);
  if (s == Status::kOk) {
    napi_value v;
    napi_create_double(env, static_cast<double>(result), &v);
    return v;
  }
  if (s == Status::kFull) {
    napi_value v;
    napi_get_null(env, &v);
    return v;
  }
  ThrowIncrError(env, s, reinterpret_cast<const char*>(key), key_len, delta, result, value_size_);
  return nullptr;
}

napi_value CacheWrap::JS_expire(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "expire")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  uint64_t ttl = TtlArg(env, argv[1]);
  return Bool(env, table_.Expire(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, ttl) == Status::kOk);
}

napi_value CacheWrap::JS_delete(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "delete")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  return Bool(env, table_.Delete(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len) == Status::kOk);
}

// getTrusted(key): the value of the trusted generation's entry for key; undefined
// on a miss; null when no trust window is open (the caller must bypass).
napi_value CacheWrap::JS_getTrusted(napi_env env, napi_value* argv, size_t) {
  if (!CheckOpen(env, "getTrusted")) return nullptr;
  uint32_t key_len;
  if (!ReadKey(env, argv[0], &key_len)) return nullptr;
  uint32_t len = 0, type = 0;
  uint8_t* out = reinterpret_cast<uint8_t*>(out_buf_.data());
  Status s = table_.GetTrusted(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, out, &len, &type);
  if (s == Status::kOk) return MakeValue(env, out, len, type);
  if (s != Status::kNotTrusted) return Undefined(env);
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

Napi::Value CacheWrap::JS_clear(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "clear")) return Napi::Value();
  table_.Clear();
  return info.Env().Undefined();
}

Napi::Value CacheWrap::JS_purgeExpired(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "purgeExpired")) return Napi::Value();
  return Napi::Number::New(env, static_cast<double>(table_.PurgeExpired()));
}

Napi::Value CacheWrap::JS_list(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, info[2].ToBoolean() ? "entries" : "keys")) return Napi::Value();
  uint32_t prefix_len = 0;
  if (!info[0].IsUndefined() && !ReadKey(env, info[0], &prefix_len)) return Napi::Value();
  double limit_d = NumberArg(env, info[1], 0);
  uint64_t limit = limit_d >= 1.8e19 ? UINT64_MAX : limit_d > 0 ? static_cast<uint64_t>(limit_d) : 0;
  bool with_values = info[2].ToBoolean();
  std::vector<ListedEntry> entries;
  std::vector<uint8_t> blob;
  table_.List(reinterpret_cast<const uint8_t*>(key_buf_.data()), prefix_len, limit, with_values, &entries, &blob);
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    const ListedEntry& e = entries[i];
    napi_value key;
    napi_create_string_utf8(env, reinterpret_cast<const char*>(blob.data() + e.key_offset), e.key_len, &key);
    if (!with_values) {
      out.Set(static_cast<uint32_t>(i), Napi::Value(env, key));
      continue;
    }
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Value(env, key));
    pair.Set(1u, Napi::Value(env, MakeValue(env, blob.data() + e.value_offset, e.value_len, e.type)));
    out.Set(static_cast<uint32_t>(i), pair);
  }
  return out;
}

Napi::Value CacheWrap::JS_stats(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "stats")) return Napi::Value();
  TableStats s;
  table_.GetStats(&s);
  Napi::Object o = Napi::Object::New(env);
  o.Set("capacity", static_cast<double>(s.capacity));
  o.Set("size", static_cast<double>(s.size));
  o.Set("keySize", static_cast<double>(s.key_size));
  o.Set("valueSize", static_cast<double>(s.value_size));
  o.Set("hits", static_cast<double>(s.hits));
  o.Set("misses", static_cast<double>(s.misses));
  o.Set("sets", static_cast<double>(s.sets));
  o.Set("deletes", static_cast<double>(s.deletes));
  o.Set("evictions", static_cast<double>(s.evictions));
  o.Set("expired", static_cast<double>(s.expired));
  o.Set("recoveries", static_cast<double>(s.recoveries));
  o.Set("maxProbe", static_cast<double>(s.max_probe));
  o.Set("slotCount", static_cast<double>(s.slot_count));
  o.Set("regionBytes", static_cast<double>(s.region_bytes));
  return o;
}

// The geometry this handle attached with (attachOnly adopts the segment's).
Napi::Value CacheWrap::JS_info(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "info")) return Napi::Value();
  const Geometry& g = table_.geometry();
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxKeys", static_cast<double>(g.max_keys));
  o.Set("keySize", static_cast<double>(g.key_size));
  o.Set("valueSize", static_cast<double>(g.value_size));
  o.Set("slotCount", static_cast<double>(g.slot_count));
  o.Set("slotBytes", static_cast<double>(g.slot_bytes));
  o.Set("recordBytes", static_cast<double>(g.record_bytes));
  o.Set("regionBytes", static_cast<double>(g.region_bytes));
  o.Set("evict", table_.evict_mode() == kEvictLru ? "lru" : "none");
  o.Set("persist", table_.persistent());
  return o;
}

Napi::Value CacheWrap::JS_setCounting(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "setCounting")) return Napi::Value();
  table_.set_counting(info[0].ToBoolean());
  return info.Env().Undefined();
}

// fastMethods() -> { get, has, set, delete, incr, ttl, cas, expire } bound to this handle.
Napi::Value CacheWrap::JS_fastMethods(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  InstallFastMethods(info.Env(), o);
  return o;
}

// Deadlines (ClockMs() milliseconds), generations and epochs arrive as JS
// numbers; they are floored (a deadline only gets earlier: layout.h N1).
static uint64_t WholeArg(const Napi::Value& v) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0;
  if (!(d > 0)) return 0;
  return d >= 9007199254740991.0 ? 9007199254740991ull : static_cast<uint64_t>(d);
}

Napi::Value CacheWrap::JS_clockMs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Table::ClockMs()));
}

Napi::Value CacheWrap::JS_trustGoLive(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "trustGoLive")) return Napi::Value();
  return Napi::Number::New(env, static_cast<double>(table_.TrustGoLive(WholeArg(info[0]))));
}

Napi::Value CacheWrap::JS_trustRenew(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "trustRenew")) return Napi::Value();
  return Napi::Boolean::New(env, table_.TrustRenew(WholeArg(info[0]), WholeArg(info[1])));
}

Napi::Value CacheWrap::JS_trustFlush(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "trustFlush")) return Napi::Value();
  table_.TrustFlush();
  return info.Env().Undefined();
}

Napi::Value CacheWrap::JS_trustState(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "trustState")) return Napi::Value();
  uint64_t gen, until;
  table_.TrustState(&gen, &until);
  Napi::Object o = Napi::Object::New(env);
  o.Set("generation", static_cast<double>(gen));
  o.Set("untilMs", static_cast<double>(until));
  o.Set("trustedGeneration", static_cast<double>(table_.TrustedGeneration(nullptr)));
  return o;
}

Napi::Value CacheWrap::JS_trustEpoch(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "trustEpoch")) return Napi::Value();
  uint32_t key_len;
  if (!ReadKey(env, info[0], &key_len)) return Napi::Value();
  return Napi::Number::New(env,
                           static_cast<double>(table_.TrustEpoch(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len)));
}

Napi::Value CacheWrap::JS_putTrusted(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "putTrusted")) return Napi::Value();
  uint32_t key_len, value_len, type;
  if (!ReadKey(env, info[0], &key_len)) return Napi::Value();
  uint8_t* value = reinterpret_cast<uint8_t*>(value_buf_.data());
  if (!ReadBytes(env, info[1], "value", value_size_, "valueSize", value, &value_len, &type)) return Napi::Value();
  Status s = table_.PutTrusted(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len, value, value_len, type,
                               TtlArg(env, info[2]), WholeArg(info[3]), WholeArg(info[4]));
  if (s == Status::kInvalid) {  // generation 0, or key + tag longer than keySize: nothing to fill
    ThrowInvalid(env, "putTrusted: no such generation, or the key does not fit beside its generation tag");
    return Napi::Value();
  }
  return Napi::Number::New(env, s == Status::kOk ? 0 : s == Status::kStale ? 1 : 2);
}

Napi::Value CacheWrap::JS_invalidateTrusted(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "invalidateTrusted")) return Napi::Value();
  uint32_t key_len;
  if (!ReadKey(env, info[0], &key_len)) return Napi::Value();
  Status s = table_.InvalidateTrusted(reinterpret_cast<const uint8_t*>(key_buf_.data()), key_len);
  return Napi::Boolean::New(env, s == Status::kOk);
}

Napi::Value CacheWrap::JS_purgeGenerations(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "purgeGenerations")) return Napi::Value();
  uint64_t cursor = WholeArg(info[1]);
  uint64_t max_slots = std::max<uint64_t>(1, WholeArg(info[2]));
  // The epoch mark travels to JS as a decimal string (it uses all 64 bits).
  uint64_t epoch = 0;
  if (info[3].IsString()) epoch = strtoull(info[3].As<Napi::String>().Utf8Value().c_str(), nullptr, 10);
  bool disturbed = false;
  uint64_t removed = table_.PurgeGenerations(WholeArg(info[0]), &cursor, max_slots, &epoch, &disturbed);
  Napi::Object o = Napi::Object::New(env);
  o.Set("removed", static_cast<double>(removed));
  o.Set("cursor", static_cast<double>(cursor));
  o.Set("epoch", std::to_string(epoch));
  o.Set("disturbed", disturbed);
  return o;
}

Napi::Value CacheWrap::JS_close(const Napi::CallbackInfo& info) {
  Close();
  return info.Env().Undefined();
}

Napi::Value CacheWrap::JS_checkInvariants(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!CheckOpen(env, "checkInvariants")) return Napi::Value();
  return Napi::String::New(env, table_.CheckInvariants());
}

}  // namespace fsmm
