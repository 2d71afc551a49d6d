// libFuzzer target: adversarial segment images. The input decides a geometry
// and then either
//   raw:   the remaining bytes are the whole file /dev/shm/fsmm.<name>
//          (truncated, magic-less, foreign, ...), or
//   patch: a valid persistent image is built with the core (a few entries),
//          then input bytes overwrite chosen header fields, CLOCK bits, slot
//          metadata (seq, info with lengths past the slot, expiry), key and
//          value bytes; the file may be truncated or extended; chosen robust
//          mutexes may be marked owner-dead (glibc: FUTEX_OWNER_DIED in the
//          lock word), which drives layout.h R1/R3 repair over hostile data.
// Then Open() (same geometry or attach_only) and a mix of operations must end
// in a clear error or in sane results: never an out-of-bounds access (ASan),
// never a hang (libFuzzer -timeout), lengths within the geometry, and after
// Clear() the invariants hold and a set/get round trip works.
//
// Not fuzzed: the mutex words' other bytes. A lock word naming a live-looking
// owner blocks like any live lock holder; a process that can write the segment
// can always do that (the file's mode is the defence, README caveats).
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../src/core/layout.h"
#include "../src/core/segment.h"
#include "../src/core/status.h"
#include "../src/core/table.h"

#include "../test/native/check.h"  // CHECK: print file:line, abort

using fsmm::PutMode;
using fsmm::Status;

namespace {

constexpr int kFutexOwnerDied = 0x40000000;  // linux/futex.h

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint32_t Len(const std::string& s) { return static_cast<uint32_t>(s.size()); }

struct Range {
  uint64_t begin, end;
};

// The byte ranges of every robust mutex in a region of geometry g.
std::vector<Range> MutexRanges(const fsmm::Geometry& g) {
  std::vector<Range> r;
  uint64_t s = offsetof(fsmm::Header, structure);
  r.push_back({s, s + sizeof(pthread_mutex_t)});
  for (uint64_t i = 0; i < g.slot_count; i++) {
    uint64_t m = g.slots_offset + i * g.slot_bytes + g.mutex_offset;
    r.push_back({m, m + sizeof(pthread_mutex_t)});
  }
  return r;
}

bool HitsMutex(const std::vector<Range>& mutexes, uint64_t off, uint64_t len) {
  for (auto& m : mutexes) {
    if (off < m.end && m.begin < off + len) return true;
  }
  return false;
}

void WriteAt(int fd, uint64_t off, const void* p, size_t n) {
  CHECK(pwrite(fd, p, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n));
}

// Operations whose results are only checked for sanity.
void Exercise(fsmm::Table* t, FuzzedDataProvider* in) {
  const fsmm::Geometry& g = t->geometry();
  std::vector<uint8_t> buf(fsmm::RoundUp(g.value_size, 8) + 8);
  int ops = in->ConsumeIntegralInRange<int>(1, 24);
  for (int n = 0; n < ops; n++) {
    std::string k = in->ConsumeBool() ? "k" + std::to_string(in->ConsumeIntegralInRange<int>(0, 20))
                                      : in->ConsumeRandomLengthString(g.key_size);
    if (k.size() > g.key_size) k.resize(g.key_size);
    std::string v = in->ConsumeRandomLengthString(g.value_size);
    if (v.size() > g.value_size) v.resize(g.value_size);
    uint32_t len = 0, type = 0;
    int64_t r = 0;
    switch (in->ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {
        Status s = t->Get(U8(k), Len(k), buf.data(), &len, &type);
        CHECK(s == Status::kOk || s == Status::kNotFound);
        if (s == Status::kOk) CHECK(len <= g.value_size && type <= 3);
        break;
      }
      case 1: {
        Status s = t->Put(U8(k), Len(k), U8(v), Len(v), fsmm::kTypeString, in->ConsumeBool() ? 1000000 : 0,
                          PutMode::kUpsert);
        CHECK(s == Status::kOk || s == Status::kFull);
        break;
      }
      case 2:
        t->Delete(U8(k), Len(k));
        break;
      case 3:
        t->Incr(U8(k), Len(k), 1, 0, 0, &r);
        break;
      case 4:
        t->Cas(U8(k), Len(k), U8(v), Len(v), U8(v), Len(v), fsmm::kTypeBinary, 0);
        t->Expire(U8(k), Len(k), in->ConsumeBool() ? 5 : 0);
        break;
      case 5: {
        int64_t rem = 0;
        if (t->Ttl(U8(k), Len(k), &rem) == Status::kOk) CHECK(rem == -1 || rem > 0);
        t->Has(U8(k), Len(k));
        break;
      }
      case 6: {
        std::vector<fsmm::ListedEntry> entries;
        std::vector<uint8_t> blob;
        t->List(nullptr, 0, in->ConsumeIntegralInRange<uint64_t>(0, 64), in->ConsumeBool(), &entries, &blob);
        for (auto& e : entries) {
          CHECK(e.key_len <= g.key_size && e.value_len <= g.value_size);
          CHECK(uint64_t{e.key_offset} + e.key_len <= blob.size());
          CHECK(uint64_t{e.value_offset} + e.value_len <= blob.size());
        }
        break;
      }
      case 7: {
        fsmm::TableStats st;
        t->GetStats(&st);
        CHECK(st.size <= g.slot_count && st.max_probe <= g.slot_count);
        break;
      }
      case 8:
        t->PurgeExpired();
        break;
      case 9:
        t->CheckInvariants();  // may report the damage; must not crash or hang
        break;
    }
  }
}

// A new name per input: an inspection tool that attaches to every segment in
// /dev/shm (bin/fast-shm list, run by other tests) can keep a closed segment
// alive for a moment, and a reused name would then meet the old geometry.
std::string SegmentName() {
  static uint64_t counter = 0;
  return "fuzz-attach-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string name = SegmentName();
  const std::string path = "/dev/shm/fsmm." + name;
  bool existed = false;
  fsmm::OpenError err;
  CHECK(fsmm::Segment::Unlink(name, &existed, &err) == Status::kOk);

  fsmm::OpenOptions o;
  o.name = name;
  o.max_keys = in.ConsumeIntegralInRange<uint64_t>(1, 16);
  o.key_size = in.ConsumeIntegralInRange<uint32_t>(1, 16);
  o.value_size = in.ConsumeIntegralInRange<uint32_t>(1, 32);
  o.evict_mode = in.ConsumeBool() ? fsmm::kEvictLru : fsmm::kEvictNone;
  const bool raw = in.ConsumeIntegralInRange<int>(0, 3) == 0;

  if (raw) {
    int fd = open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    std::vector<uint8_t> image = in.ConsumeRemainingBytes<uint8_t>();
    if (!image.empty()) WriteAt(fd, 0, image.data(), image.size());
    close(fd);
  } else {
    // A valid persistent image with a few entries.
    fsmm::OpenOptions c = o;
    c.persist = true;
    fsmm::Table t;
    CHECK(t.Open(c, &err) == Status::kOk);
    int entries = in.ConsumeIntegralInRange<int>(0, static_cast<int>(o.max_keys));
    for (int i = 0; i < entries; i++) {
      std::string k = "k" + std::to_string(i);
      std::string v(std::min<uint32_t>(o.value_size, static_cast<uint32_t>(i + 1)), static_cast<char>('a' + i));
      if (k.size() <= o.key_size) t.Put(U8(k), Len(k), U8(v), Len(v), fsmm::kTypeString, i % 3 ? 0 : 100000, PutMode::kUpsert);
    }
    fsmm::Geometry g = t.geometry();
    t.Close();  // persistent: the image stays
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    std::vector<Range> mutexes = MutexRanges(g);
    int patches = in.ConsumeIntegralInRange<int>(0, 12);
    for (int p = 0; p < patches && in.remaining_bytes() > 0; p++) {
      uint64_t slot = in.ConsumeIntegralInRange<uint64_t>(0, g.slot_count - 1);
      uint64_t slot_base = g.slots_offset + slot * g.slot_bytes;
      uint64_t off = 0, span = 0;
      switch (in.ConsumeIntegralInRange<int>(0, 5)) {
        case 0: off = 64; span = fsmm::kHeaderBytes - 64; break;           // mutable header lines
        case 1: off = g.ref_offset; span = g.slot_count; break;             // CLOCK bits
        case 2: off = slot_base; span = fsmm::kRecordMetaBytes; break;      // seq, info, expiry
        case 3: off = slot_base + fsmm::kRecordMetaBytes; span = fsmm::RoundUp(g.key_size, 8); break;
        case 4: off = slot_base + fsmm::kRecordMetaBytes + fsmm::RoundUp(g.key_size, 8); span = fsmm::RoundUp(g.value_size, 8); break;
        case 5: off = 0; span = g.region_bytes; break;                      // anywhere, identity included
      }
      off += in.ConsumeIntegralInRange<uint64_t>(0, span - 1);
      std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(1, 8));
      if (bytes.empty() || off + bytes.size() > g.region_bytes || HitsMutex(mutexes, off, bytes.size())) continue;
      WriteAt(fd, off, bytes.data(), bytes.size());
    }
    // Owner-dead mutexes: the structure mutex and/or a few slot mutexes.
    int dead = in.ConsumeIntegralInRange<int>(0, 3);
    for (int d = 0; d < dead; d++) {
      uint64_t which = in.ConsumeIntegralInRange<uint64_t>(0, g.slot_count);  // slot_count = structure
      const Range& m = which == g.slot_count ? mutexes[0] : mutexes[1 + which];
      WriteAt(fd, m.begin, &kFutexOwnerDied, sizeof kFutexOwnerDied);  // glibc: __data.__lock comes first
    }
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {  // sometimes a wrong file size
      case 0: CHECK(ftruncate(fd, static_cast<off_t>(in.ConsumeIntegralInRange<uint64_t>(0, g.region_bytes - 1))) == 0); break;
      case 1: CHECK(ftruncate(fd, static_cast<off_t>(g.region_bytes + in.ConsumeIntegralInRange<uint64_t>(1, 8192))) == 0); break;
      default: break;
    }
    close(fd);
  }

  fsmm::OpenOptions a = o;
  a.attach_only = in.ConsumeBool();
  fsmm::Table t;
  fsmm::OpenError e;
  Status s = t.Open(a, &e);
  if (s != Status::kOk) {
    CHECK(!e.message.empty());
    CHECK(s == Status::kLayoutMismatch || s == Status::kSysError);
    CHECK(!t.is_open());
  } else {
    const fsmm::Geometry& g = t.geometry();
    CHECK(g.slot_count > g.max_keys && g.key_size <= fsmm::kMaxKeySize);
    Exercise(&t, &in);
    // clear() brings any image back to a valid, working table.
    t.Clear();
    std::string why = t.CheckInvariants();
    if (!why.empty()) {
      fprintf(stderr, "after clear: %s\n", why.c_str());
      abort();
    }
    std::string k(std::min<uint32_t>(g.key_size, 3), 'z'), v(std::min<uint32_t>(g.value_size, 5), 'v');
    CHECK(t.Put(U8(k), Len(k), U8(v), Len(v), fsmm::kTypeBinary, 0, PutMode::kUpsert) == Status::kOk);
    std::vector<uint8_t> buf(fsmm::RoundUp(g.value_size, 8) + 8);
    uint32_t len = 0, type = 0;
    CHECK(t.Get(U8(k), Len(k), buf.data(), &len, &type) == Status::kOk);
    CHECK(len == v.size() && memcmp(buf.data(), v.data(), len) == 0 && type == fsmm::kTypeBinary);
    t.Close();
  }
  CHECK(fsmm::Segment::Unlink(name, &existed, &err) == Status::kOk);
  return 0;
}
