// Shared helpers for the native core tests (LMDB mtest style: plain programs,
// one main() each, a failed CHECK prints where and aborts).
//
// Every test segment name comes from UniqueName() ("ntest-<tag>-<pid>-<n>")
// and is removed by a NameGuard when its scope ends. A failed CHECK aborts,
// so no guard runs: build.sh then removes the fsmm.ntest-* entries whose pid
// is gone, and fails the run.
#ifndef FSMM_TEST_NATIVE_CHECK_H_
#define FSMM_TEST_NATIVE_CHECK_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../../src/core/hash.h"
#include "../../src/core/layout.h"
#include "../../src/core/segment.h"
#include "../../src/core/status.h"
#include "../../src/core/table.h"

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
      abort();                                                                       \
    }                                                                                \
  } while (0)

// CHECK with a printf-style explanation.
#define CHECKF(cond, ...)                                                            \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);       \
      fprintf(stderr, __VA_ARGS__);                                                  \
      fputc('\n', stderr);                                                           \
      abort();                                                                       \
    }                                                                                \
  } while (0)

// The status of a core call, which must be `want`.
#define CHECK_ST(expr, want)                                                         \
  do {                                                                               \
    fsmm::Status st_ = (expr);                                                       \
    if (st_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: %s returned \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #expr, \
              fsmm::StatusName(st_), fsmm::StatusName(want));                        \
      abort();                                                                       \
    }                                                                                \
  } while (0)

#define CHECK_INVARIANTS(table)                                                      \
  do {                                                                               \
    std::string why_ = (table).CheckInvariants();                                    \
    CHECKF(why_.empty(), "CheckInvariants: %s", why_.c_str());                      \
  } while (0)

namespace ntest {

inline std::string UniqueName(const char* tag) {
  static std::atomic<int> counter{0};
  return "ntest-" + std::string(tag) + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

// Unlinks the segment (and its lock file) when the scope ends.
struct NameGuard {
  std::string name;
  explicit NameGuard(std::string n) : name(std::move(n)) {}
  ~NameGuard() {
    bool existed = false;
    fsmm::OpenError e;
    fsmm::Segment::Unlink(name, &existed, &e);
  }
};

inline fsmm::OpenOptions Options(const std::string& name, uint64_t max_keys, uint32_t key_size = 64,
                                 uint32_t value_size = 256, uint32_t evict = fsmm::kEvictNone) {
  fsmm::OpenOptions o;
  o.name = name;
  o.max_keys = max_keys;
  o.key_size = key_size;
  o.value_size = value_size;
  o.evict_mode = evict;
  return o;
}

inline void MustOpen(fsmm::Table* t, const fsmm::OpenOptions& o) {
  fsmm::OpenError e;
  fsmm::Status s = t->Open(o, &e);
  CHECKF(s == fsmm::Status::kOk, "Open(%s): %s", o.name.c_str(), e.message.c_str());
}

inline const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
inline uint32_t Len(const std::string& s) { return static_cast<uint32_t>(s.size()); }

inline fsmm::Status Set(fsmm::Table* t, const std::string& k, const std::string& v, uint64_t ttl = 0,
                        fsmm::PutMode mode = fsmm::PutMode::kUpsert) {
  return t->Put(U8(k), Len(k), U8(v), Len(v), fsmm::kTypeString, ttl, mode);
}

// Get into a string; returns the status. Buffer is sized for the largest value.
inline fsmm::Status Get(fsmm::Table* t, const std::string& k, std::string* out, uint32_t* type = nullptr) {
  static thread_local uint8_t buf[fsmm::kMaxValueSize + 8];
  uint32_t len = 0, ty = 0;
  fsmm::Status s = t->Get(U8(k), Len(k), buf, &len, &ty);
  if (s == fsmm::Status::kOk) {
    out->assign(reinterpret_cast<const char*>(buf), len);
    if (type) *type = ty;
  }
  return s;
}

inline fsmm::Status Del(fsmm::Table* t, const std::string& k) { return t->Delete(U8(k), Len(k)); }

inline uint64_t SlotCount(fsmm::Table* t) { return t->geometry().slot_count; }
inline uint64_t HomeOf(const std::string& k, uint64_t slot_count) {
  return fsmm::Fnv1a32(U8(k), k.size()) % slot_count;
}

// Keys "<prefix><n>" whose home slot is `home`, for forced collisions.
inline std::string KeyWithHome(const std::string& prefix, uint64_t home, uint64_t slot_count, int* n) {
  for (;; (*n)++) {
    std::string k = prefix + std::to_string(*n);
    if (HomeOf(k, slot_count) == home) {
      (*n)++;
      return k;
    }
  }
}

// A read-only view of a segment's slots, mapped independently of the Table,
// so tests can see where each key lives (layout.h is the contract).
class SlotView {
 public:
  explicit SlotView(const std::string& name) {
    int fd = shm_open(fsmm::ShmNameFor(name).c_str(), O_RDONLY, 0);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    size_ = static_cast<size_t>(st.st_size);
    void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(p != MAP_FAILED);
    base_ = static_cast<const uint8_t*>(p);
    const fsmm::Header* h = reinterpret_cast<const fsmm::Header*>(base_);
    CHECK(g_.Compute(h->max_keys, h->key_size, h->value_size));
  }
  ~SlotView() { munmap(const_cast<uint8_t*>(base_), size_); }
  const fsmm::Geometry& geometry() const { return g_; }
  uint32_t Info(uint64_t i) const {
    return reinterpret_cast<const fsmm::SlotMeta*>(Slot(i))->info.load(std::memory_order_relaxed);
  }
  uint32_t State(uint64_t i) const { return fsmm::InfoState(Info(i)); }
  std::string Key(uint64_t i) const {
    return std::string(reinterpret_cast<const char*>(Slot(i) + fsmm::kRecordMetaBytes), fsmm::InfoKeyLen(Info(i)));
  }
  // Slot index holding key k (LIVE), or -1.
  int64_t Find(const std::string& k) const {
    for (uint64_t i = 0; i < g_.slot_count; i++) {
      if (State(i) == fsmm::kLive && Key(i) == k) return static_cast<int64_t>(i);
    }
    return -1;
  }
  uint64_t MoveEpoch() const {
    return reinterpret_cast<const fsmm::Header*>(base_)->move_epoch.load(std::memory_order_relaxed);
  }

 private:
  const uint8_t* Slot(uint64_t i) const { return base_ + g_.slots_offset + i * g_.slot_bytes; }
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  fsmm::Geometry g_;
};

inline double NowSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The model's copy of the core's strict decimal rule for incr (table.cc
// ParseInt64): optional '-', digits only, within int64. Kept independent of
// the core on purpose, so a model check can catch a change in the core's rule.
inline bool ModelParseInt(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  unsigned __int128 v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
    if (v > (static_cast<unsigned __int128>(1) << 63)) return false;
  }
  bool neg = s[0] == '-';
  if (!neg && v > static_cast<unsigned __int128>(INT64_MAX)) return false;
  *out = neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
  return true;
}

}  // namespace ntest

#endif  // FSMM_TEST_NATIVE_CHECK_H_
