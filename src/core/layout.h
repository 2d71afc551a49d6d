/*
 * Shared region layout, format version 2, and the locking protocol.
 * docs/DESIGN.md is the long form of this comment; this comment is the contract.
 *
 *   offset                       contents
 *   0                            Header (kHeaderBytes, 64-byte lines, see struct)
 *   kHeaderBytes                 StatBlock[kStatBlocks]   per-handle counters, one line each
 *   Geometry::stripes_offset     u64 trust_epoch[kTrustStripes]  invalidation epochs (N5)
 *   Geometry::ref_offset         uint8_t ref[slot_count]  CLOCK reference bits, padded to 64
 *   Geometry::slots_offset       Slot[slot_count], each slot_bytes (a multiple of 64)
 *   region_bytes                 end
 *
 *   Slot i = record (record_bytes) + robust mutex at Geometry::mutex_offset, padded to 64:
 *     0   u32 seq        seqlock version; odd while the record is being written
 *     4   u32 info       state:2 | type:2 | key_len:8 | value_len:20
 *     8   u64 expiry     CLOCK_MONOTONIC milliseconds; 0 = never expires
 *     16  key[round8(key_size)]
 *     ..  value[round8(value_size)]
 *   For the default 64/256 sizes the record is exactly 336 bytes and the slot
 *   (record + 40-byte pthread_mutex_t + padding) is 384 bytes = 6 cache lines.
 *
 *   slot_count = ceil(4 * max_keys / 3) (> max_keys for every max_keys >= 1),
 *   so the table is at most 75% full when max_keys entries are stored. The entry
 *   count, not the slot count, decides "full". Region size for the defaults:
 *     kHeaderBytes + kStatBlocks*64 + kTrustStripes*8 + round64(slot_count) + slot_count*384
 *
 * Layout invariants
 *   L1  The region holds no pointers; every position is an offset from the
 *       mapping base, because each process maps it at its own address.
 *   L2  magic is stored last, with release order, during initialisation, which
 *       runs under the name's lock file with no other user attached (see
 *       segment.cc). A handle that reads the magic may rely on every header field.
 *   L3  format_version, key_size, value_size, record_bytes, slot_bytes,
 *       mutex_bytes, max_keys, slot_count and region_bytes never change after
 *       init; attach compares each one and fails naming the first that differs.
 *   L4  Every length read from a slot is clamped to the slot's maxima before it
 *       drives a copy or compare; every slot index is reduced mod slot_count.
 *   L5  At least one slot is always EMPTY (count <= max_keys < slot_count), so
 *       every probe terminates; probes are also bounded by slot_count.
 *   L6  Linear probing with backward-shift delete (no tombstones): for every
 *       LIVE/MOVING/TORN slot j whose key hashes home to h, no slot in [h, j)
 *       (cyclically) is EMPTY. So a lookup may stop at the first EMPTY slot.
 *   L7  A key occupies at most one slot, except inside a move (M1) where the
 *       MOVING source and its copy hold the same key and the same value.
 *
 * Slot states
 *   EMPTY   free; a probe stops here.
 *   LIVE    holds a key (maybe expired: expired entries are absent to readers).
 *   MOVING  source of a backward-shift move: readers treat it as LIVE, updaters
 *           refuse it and retry through the structure lock.
 *   TORN    a writer died with seq odd: readers skip it (like a LIVE slot of
 *           another key) but never stop at it; the next structure holder that
 *           passes it removes it. Its key bytes may be garbage: its home is
 *           whatever they hash to (clamped), which keeps L6 meaningful.
 *
 * Locking protocol (K-rules; code comments cite them)
 *   K1  Only a holder of `structure` changes which key lives in which slot:
 *       insert, delete, backward shift, eviction, expiry reclaim, TORN removal,
 *       clear(). Inserts are serialized, so two processes inserting the same
 *       new key cannot claim two slots: the second one re-probes under
 *       `structure` and finds the first one's entry (answers the K4 question of
 *       per-slot locking).
 *   K2  A slot's record changes only while its slot mutex is held. Structure
 *       holders also take the mutex of each slot they modify. Lock order:
 *       structure, then slot mutexes in probe order. A slot-mutex holder never
 *       waits for structure. Nobody holds more than two slot mutexes (the kernel
 *       marks at most 2048 robust mutexes of a dying thread owner-dead).
 *   K3  Seqlock: a writer stores seq odd (relaxed), issues a release fence,
 *       writes the data with relaxed atomic stores, then stores seq even with
 *       release. A reader loads seq (acquire), copies with relaxed atomic loads,
 *       issues an acquire fence, re-loads seq; equal and even = consistent.
 *   K4  move_epoch is made odd (same K3 discipline) before any LIVE->EMPTY
 *       change and even after the last shift of that operation. A lock-free
 *       miss is valid only if move_epoch was even and unchanged across the
 *       probe; a hit is valid as soon as its slot's seq check passes (L7).
 *   K5  In-place updates (set of an existing key, incr, cas, expire, replace)
 *       hold only the slot mutex and never change the key bytes or key_len, so
 *       a record they tear still has a valid key.
 *   K6  No JS, no allocation that can throw, no syscall other than the futex
 *       inside pthread_mutex_* while any of these locks is held (the vDSO clock
 *       read is allowed; CheckInvariants, test support only, allocates).
 *   M1  A move j -> hole: lock hole, lock j; mark j MOVING (a state-only
 *       change: info, then seq += 2, no odd window, so a crash here loses
 *       nothing); copy j into hole as LIVE (K3); clear j to EMPTY (K3); unlock
 *       both. An updater that waited on j's mutex therefore sees EMPTY or
 *       MOVING, never a stale LIVE. A TORN j is never marked MOVING (readers
 *       treat MOVING as LIVE): it is copied as TORN, keeping its key bytes.
 *
 * Crash recovery (robust mutexes; pthread_mutex_lock returns EOWNERDEAD)
 *   R1  Slot mutex, seq odd: the dead owner tore the record. Mark it TORN
 *       (unless its info still says EMPTY: writers store info last, so an
 *       insert that died before publishing left an EMPTY slot), make seq even,
 *       mark the mutex consistent, count a recovery. If the caller does not
 *       hold structure it then unlocks, takes structure (K2 order) and removes
 *       the TORN slot by index. Only that entry is lost. R1 also sets
 *       header.torn_seen, so a full table sweeps TORN slots before it refuses
 *       a new key (Table::MakeRoomLocked).
 *   R2  Slot mutex, seq even: the record is whole (the owner died between
 *       writes); mark the mutex consistent, count a recovery and go on.
 *   R3  Structure mutex: the dead owner may have been anywhere in an insert,
 *       delete, shift, eviction, purge or clear. Repair (Table::RepairLocked):
 *       resolve every MOVING source (keep a whole LIVE copy of the same key
 *       earlier in its chain and clear the source; else make the source LIVE),
 *       remove every TORN slot, re-place entries that L6 no longer reaches,
 *       remove duplicate keys, recount count and ttl_entries, make move_epoch
 *       even, mark consistent, count a recovery. O(slot_count), rare.
 *   R4  A recoverer that dies in turn leaves the mutex owner-dead again; every
 *       repair step is idempotent, so the next owner simply repeats it.
 *   R5  Readers never block on a live writer for long: they spin (bounded)
 *       while a slot's seq or the epoch is odd, and after kOptimisticAttempts
 *       failed validations or an epoch odd for ~0.5 ms (a writer may have died
 *       with seq or epoch odd) they take the locks, which both bounds their
 *       wait and triggers R1-R3.
 *   X1  next_expiry_hint is a lower bound on every stored expiry. Writers store
 *       the expiry, issue a seq_cst fence, then lower the hint; a sweep resets
 *       it (seq_cst exchange + fence), scans, then lowers it to what it saw.
 *       The two fences forbid the store-buffering outcome in which neither
 *       side sees the other's write (found by review: a hint above a real
 *       expiry made a full table refuse sets while an entry had expired).
 */
/*
 * Trust window (the near cache, lib/near; docs/NEAR-CACHE.md). A plain cache
 * never touches these words; they stay 0.
 *   N1  trust_generation G and trust_until_ms U say: entries whose key starts
 *       with the tag of G ("\0" + decimal G + ":", GenerationTag) may be
 *       returned while CLOCK_MONOTONIC ms < U. Entries of any other generation
 *       are unreachable to trusted reads (they are swept by the leader).
 *   N2  Writers (go-live, renew, flush) hold `structure`, so they are
 *       serialized; they never touch slots. Go-live stores U = 0, then
 *       G + 1, then the new U, each with release order. Flush stores U = 0.
 *       Renew stores a new U only if G is the caller's generation and the
 *       window is still open (an expired window is never reopened: the
 *       caller must go live under a new generation).
 *   N3  A reader loads G, U, G again (acquire) and trusts G only if both
 *       loads of G agree, G != 0 and now < U. A reader that saw a U stored
 *       after a go-live therefore sees that go-live's G in its second load,
 *       so it never pairs an old G with a new window.
 *   N4  Crash: a writer that dies inside N2 leaves U = 0 (closed) or a whole
 *       window; any combination is safe, so R3 needs no repair step here.
 *   N5  trust_epoch[s] counts the invalidations of keys whose FNV-1a hash
 *       (of the untagged key) is s mod kTrustStripes. An invalidation holds
 *       `structure` while it increments the key's stripe epoch and deletes the
 *       key's entry of the current generation. A guarded fill holds
 *       `structure` while it checks that its generation is trusted and its
 *       stripe epoch equals the snapshot it took before reading the source of
 *       truth, and while it writes. So a fill that raced an invalidation of its
 *       key is refused, and no refused value is ever visible.
 *   N6  Crash: an invalidation that dies between the increment and the delete
 *       leaves a whole entry and a higher epoch (only fills are refused). If it
 *       was the listener's, its process is gone: the window closes by its
 *       deadline or the next leader flushes. If it was a writer's own
 *       read-your-writes drop (lib/near set/delete), the listener still applies
 *       the invalidation Redis sends for that same write.
 *   N7  No entry of a generation below the current one is ever written again
 *       (fills are refused for it, N5), so the leader reclaims them with
 *       PurgeGenerations in bounded spans of slots, each under `structure`;
 *       it never removes the current generation (the bound is clamped) and
 *       only keys in GenerationTag's exact form. Between spans another
 *       process's delete can shift an old entry behind the cursor; every shift
 *       changes move_epoch (K4), so the next span reports it and the caller
 *       repeats the pass.
 *   U is compared with floor(CLOCK_MONOTONIC ms) < U, which is exact (now < U)
 *   for integer U: a window never lasts past the deadline its writer computed.
 *   Not CLOCK_MONOTONIC_COARSE, although it costs ~6 ns instead of ~30 on a
 *   VM: it was measured lagging CLOCK_MONOTONIC by more than its advertised
 *   resolution here (a vCPU that keeps time can be descheduled), so no slack
 *   subtracted from U would make the bound hold.
 */
#ifndef FSMM_CORE_LAYOUT_H_
#define FSMM_CORE_LAYOUT_H_

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fsmm {

constexpr uint64_t kMagic = 0x31304d4d53464146ull;  // "FAFSMM01" little-endian
constexpr uint32_t kFormatVersion = 2;  // 2: the trust window (N1-N6): header line 3, stripe epochs
constexpr uint32_t kDefaultKeySize = 64;
constexpr uint32_t kDefaultValueSize = 256;
constexpr uint32_t kMaxKeySize = 255;              // key_len is 8 bits
constexpr uint32_t kMaxValueSize = (1u << 20) - 1;  // value_len is 20 bits
constexpr uint64_t kMaxMaxKeys = 1ull << 31;        // slot indexes fit in u32 math
constexpr uint32_t kStatBlocks = 128;
constexpr uint32_t kTrustStripes = 256;  // N5
constexpr uint32_t kLine = 64;
constexpr uint32_t kRecordMetaBytes = 16;

enum SlotState : uint32_t { kEmpty = 0, kLive = 1, kMoving = 2, kTorn = 3 };
enum ValueType : uint32_t { kTypeString = 0, kTypeBinary = 1 };
enum EvictMode : uint32_t { kEvictNone = 0, kEvictLru = 1 };
enum HeaderFlags : uint32_t { kFlagPersist = 1u };

constexpr uint64_t RoundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

// info word packing (K3: written only inside a seq bracket).
constexpr uint32_t PackInfo(uint32_t state, uint32_t type, uint32_t key_len, uint32_t value_len) {
  return (state & 3u) | ((type & 3u) << 2) | ((key_len & 0xffu) << 4) | ((value_len & 0xfffffu) << 12);
}
constexpr uint32_t InfoState(uint32_t info) { return info & 3u; }
constexpr uint32_t InfoType(uint32_t info) { return (info >> 2) & 3u; }
constexpr uint32_t InfoKeyLen(uint32_t info) { return (info >> 4) & 0xffu; }
constexpr uint32_t InfoValueLen(uint32_t info) { return info >> 12; }

struct SlotMeta {
  std::atomic<uint32_t> seq;
  std::atomic<uint32_t> info;
  std::atomic<uint64_t> expiry;
};
static_assert(sizeof(SlotMeta) == kRecordMetaBytes, "slot metadata must be 16 bytes");

constexpr uint32_t RecordBytes(uint32_t key_size, uint32_t value_size) {
  return static_cast<uint32_t>(kRecordMetaBytes + RoundUp(key_size, 8) + RoundUp(value_size, 8));
}
constexpr uint32_t MutexOffset(uint32_t record_bytes) { return static_cast<uint32_t>(RoundUp(record_bytes, 8)); }
constexpr uint32_t SlotBytes(uint32_t record_bytes) {
  return static_cast<uint32_t>(RoundUp(MutexOffset(record_bytes) + sizeof(pthread_mutex_t), kLine));
}
static_assert(RecordBytes(kDefaultKeySize, kDefaultValueSize) == 336, "default record must be 336 bytes");
#if defined(__linux__) && defined(__x86_64__)
static_assert(SlotBytes(336) == 384, "default slot must be 6 cache lines on x86-64 glibc");
#endif

constexpr uint64_t SlotCountFor(uint64_t max_keys) { return (max_keys * 4 + 2) / 3; }
static_assert(SlotCountFor(1) == 2 && SlotCountFor(3) == 4 && SlotCountFor(1024) == 1366, "L5: a slot stays EMPTY");

// Per-handle counters (one writer: the handle that claimed it). Reads never
// write a line shared with another handle (issue: reads dirty no shared line).
struct alignas(64) StatBlock {
  std::atomic<uint32_t> owner_pid;  // 0 = free
  uint32_t reserved;
  std::atomic<uint64_t> hits;
  std::atomic<uint64_t> misses;
  std::atomic<uint64_t> sets;
  std::atomic<uint64_t> deletes;
  uint64_t pad[3];
};
static_assert(sizeof(StatBlock) == kLine, "a stat block is one cache line");

struct alignas(64) Header {
  // Line 0: identity, immutable after init (L3).
  std::atomic<uint64_t> magic;  // L2
  uint32_t format_version;
  uint32_t header_bytes;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t record_bytes;
  uint32_t slot_bytes;
  uint32_t mutex_bytes;
  uint32_t evict_mode;
  uint64_t max_keys;
  uint64_t slot_count;
  uint64_t region_bytes;
  // Line 1: written by structure holders and, for the flags, by openers
  // under the lock file.
  alignas(64) std::atomic<uint32_t> flags;
  std::atomic<uint32_t> torn_seen;    // set by R1 when it marks a slot TORN; cleared by a TORN sweep
  std::atomic<uint64_t> count;        // LIVE+MOVING(-copies)+TORN entries, expired included
  std::atomic<uint64_t> ttl_entries;  // >= entries with expiry != 0 (exact unless a writer died)
  std::atomic<uint64_t> clock_hand;   // CLOCK eviction position (structure)
  std::atomic<uint64_t> evictions;
  std::atomic<uint64_t> expired;      // entries reclaimed because they expired
  std::atomic<uint64_t> recoveries;   // R1-R3 repairs
  std::atomic<uint64_t> next_expiry_hint;  // lower bound on every stored expiry (0 = unknown)
  // Line 2: counters of handles that have closed or died (folded in).
  alignas(64) std::atomic<uint64_t> retired_hits;
  std::atomic<uint64_t> retired_misses;
  std::atomic<uint64_t> retired_sets;
  std::atomic<uint64_t> retired_deletes;
  // Line 3: read by every lock-free miss; written only by deletes (K4), and
  // by the near cache's leader a few times a second (N1-N4).
  alignas(64) std::atomic<uint64_t> move_epoch;
  std::atomic<uint64_t> trust_generation;  // N1: generation readers may trust; 0 = none yet
  std::atomic<uint64_t> trust_until_ms;    // N1: CLOCK_MONOTONIC ms the trust ends; 0 = flushed
  // Line 4+: the structure mutex, alone.
  alignas(64) pthread_mutex_t structure;
  alignas(64) StatBlock shared_stats;  // used when all kStatBlocks are claimed (atomic adds)
};

constexpr uint32_t kHeaderBytes = static_cast<uint32_t>(RoundUp(sizeof(Header), kLine));
static_assert(offsetof(Header, flags) == 64, "header line 1");
static_assert(offsetof(Header, move_epoch) == 192, "header line 3");
static_assert(offsetof(Header, trust_until_ms) == 208, "the trust window shares line 3 with move_epoch");

// Geometry: everything derived from (max_keys, key_size, value_size).
struct Geometry {
  uint64_t max_keys = 0;
  uint32_t key_size = kDefaultKeySize;
  uint32_t value_size = kDefaultValueSize;
  uint32_t record_bytes = 0;
  uint32_t mutex_offset = 0;
  uint32_t slot_bytes = 0;
  uint64_t slot_count = 0;
  uint64_t stripes_offset = 0;
  uint64_t ref_offset = 0;
  uint64_t slots_offset = 0;
  uint64_t region_bytes = 0;

  // Returns false if the sizes are out of range or the region size overflows.
  bool Compute(uint64_t max_keys_in, uint32_t key_size_in, uint32_t value_size_in) {
    if (max_keys_in == 0 || max_keys_in > kMaxMaxKeys) return false;
    if (key_size_in == 0 || key_size_in > kMaxKeySize) return false;
    if (value_size_in == 0 || value_size_in > kMaxValueSize) return false;
    max_keys = max_keys_in;
    key_size = key_size_in;
    value_size = value_size_in;
    record_bytes = RecordBytes(key_size, value_size);
    mutex_offset = MutexOffset(record_bytes);
    slot_bytes = SlotBytes(record_bytes);
    slot_count = SlotCountFor(max_keys);
    stripes_offset = kHeaderBytes + uint64_t{kStatBlocks} * kLine;
    ref_offset = stripes_offset + uint64_t{kTrustStripes} * 8;
    slots_offset = ref_offset + RoundUp(slot_count, kLine);
    // slot_count <= 2^32 and slot_bytes <= 2^21: the product fits in 64 bits.
    region_bytes = slots_offset + slot_count * slot_bytes;
    return true;
  }
};

}  // namespace fsmm

#endif  // FSMM_CORE_LAYOUT_H_
