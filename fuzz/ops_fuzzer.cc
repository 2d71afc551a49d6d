// libFuzzer target: the input is a table geometry followed by a sequence of
// operations (set/get/delete/add/replace/incr/cas/expire/ttl/has/clear/purge/
// list, and the trust window: go-live/renew/flush/getTrusted and writes of
// generation-tagged keys, layout.h N1-N4) on a small key space; after every step the result is checked against a
// std::unordered_map model, and Table::CheckInvariants() (layout.h L5-L7) runs
// every few steps and at the end. TTLs are 0 or a year, so time never matters.
// With evict=lru the model learns which key CLOCK evicted (exactly one of the
// model's keys must have disappeared).
//
// Each input gets a fresh segment (a new name, removed on close),
// so an input reproduces on its own.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "../src/core/segment.h"
#include "../src/core/status.h"
#include "../src/core/table.h"

#include "../test/native/check.h"  // CHECK: print file:line, abort

using fsmm::PutMode;
using fsmm::Status;

namespace {

constexpr uint64_t kYearMs = 1000ull * 3600 * 24 * 365;

struct Entry {
  std::string value;
  uint32_t type;
  bool has_ttl;
};

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint32_t Len(const std::string& s) { return static_cast<uint32_t>(s.size()); }

// A new name per input: an inspection tool that attaches to every segment in
// /dev/shm (bin/fast-shm list, run by other tests) can keep a closed segment
// alive for a moment, and a reused name would then meet the old geometry.
std::string SegmentName() {
  static uint64_t counter = 0;
  return "fuzz-ops-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  fsmm::OpenOptions o;
  o.name = SegmentName();
  o.max_keys = in.ConsumeIntegralInRange<uint64_t>(1, 32);
  o.key_size = in.ConsumeIntegralInRange<uint32_t>(1, 12);
  o.value_size = in.ConsumeIntegralInRange<uint32_t>(1, 40);
  o.evict_mode = in.ConsumeBool() ? fsmm::kEvictLru : fsmm::kEvictNone;
  const bool lru = o.evict_mode == fsmm::kEvictLru;
  static const bool trace = getenv("FSMM_FUZZ_TRACE") != nullptr;  // replaying one input
  if (trace) {
    fprintf(stderr, "max_keys %llu key_size %u value_size %u lru %d\n", static_cast<unsigned long long>(o.max_keys),
            o.key_size, o.value_size, lru);
  }
  fsmm::Table t;
  fsmm::OpenError err;
  if (t.Open(o, &err) != Status::kOk) {
    fprintf(stderr, "open failed: %s\n", err.message.c_str());
    abort();
  }
  if (!t.geometry().max_keys) abort();
  // Key space: about twice max_keys, short keys, plus the empty key and a key
  // of exactly key_size bytes; with few slots, collisions are the rule.
  const size_t nkeys = static_cast<size_t>(o.max_keys) * 2 + 2;
  std::vector<std::string> keys;
  keys.push_back("");
  keys.push_back(std::string(o.key_size, 'K'));
  for (size_t i = 0; keys.size() < nkeys; i++) {
    std::string k = std::to_string(i);
    if (k.size() <= o.key_size) keys.push_back(k);
    else keys.push_back(std::string(1, static_cast<char>('a' + i % 26)) + std::string(o.key_size - 1, static_cast<char>(i)));
  }
  std::unordered_map<std::string, Entry> model;
  uint64_t trust_gen = 0;     // the model of the trust window: last generation opened
  bool trust_open = false;    // and whether it is open (deadlines are a year away)
  auto tagged = [](uint64_t gen, const std::string& key) {
    uint8_t tag[fsmm::kMaxGenerationTagBytes];
    return std::string(reinterpret_cast<char*>(tag), fsmm::GenerationTag(gen, tag)) + key;
  };
  std::vector<uint8_t> buf(o.value_size + 8);
  int steps = 0;
  auto value_from_input = [&](uint32_t* type) {
    *type = in.ConsumeBool() ? fsmm::kTypeBinary : fsmm::kTypeString;
    if (in.ConsumeBool()) {  // a number, so incr has something to parse
      return std::to_string(in.ConsumeIntegralInRange<int64_t>(-20, 20));
    }
    return in.ConsumeRandomLengthString(o.value_size + 1);  // may exceed the limit by one
  };
  auto ttl_from_input = [&]() -> uint64_t { return in.ConsumeBool() ? kYearMs : 0; };
  // After a kOk insert of a new key into a full LRU table, exactly one model key was evicted.
  auto learn_eviction = [&](const std::string& inserted, size_t before) {
    if (!lru || before < o.max_keys) return;
    std::string victim;
    int missing = 0;
    for (auto& kv : model) {
      if (kv.first == inserted) continue;
      if (t.Has(U8(kv.first), Len(kv.first)) == Status::kNotFound) {
        victim = kv.first;
        missing++;
      }
    }
    CHECK(missing == 1);
    model.erase(victim);
  };

  while (in.remaining_bytes() > 0 && steps < 2000) {
    steps++;
    const std::string& k = keys[in.ConsumeIntegralInRange<size_t>(0, keys.size() - 1)];
    auto it = model.find(k);
    const bool present = it != model.end();
    const bool room = present || model.size() < o.max_keys || lru;
    const size_t before = model.size();
    uint32_t type = 0;
    const int op = in.ConsumeIntegralInRange<int>(0, 13);
    if (trace) fprintf(stderr, "step %d: op %d key \"%s\" present %d model %zu\n", steps, op, k.c_str(), present, model.size());
    switch (op) {
      case 0: {  // get
        uint32_t len = 0, ty = 0;
        Status s = t.Get(U8(k), Len(k), buf.data(), &len, &ty);
        CHECK(s == (present ? Status::kOk : Status::kNotFound));
        if (present) {
          CHECK(len == it->second.value.size() && memcmp(buf.data(), it->second.value.data(), len) == 0);
          CHECK(ty == it->second.type);
        }
        break;
      }
      case 1:
      case 2:
      case 3: {  // set / add / replace
        PutMode mode = PutMode::kUpsert;
        std::string v = value_from_input(&type);
        uint64_t ttl = ttl_from_input();
        int which = in.ConsumeIntegralInRange<int>(0, 2);
        if (which == 1) mode = PutMode::kAdd;
        if (which == 2) mode = PutMode::kReplace;
        Status s = t.Put(U8(k), Len(k), U8(v), Len(v), type, ttl, mode);
        Status want;
        if (v.size() > o.value_size) want = Status::kInvalid;
        else if (mode == PutMode::kAdd && present) want = Status::kExists;
        else if (mode == PutMode::kReplace && !present) want = Status::kNotFound;
        else want = room ? Status::kOk : Status::kFull;
        CHECK(s == want);
        if (s == Status::kOk) {
          model[k] = {v, type, ttl != 0};
          if (!present) learn_eviction(k, before);
        }
        break;
      }
      case 4: {  // delete
        CHECK(t.Delete(U8(k), Len(k)) == (present ? Status::kOk : Status::kNotFound));
        model.erase(k);
        break;
      }
      case 5: {  // incr
        int64_t delta = in.ConsumeBool() ? in.ConsumeIntegral<int64_t>() : in.ConsumeIntegralInRange<int64_t>(-3, 3);
        int64_t initial = in.ConsumeIntegralInRange<int64_t>(-5, 5);
        uint64_t ttl = ttl_from_input();
        int64_t r = 0, base = initial, expect = 0;
        Status s = t.Incr(U8(k), Len(k), delta, initial, ttl, &r);
        Status want;
        if (present && (it->second.type != fsmm::kTypeString || !ntest::ModelParseInt(it->second.value, &base))) {
          want = Status::kNotInteger;
        } else if (__builtin_add_overflow(base, delta, &expect) || expect > fsmm::kMaxSafeInteger ||
                   expect < -fsmm::kMaxSafeInteger) {
          want = Status::kOutOfRange;  // checked before room is made
        } else if (std::to_string(expect).size() > o.value_size) {
          want = Status::kTooLarge;  // checked before room is made
        } else {
          want = room ? Status::kOk : Status::kFull;
        }
        CHECK(s == want);
        if (s == Status::kOk) {
          CHECK(r == expect);
          bool keep = present ? it->second.has_ttl : ttl != 0;
          model[k] = {std::to_string(expect), fsmm::kTypeString, keep};
          if (!present) learn_eviction(k, before);
        }
        break;
      }
      case 6: {  // cas
        std::string expected = present && in.ConsumeBool() ? it->second.value : in.ConsumeRandomLengthString(8);
        std::string v = value_from_input(&type);
        uint64_t ttl = ttl_from_input();
        Status s = t.Cas(U8(k), Len(k), U8(expected), Len(expected), U8(v), Len(v), type, ttl);
        Status want;
        if (v.size() > o.value_size) want = Status::kInvalid;
        else if (!present) want = Status::kNotFound;
        else want = it->second.value == expected ? Status::kOk : Status::kMismatch;
        CHECK(s == want);
        if (s == Status::kOk) it->second = {v, type, ttl != 0};
        break;
      }
      case 7: {  // expire
        uint64_t ttl = ttl_from_input();
        CHECK(t.Expire(U8(k), Len(k), ttl) == (present ? Status::kOk : Status::kNotFound));
        if (present) it->second.has_ttl = ttl != 0;
        break;
      }
      case 8: {  // ttl / has
        int64_t rem = 0;
        Status s = t.Ttl(U8(k), Len(k), &rem);
        CHECK(s == (present ? Status::kOk : Status::kNotFound));
        if (present) CHECK(it->second.has_ttl ? rem > 0 : rem == -1);
        CHECK(t.Has(U8(k), Len(k)) == (present ? Status::kOk : Status::kNotFound));
        break;
      }
      case 9:  // clear
        if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
          t.Clear();
          model.clear();
        }
        break;
      case 10:  // purge: nothing can have expired
        CHECK(t.PurgeExpired() == 0);
        break;
      case 11: {  // list with a prefix and a limit
        std::string prefix = in.ConsumeRandomLengthString(2);
        uint64_t limit = in.ConsumeIntegralInRange<uint64_t>(0, 40);
        std::vector<fsmm::ListedEntry> entries;
        std::vector<uint8_t> blob;
        t.List(U8(prefix), Len(prefix), limit, true, &entries, &blob);
        size_t matching = 0;
        for (auto& kv : model) matching += kv.first.compare(0, prefix.size(), prefix) == 0;
        CHECK(entries.size() == std::min<uint64_t>(matching, limit));
        for (auto& e : entries) {
          std::string key(reinterpret_cast<char*>(blob.data() + e.key_offset), e.key_len);
          auto m = model.find(key);
          CHECK(m != model.end());
          CHECK(std::string(reinterpret_cast<char*>(blob.data() + e.value_offset), e.value_len) == m->second.value);
        }
        break;
      }
      case 12: {  // an over-long key is refused
        std::string lk(o.key_size + 1, 'x');
        CHECK(t.Put(U8(lk), Len(lk), U8(lk), 0, 0, 0, PutMode::kUpsert) == Status::kInvalid);
        break;
      }
      case 13: {  // trust window (N1-N4)
        const uint64_t far = fsmm::Table::ClockMs() + kYearMs;
        switch (in.ConsumeIntegralInRange<int>(0, 7)) {
          case 0:
            CHECK(t.TrustGoLive(far) == trust_gen + 1);
            trust_gen++;
            trust_open = true;
            break;
          case 1:
            t.TrustFlush();
            trust_open = false;
            break;
          case 2: {
            uint64_t g = trust_gen + in.ConsumeIntegralInRange<uint64_t>(0, 1);
            CHECK(t.TrustRenew(g, far) == (trust_open && g == trust_gen && g != 0));
            break;
          }
          case 3: {
            uint32_t len = 0, ty = 0;
            Status s = t.GetTrusted(U8(k), Len(k), buf.data(), &len, &ty);
            if (!trust_open) {
              CHECK(s == Status::kNotTrusted);
              break;
            }
            auto m = model.find(tagged(trust_gen, k));
            CHECK(s == (m != model.end() ? Status::kOk : Status::kNotFound));
            if (m != model.end()) CHECK(len == m->second.value.size() && memcmp(buf.data(), m->second.value.data(), len) == 0);
            break;
          }
          case 4: {  // store under the current (or a just-closed) generation's tag
            std::string tk = tagged(trust_gen, k);
            if (tk.size() > o.key_size) break;
            std::string v = in.ConsumeRandomLengthString(o.value_size);
            bool tpresent = model.count(tk) != 0;
            size_t tbefore = model.size();
            Status s = t.Put(U8(tk), Len(tk), U8(v), Len(v), fsmm::kTypeString, 0, PutMode::kUpsert);
            CHECK(s == ((tpresent || model.size() < o.max_keys || lru) ? Status::kOk : Status::kFull));
            if (s == Status::kOk) {
              model[tk] = {v, fsmm::kTypeString, false};
              if (!tpresent) learn_eviction(tk, tbefore);
            }
            break;
          }
          case 5: {  // guarded fill (N5) with a current or an outdated epoch snapshot
            uint64_t epoch = t.TrustEpoch(U8(k), Len(k));
            if (in.ConsumeBool() && epoch > 0) epoch--;  // a snapshot from before an invalidation
            const bool current = epoch == t.TrustEpoch(U8(k), Len(k));
            uint64_t g = trust_gen + in.ConsumeIntegralInRange<uint64_t>(0, 1);
            std::string tk = tagged(g, k);
            std::string v = in.ConsumeRandomLengthString(o.value_size);
            bool tpresent = model.count(tk) != 0;
            size_t tbefore = model.size();
            Status s = t.PutTrusted(U8(k), Len(k), U8(v), Len(v), fsmm::kTypeString, 0, g, epoch);
            Status want;
            if (g == 0 || tk.size() > o.key_size) want = Status::kInvalid;
            else if (!(trust_open && g == trust_gen && current)) want = Status::kStale;
            else want = (tpresent || model.size() < o.max_keys || lru) ? Status::kOk : Status::kFull;
            CHECK(s == want);
            if (s == Status::kOk) {
              model[tk] = {v, fsmm::kTypeString, false};
              if (!tpresent) learn_eviction(tk, tbefore);
            }
            break;
          }
          case 6: {  // invalidation: the epoch moves, the current generation's entry goes
            uint64_t before_epoch = t.TrustEpoch(U8(k), Len(k));
            std::string tk = tagged(trust_gen, k);
            bool tpresent = tk.size() <= o.key_size && model.count(tk) != 0;
            CHECK(t.InvalidateTrusted(U8(k), Len(k)) == (tpresent ? Status::kOk : Status::kNotFound));
            CHECK(t.TrustEpoch(U8(k), Len(k)) == before_epoch + 1);
            model.erase(tk);
            break;
          }
          case 7: {  // purge older generations (N7), in spans of random size, one whole pass
            const uint64_t below = trust_gen;
            const uint64_t span = in.ConsumeIntegralInRange<uint64_t>(1, t.geometry().slot_count);
            uint64_t cursor = 0, removed = 0, epoch = 0;
            bool disturbed = false;
            do removed += t.PurgeGenerations(below, &cursor, span, &epoch, &disturbed);
            while (cursor != 0);
            CHECK(!disturbed);  // nothing else ran between the spans
            uint64_t expect = 0;
            for (auto m = model.begin(); m != model.end();) {
              const std::string& mk = m->first;
              uint64_t g = 0;
              size_t colon = mk.size() > 2 && mk[0] == '\0' ? mk.find(':') : std::string::npos;
              bool tagged_key = colon != std::string::npos && colon > 1 && colon <= 21 &&
                                mk.find_first_not_of("0123456789", 1) == colon;
              if (tagged_key) g = std::stoull(mk.substr(1, colon - 1));
              if (tagged_key && g != 0 && g < below) {
                m = model.erase(m);
                expect++;
              } else {
                ++m;
              }
            }
            CHECK(removed == expect);
            break;
          }
        }
        break;
      }
    }
    if (steps % 16 == 0) {
      std::string why = t.CheckInvariants();
      if (!why.empty()) {
        fprintf(stderr, "step %d: %s\n", steps, why.c_str());
        abort();
      }
    }
  }
  std::string why = t.CheckInvariants();
  if (!why.empty()) {
    fprintf(stderr, "end: %s\n", why.c_str());
    abort();
  }
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.size == model.size());
  t.Close();  // the only handle: removes the segment (P5)
  return 0;
}
