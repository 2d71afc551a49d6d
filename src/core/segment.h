// Segment lifecycle: create-or-attach a named POSIX shared memory object,
// initialise it exactly once, validate its header, and decide when its data is
// dropped (persist). Knows nothing about the table's operations.
//
// Names: the public name `n` maps to the shm object "/fsmm.n" and its lock file
// "/fsmm.n.lock" (both in /dev/shm on Linux). The prefix keeps the package away
// from /dev/shm files it did not create; a file under our prefix whose magic is
// not ours is refused, never reinitialised.
//
// Lifecycle protocol (P-rules):
//   P1  Every decision about a name's existence (create, reinitialise, unlink)
//       is made while holding flock(LOCK_EX) on the name's lock file. Each
//       open/close/unlink opens the lock file itself (flock belongs to the open
//       file description), O_CLOEXEC. After locking, a lock file whose link
//       count is 0 was unlinked by a closer: reopen and retry.
//   P2  Each handle shm_open()s the segment itself and holds flock(LOCK_SH) on
//       that descriptor while attached: its liveness token. The kernel drops it
//       when the process dies, so liveness needs no cooperation from the dead.
//   P3  "No live user" = flock(LOCK_EX|LOCK_NB) on our own descriptor succeeds,
//       tested only under P1 (flock conversion is not atomic; P1 makes it safe).
//   P4  Open: a new, empty or magic-less (unfinished init) segment is
//       initialised; a whole segment with no live user is reinitialised unless
//       its header has the persist flag; otherwise its header is validated (L3).
//       The region is sized with ftruncate and reserved with posix_fallocate
//       before it is mapped, so a segment that does not fit in /dev/shm fails at
//       open with ENOSPC instead of a later SIGBUS.
//   P5  Close: drop LOCK_SH; if LOCK_EX|LOCK_NB then succeeds and the segment is
//       not persistent, unlink the segment and its lock file. Because P1
//       serialises this with openers, nobody attaches to an inode being unlinked
//       (which would split the cache).
//   P6  persist is sticky: any handle opened with persist=true sets the header
//       flag, and the data then lives until Unlink().
#ifndef FSMM_CORE_SEGMENT_H_
#define FSMM_CORE_SEGMENT_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "layout.h"
#include "status.h"

namespace fsmm {

struct OpenOptions {
  std::string name;
  uint64_t max_keys = 1024;
  uint32_t key_size = kDefaultKeySize;
  uint32_t value_size = kDefaultValueSize;
  uint32_t evict_mode = kEvictNone;
  bool persist = false;
  mode_t mode = 0600;
  bool attach_only = false;  // never create or reinitialise; adopt the stored geometry
  // Observer (implies attach_only; used by bin/fast-shm): leaves the segment as
  // it found it. If no user is live at open (a stale or idle persistent
  // segment) it works on a private snapshot copied under P1, registers nothing
  // and touches nothing. Otherwise it attaches like any user (P2), so nobody
  // reinitialises the region under its mapping, and if it outlives the users
  // it found, its Close() applies P5 as the last of them would have. Its
  // reads set no CLOCK bits; it never sets the persist flag.
  bool observe = false;
};

// Filled when Open/Unlink fail.
struct OpenError {
  Status status = Status::kOk;
  int err = 0;                 // errno for kSysError
  const char* syscall = "";    // e.g. "shm_open", "posix_fallocate"
  std::string field;           // kLayoutMismatch: which header field
  uint64_t expected = 0;       // kLayoutMismatch: the value this handle asked for
  uint64_t actual = 0;         // kLayoutMismatch: the value in the segment
  std::string message;         // one line, ready for a JS Error
};

// Returns "" if `name` is acceptable, else the reason.
std::string ValidateName(const std::string& name);
std::string ShmNameFor(const std::string& name);

class Segment {
 public:
  Segment() = default;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment() { Close(); }

  Status Open(const OpenOptions& opts, OpenError* error);
  // Unmaps and applies P5. Idempotent.
  void Close();
  // Removes the named segment (P1). *existed tells whether it was there.
  static Status Unlink(const std::string& name, bool* existed, OpenError* error);

  uint8_t* base() const { return base_; }
  Header* header() const { return reinterpret_cast<Header*>(base_); }
  const Geometry& geometry() const { return geometry_; }
  bool is_open() const { return base_ != nullptr; }
  bool created() const { return initialised_; }

 private:
  int fd_ = -1;
  uint8_t* base_ = nullptr;
  Geometry geometry_;
  std::string name_;
  bool initialised_ = false;  // this handle (re)initialised the region
  bool private_copy_ = false;  // base_ is an observer's private snapshot (OpenOptions::observe)
};

}  // namespace fsmm

#endif  // FSMM_CORE_SEGMENT_H_
