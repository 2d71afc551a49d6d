// Table operations. The rules cited as K*, M*, R*, L* are in layout.h.
//
// Memory orderings used here, each the weakest that is correct:
//   seq / move_epoch writers: relaxed store of the odd value, release fence,
//     relaxed data stores, release store of the even value (K3).
//   readers: acquire load of seq/epoch, relaxed data loads, acquire fence,
//     relaxed re-load (K3). Data is copied with relaxed atomic word loads so
//     the race with writers is defined behaviour (and quiet under TSan).
//   counters (count, ttl_entries, stats): relaxed; they are never used to
//     order other memory. count is only written under structure.
#include "table.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>

#include "hash.h"
#include "robust_mutex.h"

namespace fsmm {

namespace {

constexpr int kOptimisticAttempts = 64;   // R5: failed validations before a reader takes the locks
constexpr int kEpochSpins = 1 << 14;      // R5: pauses waiting for a running shift (~0.5 ms)
constexpr int kStableSpins = 256;         // spins on an odd seq before locking the slot
constexpr uint64_t kNoExpiryHint = UINT64_MAX;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline uint64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

inline uint64_t ExpiryFor(uint64_t ttl_ms, uint64_t now) {
  if (ttl_ms == 0) return 0;
  uint64_t e = now + ttl_ms;
  return e < now ? UINT64_MAX - 1 : e;  // saturate
}

inline bool IsExpired(uint64_t expiry, uint64_t now) { return expiry != 0 && now >= expiry; }

// Relaxed word-wise copies between private memory and the mapping (K3).
inline void LoadWords(uint64_t* dst, const uint8_t* src, size_t bytes) {
  const uint64_t* s = reinterpret_cast<const uint64_t*>(src);
  for (size_t w = 0, n = (bytes + 7) / 8; w < n; w++) dst[w] = __atomic_load_n(s + w, __ATOMIC_RELAXED);
}
inline void StoreWords(uint8_t* dst, const uint64_t* src, size_t bytes) {
  uint64_t* d = reinterpret_cast<uint64_t*>(dst);
  for (size_t w = 0, n = (bytes + 7) / 8; w < n; w++) __atomic_store_n(d + w, src[w], __ATOMIC_RELAXED);
}
// Stores len bytes from an unaligned source, zero-padding the last word.
inline void StoreBytes(uint8_t* dst, const uint8_t* src, size_t len) {
  uint64_t* d = reinterpret_cast<uint64_t*>(dst);
  size_t full = len / 8;
  for (size_t w = 0; w < full; w++) {
    uint64_t v;
    memcpy(&v, src + w * 8, 8);
    __atomic_store_n(d + w, v, __ATOMIC_RELAXED);
  }
  if (len % 8) {
    uint64_t v = 0;
    memcpy(&v, src + full * 8, len % 8);
    __atomic_store_n(d + full, v, __ATOMIC_RELAXED);
  }
}

inline void FetchMin(std::atomic<uint64_t>* a, uint64_t v) {
  uint64_t cur = a->load(std::memory_order_relaxed);
  while (v < cur && !a->compare_exchange_weak(cur, v, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

// Strict decimal int64 parse: optional '-', 1..19 digits, nothing else.
bool ParseInt64(const uint8_t* s, uint32_t len, int64_t* out) {
  if (len == 0 || len > 20) return false;
  uint32_t i = 0;
  bool neg = s[0] == '-';
  if (neg) i = 1;
  if (i == len) return false;
  unsigned __int128 v = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > (static_cast<unsigned __int128>(1) << 63)) return false;
  }
  if (!neg && v > static_cast<unsigned __int128>(INT64_MAX)) return false;
  *out = neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
  return true;
}

uint32_t FormatInt64(int64_t v, uint8_t* out) {
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  memcpy(out, buf, static_cast<size_t>(n));
  return static_cast<uint32_t>(n);
}

}  // namespace

// The caller's key, hashed once, zero-padded to whole words (so KeyEquals can
// compare words: stored keys are zero-padded too, see StoreBytes).
struct Table::KeyRef {
  uint64_t words[(kMaxKeySize + 8) / 8];
  uint32_t len;
  uint32_t hash;
  uint64_t home;
};

struct Table::Mutation {
  enum Kind { kPut, kCas, kIncr, kExpire } kind;
  PutMode mode = PutMode::kUpsert;
  const uint8_t* value = nullptr;
  uint32_t value_len = 0;
  uint32_t type = kTypeString;
  const uint8_t* expected = nullptr;
  uint32_t expected_len = 0;
  int64_t delta = 0, initial = 0, result = 0;
  uint64_t ttl_ms = 0;
  uint8_t number[24];  // incr's decimal output
  const FillGuard* guard = nullptr;  // PutTrusted: checked under structure (N5)
};

struct Table::FillGuard {
  uint64_t gen;
  uint64_t epoch;
  std::atomic<uint64_t>* stripe;
};

// ---------------------------------------------------------------------------
// Open / close and per-handle counters

Status Table::Open(const OpenOptions& opts, OpenError* error) {
  Close();
  Status s = segment_.Open(opts, error);
  if (s != Status::kOk) return s;
  g_ = segment_.geometry();
  base_ = segment_.base();
  h_ = segment_.header();
  ref_ = base_ + g_.ref_offset;
  lru_ = h_->evict_mode == kEvictLru;
  {
    uint64_t head = kRecordMetaBytes + RoundUp(g_.key_size, 8) + std::min<uint32_t>(g_.value_size, 128);
    prefetch_lines_ = static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>((head + kLine - 1) / kLine, 1), 5));
  }
  touch_on_read_ = lru_ && !opts.observe;
  // Claim a stat block: a free one, else one whose process is gone (its
  // counters are folded into the retired totals first). Claims and folds run
  // under structure so two claimers cannot fold one block twice; the liveness
  // probes (kill(pid, 0), a syscall) run outside it (K6).
  StatBlock* blocks = reinterpret_cast<StatBlock*>(base_ + kHeaderBytes);
  const uint32_t pid = static_cast<uint32_t>(getpid());
  stats_ = nullptr;
  uint32_t dead[kStatBlocks];
  for (int pass = 0; pass < 2 && stats_ == nullptr; pass++) {
    if (pass == 1) {
      for (uint32_t b = 0; b < kStatBlocks; b++) {
        uint32_t owner = blocks[b].owner_pid.load(std::memory_order_relaxed);
        dead[b] = owner != 0 && kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH ? owner : 0;
      }
    }
    LockStructure();
    for (uint32_t b = 0; b < kStatBlocks && stats_ == nullptr; b++) {
      uint32_t owner = blocks[b].owner_pid.load(std::memory_order_relaxed);
      if (owner != 0 && (pass == 0 || owner != dead[b])) continue;
      if (owner != 0) {  // its process is gone: fold
        StatBlock& d = blocks[b];
        h_->retired_hits.fetch_add(d.hits.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
        h_->retired_misses.fetch_add(d.misses.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
        h_->retired_sets.fetch_add(d.sets.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
        h_->retired_deletes.fetch_add(d.deletes.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
      }
      blocks[b].owner_pid.store(pid, std::memory_order_relaxed);
      stats_ = &blocks[b];
    }
    UnlockStructure();
  }
  own_block_ = stats_ != nullptr;
  if (!own_block_) stats_ = &h_->shared_stats;
  return Status::kOk;
}

void Table::Close() {
  if (h_ == nullptr) return;
  if (own_block_) {
    h_->retired_hits.fetch_add(stats_->hits.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
    h_->retired_misses.fetch_add(stats_->misses.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
    h_->retired_sets.fetch_add(stats_->sets.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
    h_->retired_deletes.fetch_add(stats_->deletes.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
    stats_->owner_pid.store(0, std::memory_order_release);
  }
  stats_ = nullptr;
  h_ = nullptr;
  base_ = nullptr;
  ref_ = nullptr;
  segment_.Close();
}

void Table::CountHit(bool hit) {
  if (!counting_) return;
  std::atomic<uint64_t>& c = hit ? stats_->hits : stats_->misses;
  if (own_block_) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // single writer
  } else {
    c.fetch_add(1, std::memory_order_relaxed);
  }
}

void Table::CountWrite(std::atomic<uint64_t> StatBlock::*field) {
  if (!counting_) return;
  std::atomic<uint64_t>& c = stats_->*field;
  if (own_block_) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  } else {
    c.fetch_add(1, std::memory_order_relaxed);
  }
}

// ---------------------------------------------------------------------------
// Keys, locks, records

uint64_t Table::HomeOfSlot(uint64_t i) const {
  uint32_t info = Meta(i)->info.load(std::memory_order_relaxed);
  uint32_t len = std::min(InfoKeyLen(info), g_.key_size);  // L4
  uint64_t words[(kMaxKeySize + 8) / 8];
  LoadWords(words, KeyPtr(i), len);
  return HomeOf(Fnv1a32(reinterpret_cast<const uint8_t*>(words), len));
}

bool Table::KeyEquals(uint64_t i, const KeyRef& k) const {
  const uint64_t* s = reinterpret_cast<const uint64_t*>(KeyPtr(i));
  for (size_t w = 0, n = (k.len + 7) / 8; w < n; w++) {
    if (__atomic_load_n(s + w, __ATOMIC_RELAXED) != k.words[w]) return false;
  }
  return true;
}

void Table::LockStructure() {
  if (LockShared(&h_->structure) == LockResult::kOwnerDied) {
    RepairLocked();  // R3
    MarkConsistent(&h_->structure);
  }
}

void Table::UnlockStructure() { UnlockShared(&h_->structure); }

bool Table::LockSlot(uint64_t i) {
  pthread_mutex_t* m = SlotMutex(i);
  if (LockShared(m) == LockResult::kAcquired) return false;
  SlotMeta* meta = Meta(i);
  uint32_t seq = meta->seq.load(std::memory_order_relaxed);
  bool torn = seq & 1;
  if (torn) {  // R1: the dead owner was writing this record
    uint32_t info = meta->info.load(std::memory_order_relaxed);
    // An EMPTY info means the owner was emptying the slot or had not yet
    // published its record (writers store info EMPTY first, LIVE last): the
    // slot is EMPTY, not TORN. Marking it TORN would create an entry that
    // count does not include (layout.h L5, CheckInvariants). Found by
    // fuzz/attach_fuzzer (an owner-dead slot mutex on an EMPTY slot).
    if (InfoState(info) == kEmpty) {
      torn = false;
    } else {
      meta->info.store(PackInfo(kTorn, InfoType(info), InfoKeyLen(info), 0), std::memory_order_relaxed);
      h_->torn_seen.store(1, std::memory_order_relaxed);  // lets a full table find it (MakeRoomLocked)
    }
    meta->seq.store(seq + 1, std::memory_order_release);
  }
  h_->recoveries.fetch_add(1, std::memory_order_relaxed);
  MarkConsistent(m);  // R2 when not torn
  return torn;
}

void Table::UnlockSlot(uint64_t i) { UnlockShared(SlotMutex(i)); }

uint32_t Table::StableInfo(uint64_t i) {
  SlotMeta* m = Meta(i);
  for (int spin = 0; spin < kStableSpins; spin++) {
    uint32_t s1 = m->seq.load(std::memory_order_acquire);
    if (!(s1 & 1)) {
      uint32_t info = m->info.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (m->seq.load(std::memory_order_relaxed) == s1) return info;
    }
    CpuRelax();
  }
  LockSlot(i);  // a slow or dead in-place writer: wait for it or recover (R1)
  uint32_t info = m->info.load(std::memory_order_relaxed);
  UnlockSlot(i);
  return info;
}

void Table::WriteRecordLocked(uint64_t i, const KeyRef* key, uint32_t state, uint32_t type, const uint8_t* value,
                              uint32_t value_len, uint64_t expiry, bool write_value) {
  SlotMeta* m = Meta(i);
  uint32_t seq = m->seq.load(std::memory_order_relaxed);
  uint32_t key_len = key ? key->len : InfoKeyLen(m->info.load(std::memory_order_relaxed));
  m->seq.store(seq + 1, std::memory_order_relaxed);  // K3
  std::atomic_thread_fence(std::memory_order_release);
  if (key) StoreWords(KeyPtr(i), key->words, key->len);
  if (write_value) StoreBytes(ValuePtr(i), value, value_len);
  m->expiry.store(expiry, std::memory_order_relaxed);
  m->info.store(PackInfo(state, type, key_len, value_len), std::memory_order_relaxed);
  if (key) MaybeCrash(CrashPoint::kInsertMidWrite);
  else MaybeCrash(CrashPoint::kUpdateMidWrite);
  m->seq.store(seq + 2, std::memory_order_release);
}

void Table::WriteEmptyLocked(uint64_t i) {
  SlotMeta* m = Meta(i);
  uint32_t seq = m->seq.load(std::memory_order_relaxed);
  m->seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  m->info.store(PackInfo(kEmpty, 0, 0, 0), std::memory_order_relaxed);
  m->expiry.store(0, std::memory_order_relaxed);
  m->seq.store(seq + 2, std::memory_order_release);
}

// A state-only change (LIVE <-> MOVING) publishes no new data, so it needs no
// odd window: readers that straddle it see the seq move and retry, and a
// writer that dies here leaves an even seq and a whole record (R2), which R3
// resolves by state. An odd window would make R1 drop the whole entry.
void Table::SetStateLocked(uint64_t i, uint32_t state) {
  SlotMeta* m = Meta(i);
  uint32_t seq = m->seq.load(std::memory_order_relaxed);
  uint32_t info = m->info.load(std::memory_order_relaxed);
  m->info.store(PackInfo(state, InfoType(info), InfoKeyLen(info), InfoValueLen(info)), std::memory_order_relaxed);
  m->seq.store(seq + 2, std::memory_order_release);
}

// The writer side of next_expiry_hint (see SweepExpiredLocked): the expiry was
// stored before this call; the seq_cst fence orders that store before the
// load of the hint. Paired with the fence after the sweep's reset, at least
// one side sees the other (no store-buffering outcome): either the sweep reads
// this expiry, or this writer reads the reset hint and lowers it.
void Table::NoteExpiry(uint64_t expiry) {
  if (expiry == 0) return;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  FetchMin(&h_->next_expiry_hint, expiry);
}

// ---------------------------------------------------------------------------
// Lock-free reads

int64_t Table::FindOptimistic(const KeyRef& k) const {
  uint64_t i = k.home;
  for (uint64_t n = 0; n < g_.slot_count; n++) {
    uint32_t info = Meta(i)->info.load(std::memory_order_acquire);
    uint32_t state = InfoState(info);
    if (state == kEmpty) return -1;
    if (state != kTorn && InfoKeyLen(info) == k.len && KeyEquals(i, k)) return static_cast<int64_t>(i);
    i = Next(i);
  }
  return -1;
}

template <bool kCopyValue>
Status Table::ReadOptimistic(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type,
                             uint64_t* expiry) {
  for (int attempt = 0; attempt < kOptimisticAttempts; attempt++) {
    // A delete/shift is running (K4): wait for it rather than spend attempts;
    // one that stays odd this long may have died, and the locked path repairs it.
    uint64_t e1 = h_->move_epoch.load(std::memory_order_acquire);
    for (int spin = 0; (e1 & 1) && spin < kEpochSpins; spin++) {
      CpuRelax();
      e1 = h_->move_epoch.load(std::memory_order_acquire);
    }
    if (e1 & 1) break;
    uint64_t i = k.home;
    bool retry = false;
    for (uint64_t n = 0; n < g_.slot_count; n++) {
      SlotMeta* m = Meta(i);
      uint32_t s1 = m->seq.load(std::memory_order_acquire);
      for (int spin = 0; (s1 & 1) && spin < kStableSpins; spin++) {  // a writer is in this slot
        CpuRelax();
        s1 = m->seq.load(std::memory_order_acquire);
      }
      if (s1 & 1) {
        retry = true;
        break;
      }
      uint32_t info = m->info.load(std::memory_order_relaxed);
      uint32_t state = InfoState(info);
      if (state == kEmpty) break;  // validated by the epoch check below
      if (state != kTorn && InfoKeyLen(info) == k.len && KeyEquals(i, k)) {
        uint32_t len = std::min(InfoValueLen(info), g_.value_size);  // L4
        *expiry = m->expiry.load(std::memory_order_relaxed);
        if (kCopyValue) LoadWords(reinterpret_cast<uint64_t*>(out), ValuePtr(i), len);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (m->seq.load(std::memory_order_relaxed) != s1) {
          retry = true;
          break;
        }
        if (kCopyValue) {
          *out_len = len;
          *out_type = InfoType(info);
        }
        // CLOCK bit: written only when clear, so hot reads dirty no shared line.
        if (touch_on_read_ && __atomic_load_n(&ref_[i], __ATOMIC_RELAXED) == 0) __atomic_store_n(&ref_[i], 1, __ATOMIC_RELAXED);
        return Status::kOk;
      }
      i = Next(i);
    }
    if (!retry) {
      std::atomic_thread_fence(std::memory_order_acquire);
      if (h_->move_epoch.load(std::memory_order_relaxed) == e1) return Status::kNotFound;
    }
    CpuRelax();
  }
  return Status::kInvalid;  // not settled: caller falls back to ReadLocked (R5)
}

template <bool kCopyValue>
Status Table::ReadLocked(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type, uint64_t* expiry) {
  LockStructure();
  uint64_t free_slot;
  int64_t found = FindLocked(k, &free_slot);
  Status s = Status::kNotFound;
  if (found >= 0) {
    uint64_t i = static_cast<uint64_t>(found);
    bool torn = LockSlot(i);
    SlotMeta* m = Meta(i);
    uint32_t info = m->info.load(std::memory_order_relaxed);
    if (!torn) {
      uint32_t len = std::min(InfoValueLen(info), g_.value_size);
      *expiry = m->expiry.load(std::memory_order_relaxed);
      if (kCopyValue) {
        LoadWords(reinterpret_cast<uint64_t*>(out), ValuePtr(i), len);
        *out_len = len;
        *out_type = InfoType(info);
      }
      s = Status::kOk;
    }
    UnlockSlot(i);
    if (torn) RemoveAtLocked(i, RemoveReason::kTorn, 0);
  }
  UnlockStructure();
  return s;
}

// Starts loading the home slot's first lines (meta, key, the head of the value
// and, for writers, the mutex) so their cache misses overlap instead of
// queueing behind the seq load: a hit costs about one memory latency. The line
// count (prefetch_lines_, set at open) covers meta + key + 128 bytes of value,
// so a larger key (the near cache's tagged keys) does not leave the value's
// head to a demand miss.
void Table::Prefetch(uint64_t i, bool for_write) const {
  const uint8_t* s = Slot(i);
  for (uint32_t l = 0; l < prefetch_lines_; l++) __builtin_prefetch(s + l * kLine, 0, 3);
  if (for_write) __builtin_prefetch(s + g_.mutex_offset, 1, 3);
}

template <bool kCopyValue>
Status Table::Read(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type, uint64_t* expiry) {
  Prefetch(k.home, false);
  Status s = ReadOptimistic<kCopyValue>(k, out, out_len, out_type, expiry);
  if (s == Status::kInvalid) s = ReadLocked<kCopyValue>(k, out, out_len, out_type, expiry);
  if (s == Status::kOk && *expiry != 0 && IsExpired(*expiry, NowMs())) s = Status::kNotFound;
  return s;
}

#define FSMM_MAKE_KEY(k, key, key_len)                                   \
  if ((key_len) > g_.key_size) return Status::kInvalid;                  \
  KeyRef k;                                                              \
  k.len = (key_len);                                                     \
  k.words[(k.len + 7) / 8 > 0 ? (k.len + 7) / 8 - 1 : 0] = 0;            \
  if (k.len) memcpy(k.words, (key), k.len);                              \
  k.hash = Fnv1a32(reinterpret_cast<const uint8_t*>(k.words), k.len);    \
  k.home = HomeOf(k.hash)

Status Table::Get(const uint8_t* key, uint32_t key_len, uint8_t* out, uint32_t* out_len, uint32_t* out_type) {
  FSMM_MAKE_KEY(k, key, key_len);
  uint64_t expiry = 0;
  Status s = Read<true>(k, out, out_len, out_type, &expiry);
  CountHit(s == Status::kOk);
  return s;
}

Status Table::Has(const uint8_t* key, uint32_t key_len) {
  FSMM_MAKE_KEY(k, key, key_len);
  uint64_t expiry = 0;
  return Read<false>(k, nullptr, nullptr, nullptr, &expiry);
}

Status Table::Ttl(const uint8_t* key, uint32_t key_len, int64_t* remaining_ms) {
  FSMM_MAKE_KEY(k, key, key_len);
  uint64_t expiry = 0;
  Status s = ReadOptimistic<false>(k, nullptr, nullptr, nullptr, &expiry);
  if (s == Status::kInvalid) s = ReadLocked<false>(k, nullptr, nullptr, nullptr, &expiry);
  if (s != Status::kOk) return s;
  if (expiry == 0) {
    *remaining_ms = -1;
    return Status::kOk;
  }
  uint64_t now = NowMs();
  if (now >= expiry) return Status::kNotFound;
  *remaining_ms = static_cast<int64_t>(std::min<uint64_t>(expiry - now, INT64_MAX));
  return Status::kOk;
}

// ---------------------------------------------------------------------------
// Writes

Status Table::ApplyLocked(uint64_t i, const KeyRef& k, Mutation* m, uint64_t now, bool present) {
  // present: slot i holds k (LIVE) under its mutex; false: insert into EMPTY slot i.
  // now == 0: the clock has not been read; it is read only if an expiry is involved.
  SlotMeta* meta = Meta(i);
  uint32_t info = meta->info.load(std::memory_order_relaxed);
  uint64_t old_expiry = present ? meta->expiry.load(std::memory_order_relaxed) : 0;
  if (now == 0 && (old_expiry != 0 || m->ttl_ms != 0)) now = NowMs();
  bool alive = present && !IsExpired(old_expiry, now);
  const uint8_t* value = m->value;
  uint32_t value_len = m->value_len;
  uint32_t type = m->type;
  uint64_t expiry = ExpiryFor(m->ttl_ms, now);
  bool write_value = true;
  switch (m->kind) {
    case Mutation::kPut:
      if (m->mode == PutMode::kAdd && alive) return Status::kExists;
      if (m->mode == PutMode::kReplace && !alive) return Status::kNotFound;
      break;
    case Mutation::kCas: {
      if (!alive) return Status::kNotFound;
      uint32_t cur_len = std::min(InfoValueLen(info), g_.value_size);
      if (cur_len != m->expected_len || memcmp(ValuePtr(i), m->expected, cur_len) != 0) return Status::kMismatch;
      break;
    }
    case Mutation::kIncr: {
      int64_t base = m->initial;
      if (alive) {
        uint32_t cur_len = std::min(InfoValueLen(info), g_.value_size);
        if (InfoType(info) != kTypeString || !ParseInt64(ValuePtr(i), cur_len, &base)) return Status::kNotInteger;
        expiry = old_expiry;  // incr keeps the expiry of a live key
      }
      int64_t r;
      if (__builtin_add_overflow(base, m->delta, &r) || r > kMaxSafeInteger || r < -kMaxSafeInteger) {
        return Status::kOutOfRange;
      }
      m->result = r;
      value_len = FormatInt64(r, m->number);
      if (value_len > g_.value_size) return Status::kTooLarge;
      value = m->number;
      type = kTypeString;
      break;
    }
    case Mutation::kExpire:
      if (!alive) return Status::kNotFound;
      write_value = false;
      value_len = InfoValueLen(info);
      type = InfoType(info);
      break;
  }
  if (old_expiry == 0 && expiry != 0) h_->ttl_entries.fetch_add(1, std::memory_order_relaxed);
  WriteRecordLocked(i, present ? nullptr : &k, kLive, type, value, value_len, expiry, write_value);
  if (lru_) __atomic_store_n(&ref_[i], 1, __ATOMIC_RELAXED);
  // ttl_entries is raised before and lowered after the write, so a writer that
  // dies mid-write can only leave it too high (harmless: a sweep that finds nothing).
  if (old_expiry != 0 && expiry == 0) h_->ttl_entries.fetch_sub(1, std::memory_order_relaxed);
  NoteExpiry(expiry);
  if (present && IsExpired(old_expiry, now)) h_->expired.fetch_add(1, std::memory_order_relaxed);
  return Status::kOk;
}

Status Table::Mutate(const KeyRef& k, Mutation* m) {
  Prefetch(k.home, true);
  // 1. Fast path: the key is present; only its slot mutex is needed (K5).
  // A guarded fill always takes the slow path: its check must hold structure (N5).
  for (int attempt = 0; attempt < (m->guard ? 0 : 4); attempt++) {
    int64_t found = FindOptimistic(k);
    if (found < 0) break;
    uint64_t i = static_cast<uint64_t>(found);
    if (LockSlot(i)) {  // R1, without structure: unlock, then remove under structure
      UnlockSlot(i);
      RemoveTornSlot(i);
      continue;
    }
    uint32_t info = Meta(i)->info.load(std::memory_order_relaxed);
    if (InfoState(info) == kLive && InfoKeyLen(info) == k.len && KeyEquals(i, k)) {
      Status s = ApplyLocked(i, k, m, 0, true);
      UnlockSlot(i);
      return s;
    }
    UnlockSlot(i);
    if (InfoState(info) == kMoving) {  // M1: wait for the mover (or repair it, R3)
      LockStructure();
      UnlockStructure();
    }
  }
  // 2. Slow path under structure (K1): insert, or the key moved under us.
  LockStructure();
  if (m->guard) {  // N5: an invalidation holds structure too, so this check stays true until we unlock
    const FillGuard& g = *m->guard;
    if (TrustedGeneration(nullptr) != g.gen || g.stripe->load(std::memory_order_relaxed) != g.epoch) {
      UnlockStructure();
      return Status::kStale;
    }
  }
  Status s;
  for (;;) {
    uint64_t now = 0;  // read lazily: only expiry handling and MakeRoomLocked need the clock
    uint64_t free_slot = 0;
    int64_t found = FindLocked(k, &free_slot);
    if (found >= 0) {
      uint64_t i = static_cast<uint64_t>(found);
      if (LockSlot(i)) {
        UnlockSlot(i);
        RemoveAtLocked(i, RemoveReason::kTorn, now);
        continue;
      }
      s = ApplyLocked(i, k, m, now, true);
      UnlockSlot(i);
      break;
    }
    // Absent. Only put (upsert/add) and incr create a key.
    if ((m->kind == Mutation::kPut && m->mode == PutMode::kReplace) || m->kind == Mutation::kCas ||
        m->kind == Mutation::kExpire) {
      s = Status::kNotFound;
      break;
    }
    if (m->kind == Mutation::kIncr) {
      // A new key's value is initial + delta. Refuse an out-of-range result
      // here, before MakeRoomLocked can evict an entry for an incr that then
      // stores nothing (table.h: kOutOfRange means nothing changed). Found by
      // fuzz/ops_fuzzer; regression in test/native/core_test.cc.
      int64_t r;
      uint8_t digits[24];
      if (__builtin_add_overflow(m->initial, m->delta, &r) || r > kMaxSafeInteger || r < -kMaxSafeInteger) {
        s = Status::kOutOfRange;
        break;
      }
      if (FormatInt64(r, digits) > g_.value_size) {
        m->result = r;
        s = Status::kTooLarge;
        break;
      }
    }
    if (h_->count.load(std::memory_order_relaxed) >= g_.max_keys) {
      if (!MakeRoomLocked(NowMs())) {
        s = Status::kFull;
        break;
      }
      MaybeCrash(CrashPoint::kEvictMidway);
      continue;  // the shift moved entries: find the free slot again
    }
    LockSlot(free_slot);  // EMPTY; R2 applies if a dead inserter left it locked
    s = ApplyLocked(free_slot, k, m, now, false);
    UnlockSlot(free_slot);
    if (s == Status::kOk) {
      MaybeCrash(CrashPoint::kInsertBeforeCount);
      h_->count.fetch_add(1, std::memory_order_relaxed);
    }
    break;
  }
  UnlockStructure();
  return s;
}

Status Table::Put(const uint8_t* key, uint32_t key_len, const uint8_t* value, uint32_t value_len, uint32_t type,
                  uint64_t ttl_ms, PutMode mode) {
  FSMM_MAKE_KEY(k, key, key_len);
  return PutRef(k, value, value_len, type, ttl_ms, mode, nullptr);
}

// Put and PutTrusted: a put of a built key, optionally guarded (N5).
Status Table::PutRef(const KeyRef& k, const uint8_t* value, uint32_t value_len, uint32_t type, uint64_t ttl_ms,
                     PutMode mode, const FillGuard* guard) {
  if (value_len > g_.value_size || type > kTypeBinary) return Status::kInvalid;
  Mutation m;
  m.kind = Mutation::kPut;
  m.mode = mode;
  m.value = value;
  m.value_len = value_len;
  m.type = type;
  m.ttl_ms = ttl_ms;
  m.guard = guard;
  Status s = Mutate(k, &m);
  if (s == Status::kOk) CountWrite(&StatBlock::sets);
  return s;
}

Status Table::Cas(const uint8_t* key, uint32_t key_len, const uint8_t* expected, uint32_t expected_len,
                  const uint8_t* value, uint32_t value_len, uint32_t type, uint64_t ttl_ms) {
  FSMM_MAKE_KEY(k, key, key_len);
  if (value_len > g_.value_size || type > kTypeBinary) return Status::kInvalid;
  Mutation m;
  m.kind = Mutation::kCas;
  m.expected = expected;
  m.expected_len = expected_len;
  m.value = value;
  m.value_len = value_len;
  m.type = type;
  m.ttl_ms = ttl_ms;
  Status s = Mutate(k, &m);
  if (s == Status::kOk) CountWrite(&StatBlock::sets);
  return s;
}

Status Table::Incr(const uint8_t* key, uint32_t key_len, int64_t delta, int64_t initial, uint64_t ttl_ms,
                   int64_t* result) {
  FSMM_MAKE_KEY(k, key, key_len);
  Mutation m;
  m.kind = Mutation::kIncr;
  m.delta = delta;
  m.initial = initial;
  m.ttl_ms = ttl_ms;
  Status s = Mutate(k, &m);
  if (s == Status::kOk || s == Status::kTooLarge) *result = m.result;
  if (s == Status::kOk) CountWrite(&StatBlock::sets);
  return s;
}

Status Table::Expire(const uint8_t* key, uint32_t key_len, uint64_t ttl_ms) {
  FSMM_MAKE_KEY(k, key, key_len);
  Mutation m;
  m.kind = Mutation::kExpire;
  m.ttl_ms = ttl_ms;
  return Mutate(k, &m);
}

Status Table::Delete(const uint8_t* key, uint32_t key_len) {
  FSMM_MAKE_KEY(k, key, key_len);
  LockStructure();
  uint64_t free_slot;
  int64_t found = FindLocked(k, &free_slot);
  Status s = Status::kNotFound;
  if (found >= 0) {
    bool alive = false;
    if (RemoveAtLocked(static_cast<uint64_t>(found), RemoveReason::kDelete, 0, &alive) && alive) s = Status::kOk;
  }
  UnlockStructure();
  if (s == Status::kOk) CountWrite(&StatBlock::deletes);
  return s;
}

void Table::Clear() {
  LockStructure();
  BeginMoves();
  uint64_t half = g_.slot_count / 2;
  for (uint64_t i = 0; i < g_.slot_count; i++) {
    if (i == half) MaybeCrash(CrashPoint::kClearMidway);
    if (InfoState(Meta(i)->info.load(std::memory_order_relaxed)) == kEmpty) continue;
    LockSlot(i);
    WriteEmptyLocked(i);
    UnlockSlot(i);
    h_->count.fetch_sub(1, std::memory_order_relaxed);
  }
  h_->count.store(0, std::memory_order_relaxed);
  h_->ttl_entries.store(0, std::memory_order_relaxed);
  h_->next_expiry_hint.store(kNoExpiryHint, std::memory_order_relaxed);
  EndMoves();
  UnlockStructure();
}

uint64_t Table::PurgeExpired() {
  LockStructure();
  uint64_t n = SweepExpiredLocked(NowMs());
  UnlockStructure();
  return n;
}

// ---------------------------------------------------------------------------
// Structure-holder operations (K1): caller holds structure.

void Table::BeginMoves() {
  uint64_t e = h_->move_epoch.load(std::memory_order_relaxed);
  if (e & 1) return;  // already odd (nested, or left odd by a dead owner: R3 fixes)
  h_->move_epoch.store(e + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void Table::EndMoves() {
  uint64_t e = h_->move_epoch.load(std::memory_order_relaxed);
  if (e & 1) h_->move_epoch.store(e + 1, std::memory_order_release);
}

int64_t Table::FindLocked(const KeyRef& k, uint64_t* free_slot) {
restart:
  uint64_t i = k.home;
  for (uint64_t n = 0; n < g_.slot_count; n++) {
    uint32_t info = StableInfo(i);
    uint32_t state = InfoState(info);
    if (state == kEmpty) {
      *free_slot = i;
      return -1;
    }
    if (state == kTorn) {  // K1: a structure holder removes TORN slots it passes
      RemoveAtLocked(i, RemoveReason::kTorn, 0);
      goto restart;
    }
    if (InfoKeyLen(info) == k.len && KeyEquals(i, k)) return static_cast<int64_t>(i);
    i = Next(i);
  }
  *free_slot = 0;  // unreachable while L5 holds
  return -1;
}

// Empties slot i and backward-shifts the rest of its cluster (L6). Returns
// false (and changes nothing) when the reason no longer applies under the
// slot mutex (an expired entry renewed meanwhile, a torn slot already gone).
bool Table::RemoveAtLocked(uint64_t i, RemoveReason reason, uint64_t now, bool* was_alive) {
  BeginMoves();  // K4: before the LIVE->EMPTY change
  bool torn = LockSlot(i);
  SlotMeta* m = Meta(i);
  uint32_t state = InfoState(m->info.load(std::memory_order_relaxed));
  uint64_t expiry = m->expiry.load(std::memory_order_relaxed);
  // Decided under the slot mutex: an in-place writer may have renewed an
  // expired entry between the caller's look and this lock.
  if (was_alive) *was_alive = !torn && state == kLive && (expiry == 0 || !IsExpired(expiry, now ? now : NowMs()));
  bool applies = state != kEmpty;
  if (reason == RemoveReason::kExpired && !IsExpired(expiry, now)) applies = false;
  if (reason == RemoveReason::kTorn && state != kTorn) applies = false;
  if (!applies) {
    UnlockSlot(i);
    EndMoves();
    return false;
  }
  WriteEmptyLocked(i);
  UnlockSlot(i);
  h_->count.fetch_sub(1, std::memory_order_relaxed);
  if (expiry != 0) h_->ttl_entries.fetch_sub(1, std::memory_order_relaxed);
  if (reason == RemoveReason::kExpired) h_->expired.fetch_add(1, std::memory_order_relaxed);
  if (reason == RemoveReason::kEvicted) h_->evictions.fetch_add(1, std::memory_order_relaxed);
  MaybeCrash(CrashPoint::kDeleteAfterEmpty);
  uint64_t hole = i;
  uint64_t j = Next(i);
  for (uint64_t n = 0; n < g_.slot_count; n++, j = Next(j)) {
    uint32_t info = StableInfo(j);
    if (InfoState(info) == kEmpty) break;
    uint64_t home = HomeOfSlot(j);
    // j may move into the hole iff its home is not cyclically in (hole, j].
    bool home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (home_after_hole) continue;
    MoveLocked(j, hole);
    hole = j;
  }
  EndMoves();
  return true;
}

void Table::MoveLocked(uint64_t src, uint64_t dst) {
  LockSlot(dst);  // the hole: EMPTY
  SlotMeta* s = Meta(src);
  SlotMeta* d = Meta(dst);
  // A torn source (torn now, or marked TORN earlier by R1) moves as TORN: its
  // key bytes are kept (K5), so it keeps L6 until a structure holder removes
  // it. It is never marked MOVING, which readers would treat as LIVE.
  bool torn = LockSlot(src) || InfoState(s->info.load(std::memory_order_relaxed)) == kTorn;
  if (!torn) SetStateLocked(src, kMoving);  // M1
  uint32_t info = s->info.load(std::memory_order_relaxed);
  uint64_t expiry = s->expiry.load(std::memory_order_relaxed);
  uint32_t seq = d->seq.load(std::memory_order_relaxed);
  d->seq.store(seq + 1, std::memory_order_relaxed);  // K3
  std::atomic_thread_fence(std::memory_order_release);
  uint64_t words[(kRecordMetaBytes + kMaxKeySize + 8) / 8];
  uint32_t key_len = std::min(InfoKeyLen(info), g_.key_size);
  LoadWords(words, KeyPtr(src), key_len);
  StoreWords(KeyPtr(dst), words, key_len);
  uint32_t value_len = std::min(InfoValueLen(info), g_.value_size);
  const uint64_t* sv = reinterpret_cast<const uint64_t*>(ValuePtr(src));
  uint64_t* dv = reinterpret_cast<uint64_t*>(ValuePtr(dst));
  for (size_t w = 0, n = (value_len + 7) / 8; w < n; w++) {
    __atomic_store_n(dv + w, __atomic_load_n(sv + w, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
  }
  d->expiry.store(expiry, std::memory_order_relaxed);
  d->info.store(PackInfo(torn ? kTorn : kLive, InfoType(info), key_len, value_len), std::memory_order_relaxed);
  MaybeCrash(CrashPoint::kShiftMidCopy);
  d->seq.store(seq + 2, std::memory_order_release);
  if (lru_) __atomic_store_n(&ref_[dst], __atomic_load_n(&ref_[src], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
  MaybeCrash(CrashPoint::kShiftAfterCopy);
  WriteEmptyLocked(src);
  UnlockSlot(src);
  UnlockSlot(dst);
}

// Reclaims expired entries (always first), then, in LRU mode, evicts one
// entry chosen by CLOCK. Returns true if the count dropped below max_keys.
bool Table::MakeRoomLocked(uint64_t now) {
  SweepExpiredLocked(now);
  if (h_->count.load(std::memory_order_relaxed) < g_.max_keys) return true;
  // A TORN entry still counts until removed, though readers see it as absent,
  // and a writer that died mid-write leaves an odd seq that nobody has turned
  // into TORN yet (R1 runs at the next lock). Before refusing a new key, or
  // when R1 has marked slots, find them all: StableInfo locks an odd slot,
  // which applies R1. The scan reads one word per slot and runs only when the
  // table is full. (A slot marked after the flag's reset sets it again.)
  bool torn_seen = h_->torn_seen.exchange(0, std::memory_order_relaxed) != 0;
  if (torn_seen || h_->evict_mode != kEvictLru) {
    for (uint64_t i = 0, steps = 0; i < g_.slot_count && steps < 2 * g_.slot_count; steps++) {
      bool suspect = torn_seen || (Meta(i)->seq.load(std::memory_order_relaxed) & 1);
      if (suspect && InfoState(StableInfo(i)) == kTorn && RemoveAtLocked(i, RemoveReason::kTorn, now)) continue;
      i++;  // (after a removal, i is re-examined: the shift may have moved an entry into it)
    }
    if (h_->count.load(std::memory_order_relaxed) < g_.max_keys) return true;
  }
  if (h_->evict_mode != kEvictLru) return false;
  uint64_t hand = h_->clock_hand.load(std::memory_order_relaxed) % g_.slot_count;
  for (uint64_t n = 0; n < 2 * g_.slot_count + 1; n++, hand = Next(hand)) {
    uint32_t state = InfoState(StableInfo(hand));
    if (state == kEmpty) continue;
    if (state == kLive && __atomic_load_n(&ref_[hand], __ATOMIC_RELAXED)) {
      __atomic_store_n(&ref_[hand], 0, __ATOMIC_RELAXED);
      continue;
    }
    RemoveAtLocked(hand, state == kTorn ? RemoveReason::kTorn : RemoveReason::kEvicted, now);
    h_->clock_hand.store(Next(hand), std::memory_order_relaxed);
    return h_->count.load(std::memory_order_relaxed) < g_.max_keys;
  }
  return false;
}

// Removes every expired (and TORN) entry. Skipped while the hint proves no
// entry can have expired yet: next_expiry_hint is a lower bound on every
// stored expiry (writers FetchMin it after writing; the sweep resets it with
// an acquire exchange before reading slots and FetchMins what it saw).
uint64_t Table::SweepExpiredLocked(uint64_t now) {
  if (h_->ttl_entries.load(std::memory_order_relaxed) == 0) return 0;
  if (now < h_->next_expiry_hint.load(std::memory_order_acquire)) return 0;
  h_->next_expiry_hint.exchange(kNoExpiryHint, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with NoteExpiry's fence
  uint64_t removed = 0;
  uint64_t min_seen = kNoExpiryHint;
  for (uint64_t i = 0, steps = 0; i < g_.slot_count && steps < 4 * g_.slot_count; steps++) {
    uint32_t info = StableInfo(i);
    uint32_t state = InfoState(info);
    uint64_t expiry = Meta(i)->expiry.load(std::memory_order_relaxed);
    if (state == kTorn && RemoveAtLocked(i, RemoveReason::kTorn, now)) continue;  // re-examine i
    if (state == kLive && IsExpired(expiry, now) && RemoveAtLocked(i, RemoveReason::kExpired, now)) {
      removed++;
      continue;
    }
    if (state == kLive && expiry != 0) min_seen = std::min(min_seen, expiry);
    i++;
  }
  FetchMin(&h_->next_expiry_hint, min_seen);
  return removed;
}

void Table::RemoveTornSlot(uint64_t i) {
  LockStructure();
  if (InfoState(StableInfo(i)) == kTorn) RemoveAtLocked(i, RemoveReason::kTorn, 0);
  UnlockStructure();
}

// R3. Idempotent (R4). Holds structure; takes at most two slot mutexes at once.
void Table::RepairLocked() {
  h_->recoveries.fetch_add(1, std::memory_order_relaxed);
  BeginMoves();
  const uint64_t n = g_.slot_count;
  // (a) Settle every slot whose seq is odd: a live writer finishes, a dead one
  //     is turned TORN by LockSlot (R1). Also releases owner-dead slot mutexes.
  for (uint64_t i = 0; i < n; i++) {
    if (Meta(i)->seq.load(std::memory_order_acquire) & 1) {
      LockSlot(i);
      UnlockSlot(i);
    }
  }
  // (b) MOVING sources: keep a whole copy earlier in the chain, else revive.
  for (uint64_t i = 0; i < n; i++) {
    uint32_t info = Meta(i)->info.load(std::memory_order_relaxed);
    if (InfoState(info) != kMoving) continue;
    KeyRef k;
    k.len = std::min(InfoKeyLen(info), g_.key_size);
    memset(k.words, 0, sizeof k.words);
    LoadWords(k.words, KeyPtr(i), k.len);
    bool copied = false;
    for (uint64_t j = HomeOfSlot(i); j != i; j = Next(j)) {
      uint32_t ji = Meta(j)->info.load(std::memory_order_relaxed);
      if (InfoState(ji) == kLive && InfoKeyLen(ji) == k.len && KeyEquals(j, k)) {
        copied = true;
        break;
      }
    }
    LockSlot(i);
    if (copied) WriteEmptyLocked(i);
    else SetStateLocked(i, kLive);
    UnlockSlot(i);
  }
  // (c) TORN records are dropped (one entry lost per dead writer).
  for (uint64_t i = 0; i < n; i++) {
    if (InfoState(Meta(i)->info.load(std::memory_order_relaxed)) != kTorn) continue;
    LockSlot(i);
    WriteEmptyLocked(i);
    UnlockSlot(i);
  }
  // (d) Re-establish L6 and L7: move every entry that its home no longer
  //     reaches into the first hole of its chain; drop later duplicates.
  for (bool changed = true; changed;) {
    changed = false;
    for (uint64_t i = 0; i < n; i++) {
      uint32_t info = Meta(i)->info.load(std::memory_order_relaxed);
      if (InfoState(info) != kLive) continue;
      KeyRef k;
      k.len = std::min(InfoKeyLen(info), g_.key_size);
      memset(k.words, 0, sizeof k.words);
      LoadWords(k.words, KeyPtr(i), k.len);
      for (uint64_t j = HomeOfSlot(i); j != i; j = Next(j)) {
        uint32_t ji = Meta(j)->info.load(std::memory_order_relaxed);
        if (InfoState(ji) == kEmpty) {
          MoveLocked(i, j);
          changed = true;
          break;
        }
        if (InfoState(ji) == kLive && InfoKeyLen(ji) == k.len && KeyEquals(j, k)) {
          LockSlot(i);
          WriteEmptyLocked(i);
          UnlockSlot(i);
          changed = true;
          break;
        }
      }
    }
  }
  // (e) Recount from the slots (an inserter may have died before count++).
  //     count changes only under structure, so the recount is exact. In-place
  //     updaters (K5: slot mutex only) change ttl_entries and the hint while
  //     this runs, so a plain store of the recount could erase an updater's
  //     raise: ttl_entries is only raised here (writers keep it >= the truth),
  //     and the hint is reset before the scan and lowered after it, exactly as
  //     SweepExpiredLocked does.
  h_->next_expiry_hint.exchange(kNoExpiryHint, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with NoteExpiry's fence
  uint64_t count = 0, ttl = 0, min_expiry = kNoExpiryHint;
  for (uint64_t i = 0; i < n; i++) {
    SlotMeta* m = Meta(i);
    if (InfoState(m->info.load(std::memory_order_relaxed)) == kEmpty) continue;
    count++;
    uint64_t e = m->expiry.load(std::memory_order_relaxed);
    if (e != 0) {
      ttl++;
      min_expiry = std::min(min_expiry, e);
    }
  }
  h_->count.store(count, std::memory_order_relaxed);
  uint64_t cur = h_->ttl_entries.load(std::memory_order_relaxed);
  while (cur < ttl && !h_->ttl_entries.compare_exchange_weak(cur, ttl, std::memory_order_relaxed)) {
  }
  FetchMin(&h_->next_expiry_hint, min_expiry);
  EndMoves();
}

// ---------------------------------------------------------------------------
// Listing, stats, invariants

void Table::List(const uint8_t* prefix, uint32_t prefix_len, uint64_t limit, bool with_values,
                 std::vector<ListedEntry>* entries, std::vector<uint8_t>* blob) {
  const uint64_t wanted = std::min<uint64_t>(limit, g_.max_keys);
  const size_t per_entry = RoundUp(g_.key_size, 8) + (with_values ? RoundUp(g_.value_size, 8) : 0);
  // Buffers are sized before locking so nothing below reallocates (K6). The
  // first try sizes them from the current count (not maxKeys: an empty large
  // cache must list cheaply); if inserts outgrew that before we locked, the
  // walk stops and is repeated with room for everything.
  uint64_t count = h_->count.load(std::memory_order_relaxed);
  uint64_t cap = std::min<uint64_t>(wanted, count + count / 8 + 16);
  for (;;) {
    entries->clear();
    entries->reserve(cap);
    blob->assign(cap * per_entry, 0);
    uint64_t now = NowMs();
    size_t used = 0;
    bool outgrown = false;
    LockStructure();
    for (uint64_t i = 0; i < g_.slot_count && entries->size() < wanted; i++) {
      uint32_t info = StableInfo(i);
      if (InfoState(info) != kLive) continue;
      uint32_t key_len = std::min(InfoKeyLen(info), g_.key_size);
      if (key_len < prefix_len) continue;
      if (entries->size() == cap) {  // a match beyond the buffers' room
        outgrown = true;
        break;
      }
      uint8_t* kdst = blob->data() + used;
      LoadWords(reinterpret_cast<uint64_t*>(kdst), KeyPtr(i), key_len);
      if (prefix_len && memcmp(kdst, prefix, prefix_len) != 0) continue;
      ListedEntry e{used, key_len, 0, 0, 0};
      size_t next = used + RoundUp(key_len, 8);
      if (with_values) {
        // In-place updaters may run concurrently: read the value under its mutex.
        bool torn = LockSlot(i);
        uint32_t vinfo = Meta(i)->info.load(std::memory_order_relaxed);
        uint64_t expiry = Meta(i)->expiry.load(std::memory_order_relaxed);
        uint32_t value_len = std::min(InfoValueLen(vinfo), g_.value_size);
        if (!torn) LoadWords(reinterpret_cast<uint64_t*>(blob->data() + next), ValuePtr(i), value_len);
        UnlockSlot(i);
        if (torn || IsExpired(expiry, now)) continue;
        e.value_offset = next;
        e.value_len = value_len;
        e.type = InfoType(vinfo);
        next += RoundUp(value_len, 8);
      } else if (IsExpired(Meta(i)->expiry.load(std::memory_order_relaxed), now)) {
        continue;
      }
      entries->push_back(e);
      used = next;
    }
    UnlockStructure();
    if (!outgrown) return;
    cap = wanted;
  }
}

void Table::GetStats(TableStats* out) {
  *out = TableStats();
  out->capacity = g_.max_keys;
  out->slot_count = g_.slot_count;
  out->key_size = g_.key_size;
  out->value_size = g_.value_size;
  out->region_bytes = g_.region_bytes;
  uint64_t now = NowMs();
  LockStructure();  // a consistent walk, and no dead-block folding meanwhile
  for (uint64_t i = 0; i < g_.slot_count; i++) {
    uint32_t info = StableInfo(i);
    if (InfoState(info) != kLive) continue;
    if (IsExpired(Meta(i)->expiry.load(std::memory_order_relaxed), now)) continue;
    out->size++;
    uint64_t home = HomeOfSlot(i);
    uint64_t probe = (i + g_.slot_count - home) % g_.slot_count + 1;
    out->max_probe = std::max(out->max_probe, probe);
  }
  const StatBlock* blocks = reinterpret_cast<const StatBlock*>(base_ + kHeaderBytes);
  out->hits = h_->retired_hits.load(std::memory_order_relaxed) + h_->shared_stats.hits.load(std::memory_order_relaxed);
  out->misses =
      h_->retired_misses.load(std::memory_order_relaxed) + h_->shared_stats.misses.load(std::memory_order_relaxed);
  out->sets = h_->retired_sets.load(std::memory_order_relaxed) + h_->shared_stats.sets.load(std::memory_order_relaxed);
  out->deletes =
      h_->retired_deletes.load(std::memory_order_relaxed) + h_->shared_stats.deletes.load(std::memory_order_relaxed);
  for (uint32_t b = 0; b < kStatBlocks; b++) {
    if (blocks[b].owner_pid.load(std::memory_order_relaxed) == 0) continue;
    out->hits += blocks[b].hits.load(std::memory_order_relaxed);
    out->misses += blocks[b].misses.load(std::memory_order_relaxed);
    out->sets += blocks[b].sets.load(std::memory_order_relaxed);
    out->deletes += blocks[b].deletes.load(std::memory_order_relaxed);
  }
  out->evictions = h_->evictions.load(std::memory_order_relaxed);
  out->expired = h_->expired.load(std::memory_order_relaxed);
  out->recoveries = h_->recoveries.load(std::memory_order_relaxed);
  UnlockStructure();
}

std::string Table::CheckInvariants() {
  std::string problem;
  LockStructure();
  uint64_t occupied = 0, with_ttl = 0, empties = 0;
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < g_.slot_count && problem.empty(); i++) {
    uint32_t info = StableInfo(i);
    uint32_t state = InfoState(info);
    if (state == kEmpty) {
      empties++;
      continue;
    }
    occupied++;
    if (Meta(i)->expiry.load(std::memory_order_relaxed) != 0) with_ttl++;
    if (state == kMoving) problem = "slot " + std::to_string(i) + " is MOVING outside a move";
    if (state != kLive) continue;
    uint32_t key_len = std::min(InfoKeyLen(info), g_.key_size);
    std::string key(reinterpret_cast<const char*>(KeyPtr(i)), key_len);
    if (!seen.insert(key).second) problem = "duplicate key at slot " + std::to_string(i);
    for (uint64_t j = HomeOfSlot(i); j != i && problem.empty(); j = Next(j)) {
      if (InfoState(Meta(j)->info.load(std::memory_order_relaxed)) == kEmpty) {
        problem = "slot " + std::to_string(i) + " unreachable from its home (EMPTY at " + std::to_string(j) + ")";
      }
    }
  }
  uint64_t count = h_->count.load(std::memory_order_relaxed);
  if (problem.empty() && count != occupied) {
    problem = "count " + std::to_string(count) + " != occupied slots " + std::to_string(occupied);
  }
  if (problem.empty() && h_->ttl_entries.load(std::memory_order_relaxed) < with_ttl) {
    problem = "ttl_entries " + std::to_string(h_->ttl_entries.load()) + " < " + std::to_string(with_ttl);
  }
  if (problem.empty() && empties == 0) problem = "no EMPTY slot (L5)";
  if (problem.empty() && count > g_.max_keys) problem = "count above maxKeys";
  if (problem.empty() && (h_->move_epoch.load() & 1)) problem = "move_epoch odd outside a move";
  UnlockStructure();
  return problem;
}

// ---------------------------------------------------------------------------
// Trust window (layout.h N1-N6)

uint64_t Table::ClockMs() { return NowMs(); }

uint32_t GenerationTag(uint64_t gen, uint8_t* out) {
  char digits[20];
  uint32_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + gen % 10);
    gen /= 10;
  } while (gen);
  out[0] = 0;
  for (uint32_t i = 0; i < n; i++) out[1 + i] = static_cast<uint8_t>(digits[n - 1 - i]);
  out[1 + n] = ':';
  return n + 2;
}

uint64_t Table::TrustedGeneration(uint64_t* now_out) const {
  uint64_t g1 = h_->trust_generation.load(std::memory_order_acquire);  // N3
  uint64_t until = h_->trust_until_ms.load(std::memory_order_acquire);
  uint64_t g2 = h_->trust_generation.load(std::memory_order_relaxed);  // ordered by the acquire above
  // The clock is read after the window: a reading taken before the loads could
  // be older than a later go-live's deadline and trust it past its end (review F2).
  uint64_t now = NowMs();
  if (now_out) *now_out = now;
  return g1 == g2 && g1 != 0 && now < until ? g1 : 0;
}

uint64_t Table::TrustGoLive(uint64_t until_ms) {
  LockStructure();  // N2
  h_->trust_until_ms.store(0, std::memory_order_release);
  uint64_t gen = h_->trust_generation.load(std::memory_order_relaxed) + 1;
  h_->trust_generation.store(gen, std::memory_order_release);
  h_->trust_until_ms.store(until_ms, std::memory_order_release);
  UnlockStructure();
  return gen;
}

bool Table::TrustRenew(uint64_t gen, uint64_t until_ms) {
  LockStructure();  // N2
  bool ok = gen != 0 && h_->trust_generation.load(std::memory_order_relaxed) == gen &&
            NowMs() < h_->trust_until_ms.load(std::memory_order_relaxed);
  if (ok) h_->trust_until_ms.store(until_ms, std::memory_order_release);
  UnlockStructure();
  return ok;
}

void Table::TrustFlush() {
  LockStructure();  // N2
  h_->trust_until_ms.store(0, std::memory_order_release);
  UnlockStructure();
}

void Table::TrustState(uint64_t* gen, uint64_t* until_ms) const {
  *gen = h_->trust_generation.load(std::memory_order_acquire);
  *until_ms = h_->trust_until_ms.load(std::memory_order_acquire);
}

// Builds GenerationTag(gen) + key; false if that is longer than key_size (never stored).
bool Table::MakeTaggedKey(uint64_t gen, const uint8_t* key, uint32_t key_len, KeyRef* k) const {
  if (key_len > g_.key_size) return false;
  // The tag is formatted per call (a few digits): a cache in the handle would
  // be a data race for threads sharing one Table.
  uint8_t tag[kMaxGenerationTagBytes];
  uint32_t tag_len = GenerationTag(gen, tag);
  if (tag_len + key_len > g_.key_size) return false;
  k->len = tag_len + key_len;
  k->words[(k->len + 7) / 8 - 1] = 0;  // zero padding after the last byte (as FSMM_MAKE_KEY)
  uint8_t* bytes = reinterpret_cast<uint8_t*>(k->words);
  memcpy(bytes, tag, tag_len);
  if (key_len) memcpy(bytes + tag_len, key, key_len);
  k->hash = Fnv1a32(bytes, k->len);
  k->home = HomeOf(k->hash);
  return true;
}

std::atomic<uint64_t>* Table::StripeEpoch(const uint8_t* key, uint32_t key_len) const {
  auto* stripes = reinterpret_cast<std::atomic<uint64_t>*>(base_ + g_.stripes_offset);
  return &stripes[Fnv1a32(key, key_len) % kTrustStripes];
}

Status Table::GetTrusted(const uint8_t* key, uint32_t key_len, uint8_t* out, uint32_t* out_len,
                         uint32_t* out_type) {
  uint64_t g1 = h_->trust_generation.load(std::memory_order_acquire);  // N3, as TrustedGeneration()
  uint64_t until = h_->trust_until_ms.load(std::memory_order_acquire);
  uint64_t g2 = h_->trust_generation.load(std::memory_order_relaxed);
  if (g1 != g2 || g1 == 0 || until == 0) return Status::kNotTrusted;
  KeyRef k;
  if (!MakeTaggedKey(g1, key, key_len, &k)) return Status::kNotFound;
  // The clock is read after the slot's lines are requested, so its cost (~30 ns
  // on a VM, serializing) overlaps the memory latency; the window is checked
  // against a reading taken after U was loaded, which can only make it stricter.
  Prefetch(k.home, false);
  uint64_t now = NowMs();
  if (now >= until) return Status::kNotTrusted;
  uint64_t expiry = 0;
  Status s = ReadOptimistic<true>(k, out, out_len, out_type, &expiry);
  if (s == Status::kInvalid) s = ReadLocked<true>(k, out, out_len, out_type, &expiry);
  if (s == Status::kOk && expiry != 0 && IsExpired(expiry, now)) s = Status::kNotFound;
  CountHit(s == Status::kOk);
  return s;
}

uint64_t Table::TrustEpoch(const uint8_t* key, uint32_t key_len) const {
  return StripeEpoch(key, key_len)->load(std::memory_order_acquire);
}

Status Table::PutTrusted(const uint8_t* key, uint32_t key_len, const uint8_t* value, uint32_t value_len,
                         uint32_t type, uint64_t ttl_ms, uint64_t gen, uint64_t epoch) {
  KeyRef k;
  if (gen == 0 || !MakeTaggedKey(gen, key, key_len, &k)) return Status::kInvalid;
  FillGuard guard{gen, epoch, StripeEpoch(key, key_len)};
  return PutRef(k, value, value_len, type, ttl_ms, PutMode::kUpsert, &guard);
}

Status Table::InvalidateTrusted(const uint8_t* key, uint32_t key_len) {
  if (key_len > g_.key_size) return Status::kNotFound;  // no entry can exist; no fill can be guarded by it
  std::atomic<uint64_t>* stripe = StripeEpoch(key, key_len);
  LockStructure();  // N5: the increment and the delete are one step for guarded fills
  stripe->fetch_add(1, std::memory_order_release);
  KeyRef k;
  Status s = Status::kNotFound;
  if (MakeTaggedKey(h_->trust_generation.load(std::memory_order_relaxed), key, key_len, &k)) {
    uint64_t free_slot;
    int64_t found = FindLocked(k, &free_slot);
    bool alive = false;
    if (found >= 0 && RemoveAtLocked(static_cast<uint64_t>(found), RemoveReason::kDelete, 0, &alive) && alive) {
      s = Status::kOk;
    }
  }
  UnlockStructure();
  if (s == Status::kOk) CountWrite(&StatBlock::deletes);
  return s;
}

// The generation of a tagged key as GenerationTag writes it ("\0", decimal
// digits without a leading zero, ":"), or 0 if the key is not one.
static uint64_t TagGeneration(const uint8_t* key, uint32_t len) {
  if (len < 3 || key[0] != 0 || key[1] == '0') return 0;
  uint64_t gen = 0;
  for (uint32_t i = 1; i < len && i <= 21; i++) {
    if (key[i] == ':') return i > 1 ? gen : 0;
    if (key[i] < '0' || key[i] > '9') return 0;
    uint64_t next = gen * 10 + static_cast<uint64_t>(key[i] - '0');
    if (next / 10 != gen) return 0;  // more than 64 bits
    gen = next;
  }
  return 0;
}

uint64_t Table::PurgeGenerations(uint64_t below, uint64_t* cursor, uint64_t max_slots, uint64_t* epoch,
                                 bool* disturbed) {
  uint64_t i = *cursor < g_.slot_count ? *cursor : 0;
  const uint64_t end = max_slots >= g_.slot_count - i ? g_.slot_count : i + max_slots;  // no overflow
  uint64_t removed = 0;
  LockStructure();
  // N7: never the current generation, whatever the caller passes.
  below = std::min(below, h_->trust_generation.load(std::memory_order_relaxed));
  // Entries move only by backward shift, and every shift changes move_epoch (K4).
  // The mark sets the top bit so that it is never 0, the caller's "first span".
  auto mark = [this] { return h_->move_epoch.load(std::memory_order_relaxed) | (uint64_t{1} << 63); };
  if (*epoch != 0 && mark() != *epoch) *disturbed = true;
  for (uint64_t steps = 0; i < end && steps < 4 * g_.slot_count; steps++) {
    uint32_t info = StableInfo(i);
    uint32_t state = InfoState(info);
    if (state == kTorn && RemoveAtLocked(i, RemoveReason::kTorn, 0)) continue;  // re-examine i
    // Key bytes change only under structure (K1, K5), which this loop holds.
    uint32_t len = std::min(InfoKeyLen(info), g_.key_size);  // L4
    uint64_t gen = state == kLive ? TagGeneration(KeyPtr(i), len) : 0;
    if (gen != 0 && gen < below && RemoveAtLocked(i, RemoveReason::kDelete, 0)) {
      removed++;
      continue;  // backward shift: slot i now holds a later entry
    }
    i++;
  }
  *epoch = mark();
  UnlockStructure();
  *cursor = i >= g_.slot_count ? 0 : i;
  return removed;
}

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNotFound: return "not found";
    case Status::kFull: return "full";
    case Status::kExists: return "exists";
    case Status::kMismatch: return "mismatch";
    case Status::kNotInteger: return "not an integer";
    case Status::kOutOfRange: return "out of range";
    case Status::kTooLarge: return "too large";
    case Status::kLayoutMismatch: return "layout mismatch";
    case Status::kSysError: return "system error";
    case Status::kInvalid: return "invalid argument";
    case Status::kNotTrusted: return "not trusted";
    case Status::kStale: return "stale";
  }
  return "unknown";
}

}  // namespace fsmm
