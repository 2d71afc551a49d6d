// Single-process tests of the core (src/core) without Node: hashing, probing
// and backward-shift delete (layout.h L5-L7), full tables, a long random
// operation sequence against a std::unordered_map model, TTL, incr/cas/add/
// replace, CLOCK eviction and attach-time layout checks.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <random>
#include <unordered_map>
#include <vector>

#include "check.h"

using fsmm::PutMode;
using fsmm::Status;
using fsmm::Table;
using namespace ntest;

namespace {

void TestFnvVectors() {
  auto h = [](const char* s, size_t n) { return fsmm::Fnv1a32(reinterpret_cast<const uint8_t*>(s), n); };
  CHECK(h("", 0) == 0x811c9dc5u);
  CHECK(h("a", 1) == 0xe40c292cu);
  CHECK(h("foobar", 6) == 0xbf9cf968u);
  CHECK(h("\0", 1) == 0x050c5d1fu);
  // Bytes >= 0x80 are taken as unsigned (the original package's signed-char bug).
  CHECK(h("\xff", 1) == 0x7a0b824eu);
  CHECK(h("\x80\x81\xfe", 3) == 0x3a187c8cu);
}

void TestGeometry() {
  CHECK(fsmm::SlotCountFor(1) == 2);
  CHECK(fsmm::SlotCountFor(3) == 4);
  CHECK(fsmm::SlotCountFor(12) == 16);
  CHECK(fsmm::SlotCountFor(1024) == 1366);
  for (uint64_t k = 1; k < 5000; k++) CHECK(fsmm::SlotCountFor(k) > k);  // L5
  fsmm::Geometry g;
  CHECK(g.Compute(1024, 64, 256));
  CHECK(g.record_bytes == 336);
  CHECK(g.slot_bytes % fsmm::kLine == 0);
  CHECK(g.region_bytes == fsmm::kHeaderBytes + fsmm::kStatBlocks * 64ull + fsmm::kTrustStripes * 8ull +
                              fsmm::RoundUp(1366, 64) + 1366ull * g.slot_bytes);
  CHECK(g.region_bytes == 536576);  // the figure docs/DESIGN.md and the README quote
  CHECK(!g.Compute(0, 64, 256));
  CHECK(!g.Compute(16, 0, 256));
  CHECK(!g.Compute(16, 256, 256));
  CHECK(!g.Compute(16, 64, 0));
  CHECK(!g.Compute(16, 64, 1u << 20));
  CHECK(!g.Compute(fsmm::kMaxMaxKeys + 1, 64, 256));
}

void TestBasicAndLimits() {
  NameGuard guard(UniqueName("basic"));
  Table t;
  MustOpen(&t, Options(guard.name, 16, 8, 32));
  std::string v;
  CHECK_ST(Get(&t, "nope", &v), Status::kNotFound);
  CHECK_ST(Set(&t, "k", "v1"), Status::kOk);
  CHECK_ST(Get(&t, "k", &v), Status::kOk);
  CHECK(v == "v1");
  CHECK_ST(Set(&t, "k", ""), Status::kOk);  // empty value
  CHECK_ST(Get(&t, "k", &v), Status::kOk);
  CHECK(v.empty());
  CHECK_ST(Set(&t, "", "empty key"), Status::kOk);  // empty key (0 bytes)
  CHECK_ST(Get(&t, "", &v), Status::kOk);
  CHECK(v == "empty key");
  // Exactly key_size / value_size bytes, then one more.
  std::string k8(8, 'k'), v32(32, 'v');
  CHECK_ST(Set(&t, k8, v32), Status::kOk);
  CHECK_ST(Get(&t, k8, &v), Status::kOk);
  CHECK(v == v32);
  CHECK_ST(Set(&t, k8 + "x", "a"), Status::kInvalid);
  CHECK_ST(Set(&t, "k", v32 + "x"), Status::kInvalid);
  CHECK_ST(Get(&t, k8 + "x", &v), Status::kInvalid);
  CHECK_ST(t.Put(U8("k"), 1, U8("x"), 1, 2, 0, PutMode::kUpsert), Status::kInvalid);  // type
  // Binary values with NUL bytes keep their bytes and type; keys differing
  // only after a NUL or in length are distinct.
  std::string bin("\0\1\0\xff", 4);
  CHECK_ST(t.Put(U8("b"), 1, U8(bin), Len(bin), fsmm::kTypeBinary, 0, PutMode::kUpsert), Status::kOk);
  uint32_t type = 99;
  CHECK_ST(Get(&t, "b", &v, &type), Status::kOk);
  CHECK(v == bin && type == fsmm::kTypeBinary);
  CHECK_ST(Set(&t, std::string("b\0", 2), "two"), Status::kOk);
  CHECK_ST(Get(&t, "b", &v), Status::kOk);
  CHECK(v == bin);
  CHECK_ST(Get(&t, std::string("b\0", 2), &v), Status::kOk);
  CHECK(v == "two");
  CHECK_ST(t.Has(U8("b"), 1), Status::kOk);
  CHECK_ST(t.Has(U8("zz"), 2), Status::kNotFound);
  CHECK_ST(Del(&t, "b"), Status::kOk);
  CHECK_ST(Del(&t, "b"), Status::kNotFound);
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.capacity == 16 && st.slot_count == fsmm::SlotCountFor(16) && st.key_size == 8 && st.value_size == 32);
  CHECK(st.size == 4);  // k, "", k8, "b\0"
  CHECK(st.deletes == 1);
  CHECK(st.hits == 7 && st.misses == 1);  // has() and invalid keys count nothing
  CHECK_INVARIANTS(t);
  t.Clear();
  t.GetStats(&st);
  CHECK(st.size == 0);
  CHECK_INVARIANTS(t);
}

// Keys with the same home fill consecutive slots; deleting from the middle of
// a chain shifts the later members back (L6), and keys whose home lies after
// the hole stay where they are.
void TestCollisionsAndShift() {
  NameGuard guard(UniqueName("coll"));
  Table t;
  MustOpen(&t, Options(guard.name, 12));  // 16 slots
  const uint64_t sc = SlotCount(&t);
  CHECK(sc == 16);
  int n = 0;
  std::vector<std::string> chain;
  for (int i = 0; i < 5; i++) chain.push_back(KeyWithHome("c", 3, sc, &n));
  std::string other = KeyWithHome("o", 4, sc, &n);  // home 4, lands after the chain
  for (auto& k : chain) CHECK_ST(Set(&t, k, "v" + k), Status::kOk);
  CHECK_ST(Set(&t, other, "other"), Status::kOk);
  {
    SlotView view(guard.name);
    for (int i = 0; i < 5; i++) CHECK(view.Find(chain[i]) == 3 + i);
    CHECK(view.Find(other) == 8);
  }
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.max_probe == 5);  // chain[4] and `other` are both 5 probes from home
  // Delete chain[2] (slot 5): chain[3], chain[4] and other each move back one.
  CHECK_ST(Del(&t, chain[2]), Status::kOk);
  {
    SlotView view(guard.name);
    CHECK(view.Find(chain[3]) == 5);
    CHECK(view.Find(chain[4]) == 6);
    CHECK(view.Find(other) == 7);
    CHECK(view.State(8) == fsmm::kEmpty);
    CHECK((view.MoveEpoch() & 1) == 0);  // K4: even after the operation
  }
  std::string v;
  for (int i : {0, 1, 3, 4}) {
    CHECK_ST(Get(&t, chain[i], &v), Status::kOk);
    CHECK(v == "v" + chain[i]);
  }
  CHECK_ST(Get(&t, chain[2], &v), Status::kNotFound);
  CHECK_INVARIANTS(t);
  // A key whose home is after the hole must not move into it.
  int m = 1000;
  std::string at6 = KeyWithHome("h", 7, sc, &m);  // home 7: slot 7 holds `other`, lands at 8
  CHECK_ST(Set(&t, at6, "h"), Status::kOk);
  CHECK_ST(Del(&t, chain[0]), Status::kOk);  // hole at 3: chain[1],[3],[4] shift; other (home 4) shifts to 6
  {
    SlotView view(guard.name);
    CHECK(view.Find(chain[1]) == 3);
    CHECK(view.Find(chain[3]) == 4);
    CHECK(view.Find(chain[4]) == 5);
    CHECK(view.Find(other) == 6);
    CHECK(view.Find(at6) == 7);  // home 7 is reachable again from slot 7
  }
  CHECK_INVARIANTS(t);
  // Delete the last member of a chain: nothing after it moves.
  CHECK_ST(Del(&t, at6), Status::kOk);
  CHECK_ST(Del(&t, chain[4]), Status::kOk);
  {
    SlotView view(guard.name);
    CHECK(view.Find(other) == 5);  // home 4 < 5: shifted into chain[4]'s hole
  }
  for (auto& k : {chain[1], chain[3], other}) CHECK_ST(t.Has(U8(k), Len(k)), Status::kOk);
  CHECK_INVARIANTS(t);
}

// Chains that start at the last slot continue at slot 0; deletes shift
// entries back across the wrap.
void TestWrapAround() {
  NameGuard guard(UniqueName("wrap"));
  Table t;
  MustOpen(&t, Options(guard.name, 12));
  const uint64_t sc = SlotCount(&t);
  int n = 0;
  std::vector<std::string> tail;
  for (int i = 0; i < 4; i++) tail.push_back(KeyWithHome("w", sc - 1, sc, &n));
  std::string zero = KeyWithHome("z", 0, sc, &n);
  CHECK_ST(Set(&t, zero, "zero"), Status::kOk);  // takes slot 0 first
  for (auto& k : tail) CHECK_ST(Set(&t, k, k), Status::kOk);
  {
    SlotView view(guard.name);
    CHECK(view.Find(zero) == 0);
    CHECK(view.Find(tail[0]) == static_cast<int64_t>(sc - 1));
    CHECK(view.Find(tail[1]) == 1);
    CHECK(view.Find(tail[2]) == 2);
    CHECK(view.Find(tail[3]) == 3);
  }
  CHECK_INVARIANTS(t);
  CHECK_ST(Del(&t, tail[0]), Status::kOk);  // hole at sc-1: tail[1] wraps back into it
  {
    SlotView view(guard.name);
    CHECK(view.Find(tail[1]) == static_cast<int64_t>(sc - 1));
    CHECK(view.Find(zero) == 0);  // home 0 is not before the hole cyclically... it stays
    CHECK(view.Find(tail[2]) == 1);
    CHECK(view.Find(tail[3]) == 2);
    CHECK(view.State(3) == fsmm::kEmpty);
  }
  CHECK_ST(Del(&t, zero), Status::kOk);  // hole at 0: tail[2] (home sc-1) moves to 0
  {
    SlotView view(guard.name);
    CHECK(view.Find(tail[2]) == 0);
    CHECK(view.Find(tail[3]) == 1);
  }
  std::string v;
  for (int i = 1; i < 4; i++) {
    CHECK_ST(Get(&t, tail[i], &v), Status::kOk);
    CHECK(v == tail[i]);
  }
  CHECK_INVARIANTS(t);
}

void TestFullTable() {
  NameGuard guard(UniqueName("full"));
  Table t;
  MustOpen(&t, Options(guard.name, 8));
  for (int i = 0; i < 8; i++) CHECK_ST(Set(&t, "k" + std::to_string(i), "v"), Status::kOk);
  CHECK_ST(Set(&t, "new", "v"), Status::kFull);
  CHECK_ST(Set(&t, "new", "v", 0, PutMode::kAdd), Status::kFull);
  int64_t r = 0;
  CHECK_ST(t.Incr(U8("ctr"), 3, 1, 0, 0, &r), Status::kFull);
  CHECK_ST(Set(&t, "k3", "updated"), Status::kOk);  // updates never need room
  CHECK_ST(Set(&t, "k3", "again", 0, PutMode::kReplace), Status::kOk);
  CHECK_INVARIANTS(t);
  CHECK_ST(Del(&t, "k5"), Status::kOk);
  CHECK_ST(Set(&t, "new", "v"), Status::kOk);
  CHECK_ST(Set(&t, "new2", "v"), Status::kFull);
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.size == 8 && st.evictions == 0);
  CHECK_INVARIANTS(t);
  // maxKeys = 1: two slots, one entry.
  NameGuard g1(UniqueName("one"));
  Table one;
  MustOpen(&one, Options(g1.name, 1));
  CHECK(SlotCount(&one) == 2);
  CHECK_ST(Set(&one, "a", "1"), Status::kOk);
  CHECK_ST(Set(&one, "b", "2"), Status::kFull);
  CHECK_ST(Del(&one, "a"), Status::kOk);
  CHECK_ST(Set(&one, "b", "2"), Status::kOk);
  CHECK_INVARIANTS(one);
}

void WaitMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void TestTtl() {
  NameGuard guard(UniqueName("ttl"));
  Table t;
  MustOpen(&t, Options(guard.name, 4));
  int64_t rem = 0;
  CHECK_ST(Set(&t, "forever", "f"), Status::kOk);
  CHECK_ST(t.Ttl(U8("forever"), 7, &rem), Status::kOk);
  CHECK(rem == -1);
  CHECK_ST(t.Ttl(U8("absent"), 6, &rem), Status::kNotFound);
  CHECK_ST(Set(&t, "short", "s", 40), Status::kOk);
  CHECK_ST(t.Ttl(U8("short"), 5, &rem), Status::kOk);
  CHECK(rem >= 1 && rem <= 40);
  CHECK_ST(Set(&t, "long", "l", 1000000), Status::kOk);
  CHECK_ST(Set(&t, "gone", "g", 40), Status::kOk);
  // Bounded wait until "short" has expired (40 ms nominal, 2 s limit).
  double start = NowSeconds();
  std::string v;
  while (Get(&t, "short", &v) == Status::kOk) {
    CHECKF(NowSeconds() - start < 2.0, "a 40 ms ttl still alive after 2 s");
    WaitMs(5);
  }
  CHECK(NowSeconds() - start >= 0.030);  // and not before its time (1 ms clock granularity)
  CHECK_ST(t.Has(U8("short"), 5), Status::kNotFound);
  CHECK_ST(t.Ttl(U8("short"), 5, &rem), Status::kNotFound);
  CHECK_ST(Set(&t, "short", "x", 0, PutMode::kReplace), Status::kNotFound);  // expired = absent
  CHECK_ST(t.Expire(U8("short"), 5, 1000), Status::kNotFound);
  CHECK_ST(Set(&t, "short", "new", 0, PutMode::kAdd), Status::kOk);     // reuses the expired entry
  CHECK_ST(t.Ttl(U8("short"), 5, &rem), Status::kOk);
  CHECK(rem == -1);
  // The table is full (4 entries, "gone" expired): a new key reclaims it.
  CHECK_ST(Get(&t, "gone", &v), Status::kNotFound);
  CHECK_ST(Set(&t, "fifth", "5"), Status::kOk);
  CHECK_ST(Get(&t, "long", &v), Status::kOk);
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.expired >= 2);  // "short" overwritten while expired, "gone" reclaimed
  CHECK(st.size == 4);
  // expire(): set, then remove, an expiry.
  CHECK_ST(t.Expire(U8("forever"), 7, 500000), Status::kOk);
  CHECK_ST(t.Ttl(U8("forever"), 7, &rem), Status::kOk);
  CHECK(rem > 400000 && rem <= 500000);
  CHECK_ST(t.Expire(U8("forever"), 7, 0), Status::kOk);
  CHECK_ST(t.Ttl(U8("forever"), 7, &rem), Status::kOk);
  CHECK(rem == -1);
  // A huge ttl saturates instead of wrapping into the past.
  CHECK_ST(Set(&t, "long", "l", UINT64_MAX), Status::kOk);
  CHECK_ST(Get(&t, "long", &v), Status::kOk);
  CHECK_INVARIANTS(t);
  // purgeExpired() removes exactly the expired entries.
  t.Clear();
  CHECK_ST(Set(&t, "a", "1", 20), Status::kOk);
  CHECK_ST(Set(&t, "b", "2", 20), Status::kOk);
  CHECK_ST(Set(&t, "c", "3"), Status::kOk);
  start = NowSeconds();
  while (t.Has(U8("a"), 1) == Status::kOk || t.Has(U8("b"), 1) == Status::kOk) {
    CHECKF(NowSeconds() - start < 2.0, "a 20 ms ttl still alive after 2 s");
    WaitMs(5);
  }
  CHECK(t.PurgeExpired() == 2);
  CHECK(t.PurgeExpired() == 0);
  t.GetStats(&st);
  CHECK(st.size == 1);
  CHECK_INVARIANTS(t);
}

void TestIncrCasAddReplace() {
  NameGuard guard(UniqueName("incr"));
  Table t;
  MustOpen(&t, Options(guard.name, 16, 16, 24));
  int64_t r = 0;
  std::string v;
  CHECK_ST(t.Incr(U8("n"), 1, 5, 10, 0, &r), Status::kOk);  // missing: initial + delta
  CHECK(r == 15);
  CHECK_ST(Get(&t, "n", &v), Status::kOk);
  CHECK(v == "15");
  CHECK_ST(t.Incr(U8("n"), 1, -20, 0, 0, &r), Status::kOk);
  CHECK(r == -5);
  CHECK_ST(Get(&t, "n", &v), Status::kOk);
  CHECK(v == "-5");
  // Out of range: nothing stored.
  CHECK_ST(Set(&t, "big", "9007199254740990"), Status::kOk);
  CHECK_ST(t.Incr(U8("big"), 3, 1, 0, 0, &r), Status::kOk);
  CHECK(r == fsmm::kMaxSafeInteger);
  CHECK_ST(t.Incr(U8("big"), 3, 1, 0, 0, &r), Status::kOutOfRange);
  CHECK_ST(Get(&t, "big", &v), Status::kOk);
  CHECK(v == "9007199254740991");
  CHECK_ST(t.Incr(U8("big"), 3, INT64_MAX, 0, 0, &r), Status::kOutOfRange);  // int64 overflow
  CHECK_ST(t.Incr(U8("neg"), 3, INT64_MIN, 0, 0, &r), Status::kOutOfRange);
  CHECK_ST(t.Has(U8("neg"), 3), Status::kNotFound);
  // Not integers.
  for (const char* bad : {"abc", "", "1.5", "+1", " 1", "1 ", "-", "99999999999999999999", "--1"}) {
    CHECK_ST(Set(&t, "s", bad), Status::kOk);
    Status s = t.Incr(U8("s"), 1, 1, 0, 0, &r);
    CHECKF(s == Status::kNotInteger, "incr of \"%s\" returned %s", bad, fsmm::StatusName(s));
  }
  CHECK_ST(t.Put(U8("bin"), 3, U8("7"), 1, fsmm::kTypeBinary, 0, PutMode::kUpsert), Status::kOk);
  CHECK_ST(t.Incr(U8("bin"), 3, 1, 0, 0, &r), Status::kNotInteger);  // binary values are not numbers
  CHECK_ST(Set(&t, "z", "007"), Status::kOk);
  CHECK_ST(t.Incr(U8("z"), 1, 1, 0, 0, &r), Status::kOk);
  CHECK(r == 8);
  // incr keeps the expiry of a live key; a new key gets the given ttl.
  int64_t rem = 0;
  CHECK_ST(t.Incr(U8("t"), 1, 1, 0, 900000, &r), Status::kOk);
  CHECK_ST(t.Ttl(U8("t"), 1, &rem), Status::kOk);
  CHECK(rem > 0 && rem <= 900000);
  CHECK_ST(t.Incr(U8("t"), 1, 1, 0, 0, &r), Status::kOk);
  CHECK(r == 2);
  CHECK_ST(t.Ttl(U8("t"), 1, &rem), Status::kOk);
  CHECK(rem > 0);
  // add / replace.
  CHECK_ST(Set(&t, "a", "1", 0, PutMode::kAdd), Status::kOk);
  CHECK_ST(Set(&t, "a", "2", 0, PutMode::kAdd), Status::kExists);
  CHECK_ST(Get(&t, "a", &v), Status::kOk);
  CHECK(v == "1");
  CHECK_ST(Set(&t, "r", "1", 0, PutMode::kReplace), Status::kNotFound);
  CHECK_ST(t.Has(U8("r"), 1), Status::kNotFound);
  CHECK_ST(Set(&t, "a", "3", 0, PutMode::kReplace), Status::kOk);
  CHECK_ST(Get(&t, "a", &v), Status::kOk);
  CHECK(v == "3");
  // cas compares bytes (not the type) and length.
  CHECK_ST(t.Cas(U8("c"), 1, U8("x"), 1, U8("y"), 1, fsmm::kTypeString, 0), Status::kNotFound);
  CHECK_ST(Set(&t, "c", "abc"), Status::kOk);
  CHECK_ST(t.Cas(U8("c"), 1, U8("ab"), 2, U8("y"), 1, fsmm::kTypeString, 0), Status::kMismatch);
  CHECK_ST(t.Cas(U8("c"), 1, U8("abd"), 3, U8("y"), 1, fsmm::kTypeString, 0), Status::kMismatch);
  CHECK_ST(Get(&t, "c", &v), Status::kOk);
  CHECK(v == "abc");
  CHECK_ST(t.Cas(U8("c"), 1, U8("abc"), 3, U8("new"), 3, fsmm::kTypeBinary, 0), Status::kOk);
  uint32_t type = 0;
  CHECK_ST(Get(&t, "c", &v, &type), Status::kOk);
  CHECK(v == "new" && type == fsmm::kTypeBinary);
  CHECK_ST(t.Cas(U8("c"), 1, U8("new"), 3, U8(""), 0, fsmm::kTypeString, 0), Status::kOk);
  CHECK_ST(Get(&t, "c", &v), Status::kOk);
  CHECK(v.empty());
  CHECK_ST(t.Cas(U8("c"), 1, U8("x"), 1, U8(std::string(25, 'v')), 25, 0, 0), Status::kInvalid);
  CHECK_INVARIANTS(t);
}

// CLOCK: a full LRU table evicts instead of failing, and a key read since the
// hand last passed survives while an unread one goes.
void TestLruEviction() {
  NameGuard guard(UniqueName("lru"));
  Table t;
  MustOpen(&t, Options(guard.name, 8, 64, 256, fsmm::kEvictLru));
  CHECK(t.evict_mode() == fsmm::kEvictLru);
  std::vector<std::string> keys;
  for (int i = 0; i < 8; i++) {
    keys.push_back("k" + std::to_string(i));
    CHECK_ST(Set(&t, keys.back(), "v"), Status::kOk);
  }
  CHECK_ST(Set(&t, "n1", "v"), Status::kOk);  // evicts one (every bit set: the sweep clears them all)
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.evictions == 1 && st.size == 8);
  std::vector<std::string> left;
  {
    SlotView view(guard.name);  // not has(): a read would set the CLOCK bit
    for (auto& k : keys) {
      if (view.Find(k) >= 0) left.push_back(k);
    }
  }
  CHECK(left.size() == 7);
  CHECK_INVARIANTS(t);
  // Read all survivors but one: that one is the next victim.
  std::string cold = left[3], v;
  for (auto& k : left) {
    if (k != cold) CHECK_ST(Get(&t, k, &v), Status::kOk);
  }
  CHECK_ST(Set(&t, "n2", "v"), Status::kOk);
  CHECK_ST(t.Has(U8(cold), Len(cold)), Status::kNotFound);
  for (auto& k : left) {
    if (k != cold) CHECK_ST(t.Has(U8(k), Len(k)), Status::kOk);
  }
  CHECK_ST(t.Has(U8("n1"), 2), Status::kOk);
  CHECK_ST(t.Has(U8("n2"), 2), Status::kOk);
  t.GetStats(&st);
  CHECK(st.evictions == 2 && st.size == 8);
  // Many more inserts: the size stays at capacity, the invariants hold.
  for (int i = 0; i < 200; i++) CHECK_ST(Set(&t, "m" + std::to_string(i), "v"), Status::kOk);
  t.GetStats(&st);
  CHECK(st.evictions == 202 && st.size == 8);
  CHECK_INVARIANTS(t);
}

// Regression (fuzz/ops_fuzzer): an incr of a new key into a full LRU table
// whose result is out of range used to evict an entry and then store nothing.
void TestFailedIncrEvictsNothing() {
  NameGuard guard(UniqueName("incrlru"));
  Table t;
  MustOpen(&t, Options(guard.name, 4, 8, 4, fsmm::kEvictLru));
  for (int i = 0; i < 4; i++) CHECK_ST(Set(&t, "k" + std::to_string(i), "v"), Status::kOk);
  int64_t r = 0;
  CHECK_ST(t.Incr(U8("n"), 1, fsmm::kMaxSafeInteger, 1, 0, &r), Status::kOutOfRange);
  CHECK_ST(t.Incr(U8("n"), 1, INT64_MAX, 1, 0, &r), Status::kOutOfRange);
  CHECK_ST(t.Incr(U8("n"), 1, 10000, 0, 0, &r), Status::kTooLarge);  // "10000" > valueSize 4
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.evictions == 0 && st.size == 4);
  for (int i = 0; i < 4; i++) CHECK_ST(t.Has(U8("k" + std::to_string(i)), 2), Status::kOk);
  CHECK_ST(t.Incr(U8("n"), 1, 9999, 0, 0, &r), Status::kOk);  // fits: evicts one, stores "9999"
  t.GetStats(&st);
  CHECK(st.evictions == 1 && st.size == 4 && r == 9999);
  CHECK_INVARIANTS(t);
}

// Regression (fuzz/attach_fuzzer): a slot whose writer died while its info
// said EMPTY (seq odd, mutex owner-dead) must stay EMPTY after R1, not become
// a TORN entry that count does not include.
void TestOwnerDeadEmptySlot() {
  NameGuard guard(UniqueName("deadempty"));
  Table t;
  MustOpen(&t, Options(guard.name, 8));
  CHECK_ST(Set(&t, "a", "1"), Status::kOk);
  const fsmm::Geometry& g = t.geometry();
  int64_t slot_a;
  {
    SlotView view(guard.name);
    slot_a = view.Find("a");
  }
  uint64_t empty = (static_cast<uint64_t>(slot_a) + 3) % g.slot_count;  // 8 keys, 11 slots: only "a" is stored
  int fd = shm_open(fsmm::ShmNameFor(guard.name).c_str(), O_RDWR, 0);
  CHECK(fd >= 0);
  void* p = mmap(nullptr, g.region_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  CHECK(p != MAP_FAILED);
  uint8_t* slot = static_cast<uint8_t*>(p) + g.slots_offset + empty * g.slot_bytes;
  auto* meta = reinterpret_cast<fsmm::SlotMeta*>(slot);
  CHECK(fsmm::InfoState(meta->info.load()) == fsmm::kEmpty);
  meta->seq.store(meta->seq.load() + 1);                          // the writer was mid-write...
  __atomic_store_n(reinterpret_cast<int*>(slot + g.mutex_offset), 0x40000000, __ATOMIC_RELAXED);  // ...and died (glibc FUTEX_OWNER_DIED)
  munmap(p, g.region_bytes);
  CHECK_INVARIANTS(t);  // walks the slot: R1 takes the owner-dead mutex
  fsmm::TableStats st;
  t.GetStats(&st);
  CHECK(st.recoveries == 1 && st.size == 1);
  std::string v;
  CHECK_ST(Get(&t, "a", &v), Status::kOk);
  t.Clear();
  CHECK_INVARIANTS(t);
}

void TestLayoutMismatch() {
  NameGuard guard(UniqueName("layout"));
  Table a;
  MustOpen(&a, Options(guard.name, 16, 32, 64));
  CHECK_ST(Set(&a, "k", "v"), Status::kOk);
  struct Case {
    fsmm::OpenOptions o;
    const char* field;
    uint64_t expected, actual;
  } cases[] = {
      {Options(guard.name, 32, 32, 64), "maxKeys", 32, 16},
      {Options(guard.name, 16, 33, 64), "keySize", 33, 32},
      {Options(guard.name, 16, 32, 65), "valueSize", 65, 64},
      {Options(guard.name, 16, 32, 64, fsmm::kEvictLru), "evict", fsmm::kEvictLru, fsmm::kEvictNone},
  };
  for (auto& c : cases) {
    Table b;
    fsmm::OpenError e;
    CHECK_ST(b.Open(c.o, &e), Status::kLayoutMismatch);
    CHECKF(e.field == c.field, "field %s, expected %s", e.field.c_str(), c.field);
    CHECK(e.expected == c.expected && e.actual == c.actual);
    CHECK(!e.message.empty());
    CHECK(!b.is_open());
  }
  // attach_only adopts the stored geometry.
  fsmm::OpenOptions o = Options(guard.name, 999, 1, 1);
  o.attach_only = true;
  Table c;
  MustOpen(&c, o);
  CHECK(c.geometry().max_keys == 16 && c.geometry().key_size == 32 && c.geometry().value_size == 64);
  std::string v;
  CHECK_ST(Get(&c, "k", &v), Status::kOk);
  CHECK(v == "v");
  c.Close();
  a.Close();
  // The last close of a non-persistent segment removes it (P5).
  struct stat sb;
  CHECK(stat(("/dev/shm/fsmm." + guard.name).c_str(), &sb) != 0);
  CHECK(stat(("/dev/shm/fsmm." + guard.name + ".lock").c_str(), &sb) != 0);
  // attach_only to a missing segment fails and leaves nothing behind.
  Table d;
  fsmm::OpenError e;
  CHECK_ST(d.Open(o, &e), Status::kSysError);
  CHECK(stat(("/dev/shm/fsmm." + guard.name + ".lock").c_str(), &sb) != 0);

  // A foreign file under our prefix is refused and left untouched.
  NameGuard foreign(UniqueName("foreign"));
  std::string path = "/dev/shm/fsmm." + foreign.name;
  int fd = open(path.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  CHECK(fd >= 0);
  std::string junk(4096, 'J');
  CHECK(write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  close(fd);
  Table f;
  CHECK_ST(f.Open(Options(foreign.name, 16), &e), Status::kLayoutMismatch);
  CHECK(e.field == "magic");
  CHECK(stat(path.c_str(), &sb) == 0 && sb.st_size == 4096);
  // Invalid names and sizes.
  Table g;
  CHECK_ST(g.Open(Options("../etc", 16), &e), Status::kInvalid);
  CHECK_ST(g.Open(Options(foreign.name + "x", 0), &e), Status::kInvalid);
}

// --- the long random run against a model ---------------------------------

struct ModelEntry {
  std::string value;
  uint32_t type;
  bool has_ttl;
};

void TestRandomAgainstModel(uint64_t seed) {
  NameGuard guard(UniqueName("model"));
  const uint64_t kMaxKeys = 48;
  const uint32_t kKeySize = 12, kValueSize = 40;
  const uint64_t kHugeTtl = 1000ull * 3600 * 24 * 365;
  Table t;
  MustOpen(&t, Options(guard.name, kMaxKeys, kKeySize, kValueSize));
  std::mt19937_64 rng(seed);
  std::unordered_map<std::string, ModelEntry> model;
  std::vector<std::string> keyspace;
  for (int i = 0; i < 80; i++) keyspace.push_back("key" + std::to_string(i));
  keyspace.push_back("");
  keyspace.push_back(std::string(kKeySize, 'L'));
  const char* numbers[] = {"0", "1", "-1", "42", "9007199254740990", "-9007199254740991", "007", "x", ""};
  auto random_value = [&](uint32_t* type) {
    *type = rng() % 4 == 0 ? fsmm::kTypeBinary : fsmm::kTypeString;
    if (rng() % 3 == 0) return std::string(numbers[rng() % (sizeof numbers / sizeof *numbers)]);
    std::string v(rng() % (kValueSize + 1), '\0');
    for (auto& c : v) c = static_cast<char>(rng());
    return v;
  };
  auto random_ttl = [&]() -> uint64_t { return rng() % 3 == 0 ? kHugeTtl : 0; };
  std::string got;
  uint8_t buf[kValueSize + 8];
  const int kPhases = 40, kOpsPerPhase = 2500;
  uint64_t counts[12] = {0};
  for (int phase = 0; phase < kPhases; phase++) {
    for (int op = 0; op < kOpsPerPhase; op++) {
      const std::string& k = keyspace[rng() % keyspace.size()];
      auto it = model.find(k);
      bool present = it != model.end();
      bool room = present || model.size() < kMaxKeys;
      int kind = static_cast<int>(rng() % 100);
      uint32_t type;
      if (kind < 25) {  // get
        counts[0]++;
        uint32_t len = 0, ty = 0;
        Status s = t.Get(U8(k), Len(k), buf, &len, &ty);
        CHECK_ST(s, present ? Status::kOk : Status::kNotFound);
        if (present) {
          CHECK(std::string(reinterpret_cast<char*>(buf), len) == it->second.value);
          CHECK(ty == it->second.type);
        }
      } else if (kind < 45) {  // set
        counts[1]++;
        std::string v = random_value(&type);
        uint64_t ttl = random_ttl();
        Status s = t.Put(U8(k), Len(k), U8(v), Len(v), type, ttl, PutMode::kUpsert);
        CHECK_ST(s, room ? Status::kOk : Status::kFull);
        if (room) model[k] = {v, type, ttl != 0};
      } else if (kind < 55) {  // delete
        counts[2]++;
        CHECK_ST(Del(&t, k), present ? Status::kOk : Status::kNotFound);
        model.erase(k);
      } else if (kind < 60) {  // add
        counts[3]++;
        std::string v = random_value(&type);
        uint64_t ttl = random_ttl();
        Status want = present ? Status::kExists : (room ? Status::kOk : Status::kFull);
        CHECK_ST(t.Put(U8(k), Len(k), U8(v), Len(v), type, ttl, PutMode::kAdd), want);
        if (want == Status::kOk) model[k] = {v, type, ttl != 0};
      } else if (kind < 65) {  // replace
        counts[4]++;
        std::string v = random_value(&type);
        uint64_t ttl = random_ttl();
        CHECK_ST(t.Put(U8(k), Len(k), U8(v), Len(v), type, ttl, PutMode::kReplace),
                 present ? Status::kOk : Status::kNotFound);
        if (present) it->second = {v, type, ttl != 0};
      } else if (kind < 77) {  // incr
        counts[5]++;
        int64_t delta = static_cast<int64_t>(rng() % 7) - 3, initial = static_cast<int64_t>(rng() % 5);
        if (rng() % 50 == 0) delta = fsmm::kMaxSafeInteger;
        uint64_t ttl = random_ttl();
        int64_t r = 0;
        Status s = t.Incr(U8(k), Len(k), delta, initial, ttl, &r);
        Status want;
        int64_t base = initial, expect = 0;
        if (present && (it->second.type != fsmm::kTypeString || !ntest::ModelParseInt(it->second.value, &base))) {
          want = Status::kNotInteger;
        } else if (__builtin_add_overflow(base, delta, &expect) || expect > fsmm::kMaxSafeInteger ||
                   expect < -fsmm::kMaxSafeInteger) {
          want = Status::kOutOfRange;  // checked before room is made (nothing evicted, nothing stored)
        } else {
          want = room ? Status::kOk : Status::kFull;
        }
        CHECK_ST(s, want);
        if (s == Status::kOk) {
          CHECK(r == expect);
          bool keep_ttl = present ? it->second.has_ttl : ttl != 0;
          model[k] = {std::to_string(expect), fsmm::kTypeString, keep_ttl};
        }
      } else if (kind < 85) {  // cas
        counts[6]++;
        std::string expected = present && rng() % 2 ? it->second.value : random_value(&type);
        std::string v = random_value(&type);
        uint64_t ttl = random_ttl();
        Status s = t.Cas(U8(k), Len(k), U8(expected), Len(expected), U8(v), Len(v), type, ttl);
        Status want = !present ? Status::kNotFound
                               : (it->second.value == expected ? Status::kOk : Status::kMismatch);
        CHECK_ST(s, want);
        if (want == Status::kOk) it->second = {v, type, ttl != 0};
      } else if (kind < 90) {  // expire
        counts[7]++;
        uint64_t ttl = random_ttl();
        CHECK_ST(t.Expire(U8(k), Len(k), ttl), present ? Status::kOk : Status::kNotFound);
        if (present) it->second.has_ttl = ttl != 0;
      } else if (kind < 95) {  // ttl
        counts[8]++;
        int64_t rem = 0;
        CHECK_ST(t.Ttl(U8(k), Len(k), &rem), present ? Status::kOk : Status::kNotFound);
        if (present) CHECK(it->second.has_ttl ? rem > 0 : rem == -1);
      } else if (kind < 99) {  // has
        counts[9]++;
        CHECK_ST(t.Has(U8(k), Len(k)), present ? Status::kOk : Status::kNotFound);
      } else if (rng() % 8 == 0) {  // clear (rare)
        counts[10]++;
        t.Clear();
        model.clear();
      } else {  // purge: nothing can have expired
        counts[11]++;
        CHECK(t.PurgeExpired() == 0);
      }
    }
    CHECK_INVARIANTS(t);
    fsmm::TableStats st;
    t.GetStats(&st);
    CHECKF(st.size == model.size(), "phase %d: size %" PRIu64 ", model %zu", phase, st.size, model.size());
    // The listing agrees with the model too.
    std::vector<fsmm::ListedEntry> entries;
    std::vector<uint8_t> blob;
    t.List(nullptr, 0, UINT64_MAX, true, &entries, &blob);
    CHECK(entries.size() == model.size());
    for (auto& e : entries) {
      std::string key(reinterpret_cast<char*>(blob.data() + e.key_offset), e.key_len);
      auto m = model.find(key);
      CHECK(m != model.end());
      CHECK(std::string(reinterpret_cast<char*>(blob.data() + e.value_offset), e.value_len) == m->second.value);
      CHECK(e.type == m->second.type);
    }
  }
  printf("  model run seed %" PRIu64 ": get %" PRIu64 " set %" PRIu64 " del %" PRIu64 " add %" PRIu64
         " replace %" PRIu64 " incr %" PRIu64 " cas %" PRIu64 " expire %" PRIu64 " ttl %" PRIu64 " has %" PRIu64
         " clear %" PRIu64 " purge %" PRIu64 "\n",
         seed, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7], counts[8],
         counts[9], counts[10], counts[11]);
}

// keys({prefix, limit}) and entries().
void TestList() {
  NameGuard guard(UniqueName("list"));
  Table t;
  MustOpen(&t, Options(guard.name, 32));
  for (int i = 0; i < 10; i++) CHECK_ST(Set(&t, "user:" + std::to_string(i), "u" + std::to_string(i)), Status::kOk);
  for (int i = 0; i < 5; i++) CHECK_ST(Set(&t, "sess:" + std::to_string(i), "s"), Status::kOk);
  std::vector<fsmm::ListedEntry> entries;
  std::vector<uint8_t> blob;
  t.List(U8("user:"), 5, UINT64_MAX, false, &entries, &blob);
  CHECK(entries.size() == 10);
  for (auto& e : entries) {
    CHECK(memcmp(blob.data() + e.key_offset, "user:", 5) == 0);
    CHECK(e.value_len == 0);
  }
  t.List(U8("sess:"), 5, 3, true, &entries, &blob);
  CHECK(entries.size() == 3);
  for (auto& e : entries) CHECK(e.value_len == 1 && blob[e.value_offset] == 's');
  t.List(U8("zzz"), 3, UINT64_MAX, true, &entries, &blob);
  CHECK(entries.empty());
  t.List(nullptr, 0, 0, true, &entries, &blob);
  CHECK(entries.empty());
}

}  // namespace

void TestTrustWindow() {
  NameGuard guard(UniqueName("trust"));
  Table t;
  MustOpen(&t, Options(guard.name, 16));
  auto get_trusted = [&](const char* key, std::string* v) {
    uint8_t out[512];
    uint32_t len = 0, type = 0;
    Status s = t.GetTrusted(U8(key), static_cast<uint32_t>(strlen(key)), out, &len, &type);
    if (s == Status::kOk) v->assign(reinterpret_cast<char*>(out), len);
    return s;
  };
  auto tagged = [](uint64_t gen, const char* key) {
    uint8_t tag[fsmm::kMaxGenerationTagBytes];
    uint32_t n = fsmm::GenerationTag(gen, tag);
    return std::string(reinterpret_cast<char*>(tag), n) + key;
  };
  // GenerationTag: "\0" + decimal + ":" (the format lib/near writes with JS strings).
  CHECK(tagged(1, "k") == std::string("\0" "1:k", 4));
  CHECK(tagged(0, "") == std::string("\0" "0:", 3));
  CHECK(tagged(UINT64_MAX, "") == std::string("\0" "18446744073709551615:", 22));
  std::string v;
  // N1: nothing trusted before the first go-live.
  CHECK(t.TrustedGeneration(nullptr) == 0);
  CHECK_ST(get_trusted("k", &v), Status::kNotTrusted);
  uint64_t now = Table::ClockMs();
  uint64_t g1 = t.TrustGoLive(now + 60000);
  CHECK(g1 == 1);
  CHECK(t.TrustedGeneration(nullptr) == g1);
  CHECK_ST(get_trusted("k", &v), Status::kNotFound);
  CHECK_ST(Set(&t, tagged(g1, "k"), "v1"), Status::kOk);
  CHECK_ST(Set(&t, tagged(g1 + 1, "k"), "next"), Status::kOk);
  CHECK_ST(get_trusted("k", &v), Status::kOk);
  CHECK(v == "v1");
  // Renew: only the current generation, only while open.
  CHECK(t.TrustRenew(g1, now + 120000));
  CHECK(!t.TrustRenew(g1 + 1, now + 120000));
  CHECK(!t.TrustRenew(0, now + 120000));
  // Flush (N2): closes at once; the closed window is never reopened by renew.
  t.TrustFlush();
  CHECK(t.TrustedGeneration(nullptr) == 0);
  CHECK_ST(get_trusted("k", &v), Status::kNotTrusted);
  CHECK(!t.TrustRenew(g1, now + 120000));
  // A new go-live takes the next generation: the old entry is unreachable.
  uint64_t g2 = t.TrustGoLive(Table::ClockMs() + 60000);
  CHECK(g2 == g1 + 1);
  CHECK_ST(get_trusted("k", &v), Status::kOk);
  CHECK(v == "next");
  // A deadline in the past closes the window by itself, with no writer.
  double start = NowSeconds();  // before the deadline is computed, so a preemption cannot fail the check below
  CHECK(t.TrustRenew(g2, Table::ClockMs() + 30));
  while (t.TrustedGeneration(nullptr) != 0) {
    CHECKF(NowSeconds() - start < 2.0, "a 30 ms window still open after 2 s");
    WaitMs(2);
  }
  CHECK(NowSeconds() - start >= 0.028);  // 30 ms, less the floor of ClockMs()
  CHECK_ST(get_trusted("k", &v), Status::kNotTrusted);  // GetTrusted's own deadline check
  CHECK(!t.TrustRenew(g2, Table::ClockMs() + 60000));
  // The window's clock also serves the entry's own expiry (one clock read).
  uint64_t g3 = t.TrustGoLive(Table::ClockMs() + 60000);
  CHECK_ST(Set(&t, tagged(g3, "short"), "s", 20), Status::kOk);
  start = NowSeconds();
  while (get_trusted("short", &v) == Status::kOk) {
    CHECKF(NowSeconds() - start < 2.0, "a 20 ms entry still alive after 2 s");
    WaitMs(2);
  }
  // A key that cannot fit beside the tag is a miss, never a read past key_size.
  std::string long_key(fsmm::kDefaultKeySize - 2, 'x');
  CHECK_ST(get_trusted(long_key.c_str(), &v), Status::kNotFound);
  uint64_t gen, until;
  t.TrustState(&gen, &until);
  CHECK(gen == g3 && until > Table::ClockMs());
  // N5: guarded fills and invalidations.
  const std::string key = "user:1";
  uint64_t e0 = t.TrustEpoch(U8(key), Len(key));
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("v1"), 2, fsmm::kTypeString, 0, g3, e0), Status::kOk);
  CHECK_ST(get_trusted(key.c_str(), &v), Status::kOk);
  CHECK(v == "v1");
  CHECK_ST(Get(&t, tagged(g3, key.c_str()), &v), Status::kOk);  // an ordinary entry under the tagged key
  CHECK_ST(t.InvalidateTrusted(U8(key), Len(key)), Status::kOk);
  CHECK(t.TrustEpoch(U8(key), Len(key)) == e0 + 1);
  CHECK_ST(get_trusted(key.c_str(), &v), Status::kNotFound);
  CHECK_ST(t.InvalidateTrusted(U8(key), Len(key)), Status::kNotFound);  // nothing left; the epoch still moves
  CHECK(t.TrustEpoch(U8(key), Len(key)) == e0 + 2);
  // A fill whose snapshot predates an invalidation is refused and leaves nothing.
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("old"), 3, fsmm::kTypeString, 0, g3, e0), Status::kStale);
  CHECK_ST(get_trusted(key.c_str(), &v), Status::kNotFound);
  CHECK_ST(Get(&t, tagged(g3, key.c_str()), &v), Status::kNotFound);
  // An overwrite is guarded too (it takes the slow path under structure).
  uint64_t e2 = t.TrustEpoch(U8(key), Len(key));
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("v2"), 2, fsmm::kTypeString, 0, g3, e2), Status::kOk);
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("v3"), 2, fsmm::kTypeString, 0, g3, e2 - 1), Status::kStale);
  CHECK_ST(get_trusted(key.c_str(), &v), Status::kOk);
  CHECK(v == "v2");
  // Another generation, or a closed window, refuses the fill.
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("x"), 1, fsmm::kTypeString, 0, g3 + 1, e2), Status::kStale);
  t.TrustFlush();
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("x"), 1, fsmm::kTypeString, 0, g3, e2), Status::kStale);
  CHECK_ST(t.PutTrusted(U8(key), Len(key), U8("x"), 1, fsmm::kTypeString, 0, 0, e2), Status::kInvalid);
  // Invalidation deletes the current generation's entry even while the window is closed.
  CHECK_ST(t.InvalidateTrusted(U8(key), Len(key)), Status::kOk);
  CHECK_ST(Get(&t, tagged(g3, key.c_str()), &v), Status::kNotFound);
  // Keys that cannot carry the tag: refused fill, no-op invalidation.
  CHECK_ST(t.PutTrusted(U8(long_key), Len(long_key), U8("x"), 1, fsmm::kTypeString, 0, g3, 0), Status::kInvalid);
  CHECK_ST(t.InvalidateTrusted(U8(long_key), Len(long_key)), Status::kNotFound);
  // N7: purge removes older generations only, whatever bound it is given, and
  // leaves keys that are not canonical tags; huge spans do not overflow.
  uint64_t g4 = t.TrustGoLive(Table::ClockMs() + 60000);
  CHECK_ST(Set(&t, tagged(g4, "cur"), "c"), Status::kOk);
  CHECK_ST(Set(&t, tagged(g4 - 1, "old1"), "o"), Status::kOk);
  CHECK_ST(Set(&t, tagged(1, "old2"), "o"), Status::kOk);
  const std::string odd = std::string("\0" "01:x", 5);  // a leading zero: not a tag GenerationTag writes
  CHECK_ST(Set(&t, odd, "z"), Status::kOk);
  CHECK_ST(Set(&t, "plain", "p"), Status::kOk);
  uint64_t cursor = 3, removed = 0, epoch = 0;
  bool disturbed = false;
  do removed += t.PurgeGenerations(UINT64_MAX, &cursor, UINT64_MAX, &epoch, &disturbed);
  while (cursor != 0);
  cursor = 0;
  removed += t.PurgeGenerations(UINT64_MAX, &cursor, 1, &epoch, &disturbed);  // one slot at a time from here
  while (cursor != 0) removed += t.PurgeGenerations(UINT64_MAX, &cursor, 1, &epoch, &disturbed);
  CHECK(removed >= 2);  // old1, old2 and the earlier generations' leftovers above
  cursor = 0;
  CHECK(t.PurgeGenerations(UINT64_MAX, &cursor, UINT64_MAX, &epoch, &disturbed) == 0 && cursor == 0);  // a full pass left none
  CHECK_ST(Get(&t, tagged(g4, "cur"), &v), Status::kOk);
  CHECK_ST(Get(&t, tagged(g4 - 1, "old1"), &v), Status::kNotFound);
  CHECK_ST(Get(&t, tagged(1, "old2"), &v), Status::kNotFound);
  CHECK_ST(Get(&t, odd, &v), Status::kOk);
  CHECK_ST(Get(&t, "plain", &v), Status::kOk);
  CHECK(!disturbed);  // nothing ran between those spans
  // A delete between two spans of a pass (another process's, in lib/near) may shift
  // an old entry behind the cursor: the next span reports it (review F3).
  cursor = 0;
  epoch = 0;
  t.PurgeGenerations(g4, &cursor, 1, &epoch, &disturbed);
  t.PurgeGenerations(g4, &cursor, 1, &epoch, &disturbed);
  CHECK(!disturbed);
  CHECK_ST(t.Delete(U8("plain"), 5), Status::kOk);
  t.PurgeGenerations(g4, &cursor, 1, &epoch, &disturbed);
  CHECK(disturbed);
  CHECK_INVARIANTS(t);
}

int main(int argc, char** argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], nullptr, 10) : 20261129;
  setvbuf(stdout, nullptr, _IONBF, 0);
  struct {
    const char* name;
    void (*fn)();
  } tests[] = {
      {"fnv1a vectors", TestFnvVectors},
      {"geometry", TestGeometry},
      {"basic ops and limits", TestBasicAndLimits},
      {"forced collisions, delete in chain middle", TestCollisionsAndShift},
      {"wrap-around", TestWrapAround},
      {"full table", TestFullTable},
      {"ttl", TestTtl},
      {"incr/cas/add/replace", TestIncrCasAddReplace},
      {"lru eviction", TestLruEviction},
      {"failed incr evicts nothing", TestFailedIncrEvictsNothing},
      {"owner-dead empty slot stays empty", TestOwnerDeadEmptySlot},
      {"layout mismatch on attach", TestLayoutMismatch},
      {"list", TestList},
      {"trust window (N1-N4)", TestTrustWindow},
  };
  for (auto& t : tests) {
    printf("core_test: %s\n", t.name);
    t.fn();
  }
  for (uint64_t s = seed; s < seed + 3; s++) {
    printf("core_test: random ops vs model\n");
    TestRandomAgainstModel(s);
  }
  printf("core_test: ok\n");
  return 0;
}
