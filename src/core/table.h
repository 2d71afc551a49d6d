// The shared hash table: every operation of the cache over a mapped Segment.
// Follows the layout and the K/M/R rules of layout.h; knows nothing about Node.
//
// Contract for every method: keys are raw bytes of length 1..key_size (0 is
// allowed too), values 0..value_size; callers (the binding) check the limits
// first and the core re-checks them (kInvalid). Methods never throw, never
// allocate while holding a lock, and return after bounded waiting except for
// the time a live lock holder needs (readers never wait for a lock unless a
// writer stays mid-write across kOptimisticAttempts checks: R5).
#ifndef FSMM_CORE_TABLE_H_
#define FSMM_CORE_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "layout.h"
#include "segment.h"
#include "status.h"

namespace fsmm {

// Largest |integer| incr() may produce (JS Number.MAX_SAFE_INTEGER).
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

struct TableStats {
  uint64_t capacity = 0, size = 0, slot_count = 0, key_size = 0, value_size = 0;
  uint64_t hits = 0, misses = 0, sets = 0, deletes = 0;
  uint64_t evictions = 0, expired = 0, recoveries = 0, max_probe = 0;
  uint64_t region_bytes = 0;
};

struct ListedEntry {
  size_t key_offset;    // into the blob
  uint32_t key_len;
  size_t value_offset;  // into the blob (0 when values were not asked for)
  uint32_t value_len;
  uint32_t type;
};

enum class PutMode { kUpsert, kAdd, kReplace };

// Largest generation tag: "\0" + 20 digits + ":" (layout.h N1).
constexpr uint32_t kMaxGenerationTagBytes = 22;
// Writes the tag of generation gen ("\0" + decimal gen + ":") and returns its length.
uint32_t GenerationTag(uint64_t gen, uint8_t* out);

class Table {
 public:
  Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table() { Close(); }

  // Opens the segment (segment.h P-rules) and claims this handle's stat block.
  Status Open(const OpenOptions& opts, OpenError* error);
  // Folds this handle's counters into the segment, unmaps, applies P5. Idempotent.
  void Close();
  bool is_open() const { return h_ != nullptr; }
  const Geometry& geometry() const { return segment_.geometry(); }
  uint32_t evict_mode() const { return h_->evict_mode; }
  bool persistent() const { return h_->flags.load(std::memory_order_relaxed) & kFlagPersist; }
  // Counting hits/misses/sets/deletes can be switched off per handle (benchmarks).
  void set_counting(bool on) { counting_ = on; }

  // --- lock-free reads (K3, K4, R5) ---
  // Copies the value into out (capacity >= round8(value_size)). kOk or kNotFound.
  Status Get(const uint8_t* key, uint32_t key_len, uint8_t* out, uint32_t* out_len, uint32_t* out_type);
  Status Has(const uint8_t* key, uint32_t key_len);
  // *remaining_ms = ms until expiry (>= 1), or -1 if the key never expires.
  Status Ttl(const uint8_t* key, uint32_t key_len, int64_t* remaining_ms);

  // --- writes; ttl_ms 0 = no expiry ---
  // kOk, kFull (new key, nothing evictable), kExists (kAdd), kNotFound (kReplace).
  Status Put(const uint8_t* key, uint32_t key_len, const uint8_t* value, uint32_t value_len, uint32_t type,
             uint64_t ttl_ms, PutMode mode);
  // kOk, kNotFound, kMismatch (current bytes differ from expected).
  Status Cas(const uint8_t* key, uint32_t key_len, const uint8_t* expected, uint32_t expected_len,
             const uint8_t* value, uint32_t value_len, uint32_t type, uint64_t ttl_ms);
  // Adds delta to a decimal integer value; a missing key starts at initial and
  // gets ttl_ms. kOk, kFull, kNotInteger, kOutOfRange, kTooLarge (nothing
  // stored; *result holds the value that did not fit in value_size).
  Status Incr(const uint8_t* key, uint32_t key_len, int64_t delta, int64_t initial, uint64_t ttl_ms,
              int64_t* result);
  // Sets (ttl_ms > 0) or removes (0) the expiry of a present key. kOk or kNotFound.
  Status Expire(const uint8_t* key, uint32_t key_len, uint64_t ttl_ms);
  // kOk if a present (unexpired) key was removed, else kNotFound.
  Status Delete(const uint8_t* key, uint32_t key_len);
  void Clear();
  // Removes every expired entry; returns how many.
  uint64_t PurgeExpired();

  // --- trust window (layout.h N1-N6), used by the near cache ---
  // CLOCK_MONOTONIC milliseconds, the clock of expiries and of the window.
  static uint64_t ClockMs();
  // The generation readers may trust now, or 0; *now (optional) gets the clock reading used.
  uint64_t TrustedGeneration(uint64_t* now) const;
  // Opens a window until until_ms under a new generation, which it returns.
  uint64_t TrustGoLive(uint64_t until_ms);
  // Moves the end of gen's open window to until_ms. false: gen was replaced or its window closed.
  bool TrustRenew(uint64_t gen, uint64_t until_ms);
  // Closes the window (O(1) flush: the current generation's entries become unreachable).
  void TrustFlush();
  void TrustState(uint64_t* gen, uint64_t* until_ms) const;
  // Get of GenerationTag(trusted gen) + key: kOk, kNotFound, or kNotTrusted (no open window).
  // One clock read serves the window and the entry's expiry.
  Status GetTrusted(const uint8_t* key, uint32_t key_len, uint8_t* out, uint32_t* out_len, uint32_t* out_type);
  // The invalidation epoch of key's stripe (N5): a fill's snapshot, taken before it reads the source.
  uint64_t TrustEpoch(const uint8_t* key, uint32_t key_len) const;
  // Guarded fill (N5): upserts GenerationTag(gen) + key under structure if gen is trusted and
  // key's stripe epoch still equals epoch. kOk, kStale (refused), kFull, kInvalid (too long).
  Status PutTrusted(const uint8_t* key, uint32_t key_len, const uint8_t* value, uint32_t value_len, uint32_t type,
                    uint64_t ttl_ms, uint64_t gen, uint64_t epoch);
  // Invalidation (N5): under structure, bumps key's stripe epoch and deletes the current
  // generation's entry for key. kOk if an entry was removed, else kNotFound.
  Status InvalidateTrusted(const uint8_t* key, uint32_t key_len);
  // Removes the entries of generations older than `below` (N7) in slots [*cursor,
  // *cursor + max_slots), holding structure for that span only; advances *cursor and
  // wraps it to 0 at the end of the table. Returns how many entries it removed.
  // *epoch: in, the value this returned for the previous span of the pass (0 at the
  // first); out, move_epoch at the end of this span. *disturbed is set when entries
  // may have moved between the two spans (another process's delete shifted them),
  // so an old entry may be behind the cursor and the pass should be repeated.
  uint64_t PurgeGenerations(uint64_t below, uint64_t* cursor, uint64_t max_slots, uint64_t* epoch,
                            bool* disturbed);

  // A consistent snapshot (taken under structure) of up to `limit` live keys
  // starting with `prefix`, optionally with their values, in slot order.
  void List(const uint8_t* prefix, uint32_t prefix_len, uint64_t limit, bool with_values,
            std::vector<ListedEntry>* entries, std::vector<uint8_t>* blob);
  void GetStats(TableStats* out);

  // Test support: walks the table under structure and returns "" if layout.h
  // L5-L7 and the counters hold, else a description of the first violation.
  std::string CheckInvariants();

 private:
  struct KeyRef;
  struct Mutation;
  struct FillGuard;

  uint8_t* Slot(uint64_t i) const { return base_ + g_.slots_offset + i * g_.slot_bytes; }
  SlotMeta* Meta(uint64_t i) const { return reinterpret_cast<SlotMeta*>(Slot(i)); }
  uint8_t* KeyPtr(uint64_t i) const { return Slot(i) + kRecordMetaBytes; }
  uint8_t* ValuePtr(uint64_t i) const { return Slot(i) + kRecordMetaBytes + RoundUp(g_.key_size, 8); }
  pthread_mutex_t* SlotMutex(uint64_t i) const {
    return reinterpret_cast<pthread_mutex_t*>(Slot(i) + g_.mutex_offset);
  }
  uint64_t Next(uint64_t i) const { return i + 1 == g_.slot_count ? 0 : i + 1; }
  uint64_t HomeOf(uint32_t hash) const { return hash % g_.slot_count; }
  uint64_t HomeOfSlot(uint64_t i) const;  // hash of the (clamped) key bytes stored in slot i

  bool KeyEquals(uint64_t i, const KeyRef& k) const;
  void CountHit(bool hit);
  void CountWrite(std::atomic<uint64_t> StatBlock::*field);
  void NoteExpiry(uint64_t expiry);

  // Lock helpers applying R1-R3.
  void LockStructure();
  void UnlockStructure();
  // Locks slot i. Returns true if the record was torn (R1): it is now TORN.
  bool LockSlot(uint64_t i);
  void UnlockSlot(uint64_t i);
  uint32_t StableInfo(uint64_t i);  // seqlock read of info; locks the slot if seq stays odd

  // Record writes (caller holds the slot mutex; K3).
  void WriteRecordLocked(uint64_t i, const KeyRef* key, uint32_t state, uint32_t type, const uint8_t* value,
                         uint32_t value_len, uint64_t expiry, bool write_value);
  void WriteEmptyLocked(uint64_t i);
  void SetStateLocked(uint64_t i, uint32_t state);

  // Structure-holder operations (K1).
  void BeginMoves();
  void EndMoves();
  int64_t FindLocked(const KeyRef& k, uint64_t* free_slot);
  enum class RemoveReason { kDelete, kExpired, kEvicted, kTorn };
  // *was_alive (optional): the entry was LIVE, whole and unexpired under its mutex.
  bool RemoveAtLocked(uint64_t i, RemoveReason reason, uint64_t now, bool* was_alive = nullptr);
  void MoveLocked(uint64_t src, uint64_t dst);
  bool MakeRoomLocked(uint64_t now);
  uint64_t SweepExpiredLocked(uint64_t now);
  void RepairLocked();
  void RemoveTornSlot(uint64_t i);

  void Prefetch(uint64_t i, bool for_write) const;
  int64_t FindOptimistic(const KeyRef& k) const;
  template <bool kCopyValue>
  Status ReadOptimistic(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type, uint64_t* expiry);
  template <bool kCopyValue>
  Status ReadLocked(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type, uint64_t* expiry);
  template <bool kCopyValue>
  Status Read(const KeyRef& k, uint8_t* out, uint32_t* out_len, uint32_t* out_type, uint64_t* expiry);

  Status Mutate(const KeyRef& k, Mutation* m);
  Status PutRef(const KeyRef& k, const uint8_t* value, uint32_t value_len, uint32_t type, uint64_t ttl_ms,
                PutMode mode, const FillGuard* guard);
  bool MakeTaggedKey(uint64_t gen, const uint8_t* key, uint32_t key_len, KeyRef* k) const;
  std::atomic<uint64_t>* StripeEpoch(const uint8_t* key, uint32_t key_len) const;
  Status ApplyLocked(uint64_t i, const KeyRef& k, Mutation* m, uint64_t now, bool present);

  Segment segment_;
  Geometry g_;
  Header* h_ = nullptr;
  uint8_t* base_ = nullptr;
  uint8_t* ref_ = nullptr;
  StatBlock* stats_ = nullptr;  // this handle's block, or &h_->shared_stats
  bool own_block_ = false;
  bool counting_ = true;
  bool lru_ = false;  // reads touch CLOCK bits only in LRU mode
  bool touch_on_read_ = false;  // lru_ and not an observer (OpenOptions::observe)
  uint32_t prefetch_lines_ = 3;  // Prefetch(): lines of a slot's head to load
};

}  // namespace fsmm

#endif  // FSMM_CORE_TABLE_H_
