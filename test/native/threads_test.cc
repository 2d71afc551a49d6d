// Threads hammering one table: set/get/delete/incr/add/cas/replace on shared
// and private keys, plus a churn thread whose inserts and deletes of colliding
// keys keep shifting entries (backward-shift delete, layout.h K4).
//
// Checks, each of which a broken protocol would trip:
//   - shared values carry a checksum: a torn read (K3) fails it;
//   - a thread's private keys are written only by it: every get returns
//     exactly its last write, never a miss (a lock-free miss during a shift
//     would violate K4);
//   - incr is atomic: the counter ends at threads x increments;
//   - add is exclusive: each "once" key is won by exactly one thread;
//   - CheckInvariants() == "" at the end.
// Phase 1 shares one Table (one mapping) between the threads, which is what
// ThreadSanitizer can check: TSan relates accesses by virtual address, so
// handles that map the segment at different addresses hide races from it.
// Phase 2 gives each thread its own handle (as worker_threads do) and relies
// on the functional checks above.
// Usage: threads_test [threads] [ops per thread]
#include <pthread.h>

#include <atomic>
#include <cinttypes>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "check.h"

using fsmm::PutMode;
using fsmm::Status;
using fsmm::Table;
using namespace ntest;

namespace {

constexpr uint64_t kMaxKeys = 320;
constexpr uint32_t kKeySize = 32, kValueSize = 64;
constexpr int kSharedKeys = 12;
constexpr int kPrivateKeys = 12;
constexpr int kOnceKeys = 40;

// value = payload (4..kValueSize-4 bytes) + FNV-1a of the payload (4 bytes).
std::string Checksummed(std::mt19937_64& rng, int writer) {
  size_t len = 4 + rng() % (kValueSize - 8);
  std::string v(len, '\0');
  v[0] = static_cast<char>(writer);
  for (size_t i = 1; i < len; i++) v[i] = static_cast<char>(rng());
  uint32_t h = fsmm::Fnv1a32(U8(v), v.size());
  v.append(reinterpret_cast<const char*>(&h), 4);
  return v;
}

bool ChecksumOk(const std::string& v) {
  if (v.size() < 8) return false;
  uint32_t h;
  memcpy(&h, v.data() + v.size() - 4, 4);
  return fsmm::Fnv1a32(U8(v), v.size() - 4) == h;
}

struct Shared {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> add_wins[kOnceKeys];
  std::atomic<uint64_t> incrs{0};
  std::atomic<uint64_t> torn{0};
  std::atomic<uint64_t> shared_gets{0};
  Shared() {
    for (auto& w : add_wins) w.store(0);
  }
};

void Worker(int id, Table* t, int ops, Shared* sh) {
  std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919 + 1);
  std::string priv_model[kPrivateKeys];  // "" = absent (values are never empty)
  std::string v;
  uint32_t type = 0;
  sh->ready.fetch_add(1);
  while (!sh->go.load(std::memory_order_acquire)) std::this_thread::yield();
  int next_once = 0;
  for (int n = 0; n < ops; n++) {
    int kind = static_cast<int>(rng() % 100);
    if (kind < 40) {  // private key: exact model
      int i = static_cast<int>(rng() % kPrivateKeys);
      std::string k = "p" + std::to_string(id) + "-" + std::to_string(i);
      int what = static_cast<int>(rng() % 4);
      if (what < 2) {
        Status s = Get(t, k, &v, &type);
        if (priv_model[i].empty()) {
          CHECKF(s == Status::kNotFound, "thread %d: deleted private key %s is %s", id, k.c_str(), fsmm::StatusName(s));
        } else {
          CHECKF(s == Status::kOk, "thread %d: private key %s missed (K4)", id, k.c_str());
          CHECKF(v == priv_model[i], "thread %d: private key %s has a different value", id, k.c_str());
        }
      } else if (what == 2) {
        std::string nv = Checksummed(rng, id);
        CHECK_ST(t->Put(U8(k), Len(k), U8(nv), Len(nv), fsmm::kTypeBinary, 0, PutMode::kUpsert), Status::kOk);
        priv_model[i] = nv;
      } else {
        CHECK_ST(Del(t, k), priv_model[i].empty() ? Status::kNotFound : Status::kOk);
        priv_model[i].clear();
      }
    } else if (kind < 85) {  // shared keys: any outcome, but never a torn value
      std::string k = "s" + std::to_string(rng() % kSharedKeys);
      int what = static_cast<int>(rng() % 6);
      if (what <= 1) {
        if (Get(t, k, &v) == Status::kOk) {
          sh->shared_gets.fetch_add(1, std::memory_order_relaxed);
          if (!ChecksumOk(v)) {
            sh->torn.fetch_add(1);
            CHECKF(false, "thread %d: torn read of %s (K3)", id, k.c_str());
          }
        }
      } else if (what == 2) {
        std::string nv = Checksummed(rng, id);
        CHECK_ST(t->Put(U8(k), Len(k), U8(nv), Len(nv), fsmm::kTypeBinary, 0, PutMode::kUpsert), Status::kOk);
      } else if (what == 3) {
        Del(t, k);
      } else if (what == 4) {  // cas from what we read
        if (Get(t, k, &v) == Status::kOk) {
          CHECK(ChecksumOk(v));
          std::string nv = Checksummed(rng, id);
          Status s = t->Cas(U8(k), Len(k), U8(v), Len(v), U8(nv), Len(nv), fsmm::kTypeBinary, 0);
          CHECK(s == Status::kOk || s == Status::kMismatch || s == Status::kNotFound);
        }
      } else {
        std::string nv = Checksummed(rng, id);
        Status s = t->Put(U8(k), Len(k), U8(nv), Len(nv), fsmm::kTypeBinary, 0,
                          rng() % 2 ? PutMode::kReplace : PutMode::kAdd);
        CHECK(s == Status::kOk || s == Status::kNotFound || s == Status::kExists);
      }
    } else if (kind < 95) {  // shared counter
      int64_t r = 0;
      CHECK_ST(t->Incr(U8("ctr"), 3, 1, 0, 0, &r), Status::kOk);
      CHECK(r >= 1);
      sh->incrs.fetch_add(1, std::memory_order_relaxed);
    } else if (next_once < kOnceKeys) {  // add: exactly one winner per key
      std::string k = "once-" + std::to_string(next_once);
      std::string val = std::to_string(id);
      Status s = t->Put(U8(k), Len(k), U8(val), Len(val), fsmm::kTypeString, 0, PutMode::kAdd);
      CHECK(s == Status::kOk || s == Status::kExists);
      if (s == Status::kOk) sh->add_wins[next_once].fetch_add(1);
      next_once++;
    }
  }
  // Final: private keys are exactly as modelled.
  for (int i = 0; i < kPrivateKeys; i++) {
    std::string k = "p" + std::to_string(id) + "-" + std::to_string(i);
    Status s = Get(t, k, &v);
    CHECK_ST(s, priv_model[i].empty() ? Status::kNotFound : Status::kOk);
    if (s == Status::kOk) CHECK(v == priv_model[i]);
  }
}

// Inserts and deletes keys colliding with the private and shared keys' homes,
// so their chains keep shifting under the readers.
void Churner(Table* t, int threads, int rounds, Shared* sh, std::atomic<bool>* stop) {
  const uint64_t sc = SlotCount(t);
  std::vector<std::string> keys;
  int n = 0;
  for (int id = 0; id < threads; id++) {  // homes of the private keys and the slot before each
    for (int i = 0; i < kPrivateKeys; i++) {
      uint64_t home = HomeOf("p" + std::to_string(id) + "-" + std::to_string(i), sc);
      keys.push_back(KeyWithHome("churn", home, sc, &n));
      keys.push_back(KeyWithHome("churn", (home + sc - 1) % sc, sc, &n));
    }
  }
  sh->ready.fetch_add(1);
  while (!sh->go.load(std::memory_order_acquire)) std::this_thread::yield();
  for (int r = 0; r < rounds && !stop->load(std::memory_order_relaxed); r++) {
    for (auto& k : keys) Set(t, k, "c");  // may be kFull: fine
    for (auto& k : keys) Del(t, k);
  }
}

bool t_has(Table& t, const std::string& k) { return t.Has(U8(k), Len(k)) == Status::kOk; }

void RunPhase(const char* label, int threads, int ops, bool shared_handle) {
  NameGuard guard(UniqueName("threads"));
  fsmm::OpenOptions opts = Options(guard.name, kMaxKeys, kKeySize, kValueSize);
  Table main_table;
  MustOpen(&main_table, opts);
  CHECK_ST(Set(&main_table, "ctr", "0"), Status::kOk);
  std::vector<std::unique_ptr<Table>> own;
  std::vector<Table*> handles;
  for (int i = 0; i <= threads; i++) {  // +1: the churner
    if (shared_handle) {
      handles.push_back(&main_table);
    } else {
      own.emplace_back(new Table);
      MustOpen(own.back().get(), opts);
      handles.push_back(own.back().get());
    }
  }
  Shared sh;
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; i++) pool.emplace_back(Worker, i, handles[i], ops, &sh);
  std::thread churn(Churner, handles[threads], threads, 1 << 30, &sh, &stop);
  while (sh.ready.load() < threads + 1) std::this_thread::yield();
  double start = NowSeconds();
  sh.go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  stop.store(true);
  churn.join();
  double elapsed = NowSeconds() - start;

  std::string v;
  CHECK_ST(Get(&main_table, "ctr", &v), Status::kOk);
  CHECKF(v == std::to_string(sh.incrs.load()), "counter %s, expected %" PRIu64, v.c_str(), sh.incrs.load());
  int once_keys = 0;
  for (int i = 0; i < kOnceKeys; i++) {
    std::string k = "once-" + std::to_string(i);
    if (t_has(main_table, k)) {
      once_keys++;
      CHECKF(sh.add_wins[i].load() == 1, "%s won %d times", k.c_str(), sh.add_wins[i].load());
    } else {
      CHECK(sh.add_wins[i].load() == 0);
    }
  }
  CHECK(sh.torn.load() == 0);
  CHECK_INVARIANTS(main_table);
  printf("  %s: %d threads + churner, %d ops each, %.2f s; incr %" PRIu64 ", shared gets %" PRIu64
         ", add-once keys %d\n",
         label, threads, ops, elapsed, sh.incrs.load(), sh.shared_gets.load(), once_keys);
}

// K4 head-on: one thread keeps deleting the head of a chain that shares its
// home with `target` and re-inserting it behind, so every delete shifts
// `target` back by one slot; readers look `target` up lock-free all the time
// and must never miss it (a miss would mean a probe stopped at a hole that
// the shift was about to fill, with move_epoch not consulted).
void RunShiftingChain(int readers, int rounds) {
  NameGuard guard(UniqueName("shift"));
  Table t;
  MustOpen(&t, Options(guard.name, 32, kKeySize, kValueSize));
  const uint64_t sc = SlotCount(&t);
  const std::string target = "target";
  const uint64_t home = HomeOf(target, sc);
  int n = 0;
  std::vector<std::string> chain;
  for (int i = 0; i < 6; i++) chain.push_back(KeyWithHome("front", home, sc, &n));
  for (auto& k : chain) CHECK_ST(Set(&t, k, "f"), Status::kOk);
  CHECK_ST(Set(&t, target, "the-target"), Status::kOk);
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<uint64_t> reads{0}, misses{0};
  std::vector<std::thread> pool;
  for (int r = 0; r < readers; r++) {
    pool.emplace_back([&] {
      std::string v;
      ready.fetch_add(1);
      while (!stop.load(std::memory_order_relaxed)) {
        Status s = Get(&t, target, &v);
        reads.fetch_add(1, std::memory_order_relaxed);
        if (s != Status::kOk || v != "the-target") misses.fetch_add(1);
      }
    });
  }
  while (ready.load() < readers) std::this_thread::yield();
  double start = NowSeconds();
  for (int i = 0; i < rounds && misses.load() == 0; i++) {
    const std::string& k = chain[static_cast<size_t>(i) % chain.size()];
    CHECK_ST(Del(&t, k), Status::kOk);  // the chain's head: everything behind it shifts
    CHECK_ST(Set(&t, k, "f"), Status::kOk);  // lands behind target
  }
  stop.store(true);
  for (auto& th : pool) th.join();
  CHECKF(misses.load() == 0, "%" PRIu64 " lock-free lookups of a present key missed during shifts (K4)", misses.load());
  CHECK_INVARIANTS(t);
  printf("  shifting chain: %d readers, %d delete+insert rounds, %" PRIu64 " lookups, no miss, %.2f s\n", readers,
         rounds, reads.load(), NowSeconds() - start);
}

// Trust window (layout.h N1-N4): one writer opens, renews and flushes windows,
// storing under each generation an entry whose value names that generation;
// readers call GetTrusted. N3 says a reader never trusts a generation whose
// flush completed before its call began: each reader loads `closed` (the
// highest generation whose flush has returned) before the call and checks
// that any value it got names a newer generation. A flushed generation's entry
// stays until two go-lives later, so a reader that paired an old generation
// with a newer window would find it (a review showed that deleting it at once
// let a GetTrusted without the second generation load pass).
void RunTrustWindow(int readers, int rounds) {
  NameGuard guard(UniqueName("trust"));
  Table t;
  MustOpen(&t, Options(guard.name, 64, kKeySize, kValueSize));
  std::atomic<uint64_t> closed{0};
  std::atomic<bool> done{false};
  std::atomic<uint64_t> hits{0}, untrusted{0};
  std::vector<std::thread> pool;
  std::atomic<int> started{0};
  for (int r = 0; r < readers; r++) {
    pool.emplace_back([&] {
      uint8_t out[kValueSize + 8];
      started.fetch_add(1, std::memory_order_release);
      while (!done.load(std::memory_order_acquire)) {
        uint64_t floor = closed.load(std::memory_order_acquire);
        uint32_t len = 0, type = 0;
        Status s = t.GetTrusted(U8("k"), 1, out, &len, &type);
        if (s == Status::kNotTrusted) {
          untrusted.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        if (s != Status::kOk) continue;
        uint64_t gen = strtoull(std::string(reinterpret_cast<char*>(out), len).c_str(), nullptr, 10);
        CHECKF(gen > floor, "a reader trusted generation %" PRIu64 " after its flush (closed %" PRIu64 ")", gen,
               floor);
        hits.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  while (started.load(std::memory_order_acquire) < readers) std::this_thread::yield();
  auto key_of = [](uint64_t gen) {
    uint8_t tag[fsmm::kMaxGenerationTagBytes];
    return std::string(reinterpret_cast<char*>(tag), fsmm::GenerationTag(gen, tag)) + "k";
  };
  double start = NowSeconds();
  for (int i = 0; i < rounds; i++) {
    uint64_t gen = t.TrustGoLive(Table::ClockMs() + 60000);
    std::string key = key_of(gen);
    CHECK_ST(Set(&t, key, std::to_string(gen)), Status::kOk);
    if (gen > 2) CHECK_ST(Del(&t, key_of(gen - 2)), Status::kOk);  // keeps the table from filling up
    for (int k = 0; k < 20; k++) CHECK(t.TrustRenew(gen, Table::ClockMs() + 60000));
    t.TrustFlush();
    closed.store(gen, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  CHECK_INVARIANTS(t);
  printf("  trust window: %d readers, %d go-live/flush rounds, %" PRIu64 " trusted hits, %" PRIu64
         " untrusted, %.2f s\n", readers, rounds, hits.load(), untrusted.load(), NowSeconds() - start);
}

// Guarded fills against invalidations (layout.h N5). The "source of truth" is
// an atomic version. Fillers snapshot the key's epoch, read the version, and
// fill it; the invalidator bumps the version, then invalidates, then publishes
// `applied` = the version whose invalidation has completed. A reader that loads
// `applied` before its GetTrusted must never see an older version: a refused
// fill must never have been visible, and an accepted one must be as new as every
// invalidation that completed before the read.
void RunGuardedFills(int fillers, int rounds) {
  NameGuard guard(UniqueName("fill"));
  Table t;
  MustOpen(&t, Options(guard.name, 64, kKeySize, kValueSize));
  const uint64_t gen = t.TrustGoLive(Table::ClockMs() + 3600 * 1000);
  const std::string key = "k";
  std::atomic<uint64_t> source{0}, applied{0};
  std::atomic<bool> done{false};
  std::atomic<uint64_t> fills{0}, refused{0}, reads{0};
  std::vector<std::thread> pool;
  for (int f = 0; f < fillers; f++) {
    pool.emplace_back([&] {
      while (!done.load(std::memory_order_acquire)) {
        uint64_t e = t.TrustEpoch(U8(key), Len(key));
        std::string v = std::to_string(source.load(std::memory_order_acquire));
        Status s = t.PutTrusted(U8(key), Len(key), U8(v), Len(v), fsmm::kTypeString, 0, gen, e);
        CHECK(s == Status::kOk || s == Status::kStale);
        (s == Status::kOk ? fills : refused).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  pool.emplace_back([&] {
    uint8_t out[kValueSize + 8];
    while (!done.load(std::memory_order_acquire)) {
      uint64_t floor = applied.load(std::memory_order_acquire);
      uint32_t len = 0, type = 0;
      if (t.GetTrusted(U8(key), Len(key), out, &len, &type) != Status::kOk) continue;
      uint64_t got = strtoull(std::string(reinterpret_cast<char*>(out), len).c_str(), nullptr, 10);
      CHECKF(got >= floor, "read version %" PRIu64 " after the invalidation of version %" PRIu64 " completed", got,
             floor);
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  });
  double start = NowSeconds();
  for (int i = 1; i <= rounds; i++) {
    source.store(static_cast<uint64_t>(i), std::memory_order_release);
    t.InvalidateTrusted(U8(key), Len(key));
    applied.store(static_cast<uint64_t>(i), std::memory_order_release);
    if (i % 64 == 0) std::this_thread::yield();
  }
  done.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  CHECK_INVARIANTS(t);
  printf("  guarded fills: %d fillers, %d invalidations, %" PRIu64 " fills, %" PRIu64 " refused, %" PRIu64
         " checked reads, %.2f s\n", fillers, rounds, fills.load(), refused.load(), reads.load(), NowSeconds() - start);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IONBF, 0);
  int threads = argc > 1 ? atoi(argv[1]) : 4;
  int ops = argc > 2 ? atoi(argv[2]) : 20000;
  CHECK(threads >= 1 && ops >= 1);
  printf("threads_test: one shared handle\n");
  RunPhase("shared handle", threads, ops, true);
  printf("threads_test: one handle per thread\n");
  RunPhase("handle per thread", threads, ops, false);
  printf("threads_test: lock-free lookups during backward shifts\n");
  RunShiftingChain(threads - 1, ops * 10);
  printf("threads_test: trust window flushes under readers\n");
  RunTrustWindow(threads - 1, ops / 4);
  printf("threads_test: guarded fills against invalidations\n");
  RunGuardedFills(threads - 1, ops);
  printf("threads_test: ok\n");
  return 0;
}
