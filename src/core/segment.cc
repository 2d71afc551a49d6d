#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <new>

#include "robust_mutex.h"

namespace fsmm {

namespace {

constexpr const char* kPrefix = "/fsmm.";
constexpr const char* kLockSuffix = ".lock";
constexpr size_t kMaxNameLength = 200;  // + prefix + ".lock" stays under NAME_MAX

Status SysFail(OpenError* e, const char* syscall, int err, const std::string& what) {
  e->status = Status::kSysError;
  e->err = err;
  e->syscall = syscall;
  e->message = what + ": " + syscall + " failed: " + strerror(err);
  return Status::kSysError;
}

Status Mismatch(OpenError* e, const char* field, uint64_t expected, uint64_t actual, const std::string& name) {
  e->status = Status::kLayoutMismatch;
  e->field = field;
  e->expected = expected;
  e->actual = actual;
  char buf[256];
  snprintf(buf, sizeof buf,
           "shared memory segment \"%s\" has a different layout: %s is %llu in the segment, %llu requested",
           name.c_str(), field, static_cast<unsigned long long>(actual), static_cast<unsigned long long>(expected));
  e->message = buf;
  return Status::kLayoutMismatch;
}

// P1: holds flock(LOCK_EX) on the name's lock file for its lifetime.
class NameLock {
 public:
  ~NameLock() {
    if (fd_ >= 0) close(fd_);  // closing the description releases the flock
  }
  Status Acquire(const std::string& lock_name, mode_t mode, OpenError* e, const std::string& name) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      // Every user opens the lock file O_RDWR, so its creator applies `mode`
      // exactly (shm_open filters it by the umask), as for the segment.
      int fd = shm_open(lock_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd >= 0) {
        fchmod(fd, mode);
      } else if (errno == EEXIST) {
        fd = shm_open(lock_name.c_str(), O_RDWR | O_CLOEXEC, 0);
        if (fd < 0 && errno == ENOENT) continue;  // unlinked since: create it
      }
      if (fd < 0) return SysFail(e, "shm_open", errno, "cannot open the lock file of \"" + name + "\"");
      int rc;
      do rc = flock(fd, LOCK_EX);
      while (rc != 0 && errno == EINTR);
      if (rc != 0) {
        int err = errno;
        close(fd);
        return SysFail(e, "flock", err, "cannot lock \"" + name + "\"");
      }
      struct stat st;
      if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return SysFail(e, "fstat", err, "cannot inspect the lock file of \"" + name + "\"");
      }
      if (st.st_nlink > 0) {
        fd_ = fd;
        return Status::kOk;
      }
      close(fd);  // unlinked by a closer while we waited (P1): retry on the new file
    }
    return SysFail(e, "flock", EAGAIN, "cannot lock \"" + name + "\"");
  }

 private:
  int fd_ = -1;
};

void InitHeader(Header* h, const Geometry& g, uint32_t evict_mode) {
  h->format_version = kFormatVersion;
  h->header_bytes = kHeaderBytes;
  h->key_size = g.key_size;
  h->value_size = g.value_size;
  h->record_bytes = g.record_bytes;
  h->slot_bytes = g.slot_bytes;
  h->mutex_bytes = sizeof(pthread_mutex_t);
  h->evict_mode = evict_mode;
  h->max_keys = g.max_keys;
  h->slot_count = g.slot_count;
  h->region_bytes = g.region_bytes;
  InitSharedMutex(&h->structure);
  uint8_t* base = reinterpret_cast<uint8_t*>(h);
  for (uint64_t i = 0; i < g.slot_count; i++) {
    InitSharedMutex(reinterpret_cast<pthread_mutex_t*>(base + g.slots_offset + i * g.slot_bytes + g.mutex_offset));
  }
  // Everything else is zero from ftruncate. Publish last (L2).
  h->magic.store(kMagic, std::memory_order_release);
}

// L3: compares every immutable field; names the first that differs.
Status ValidateHeader(const Header* h, const Geometry& g, uint32_t evict_mode, bool check_evict, uint64_t file_size,
                      const std::string& name, OpenError* e) {
  uint64_t magic = h->magic.load(std::memory_order_acquire);
  if (magic != kMagic) return Mismatch(e, "magic", kMagic, magic, name);
  if (h->format_version != kFormatVersion) return Mismatch(e, "formatVersion", kFormatVersion, h->format_version, name);
  if (h->header_bytes != kHeaderBytes) return Mismatch(e, "headerBytes", kHeaderBytes, h->header_bytes, name);
  if (h->mutex_bytes != sizeof(pthread_mutex_t)) return Mismatch(e, "mutexBytes", sizeof(pthread_mutex_t), h->mutex_bytes, name);
  if (h->key_size != g.key_size) return Mismatch(e, "keySize", g.key_size, h->key_size, name);
  if (h->value_size != g.value_size) return Mismatch(e, "valueSize", g.value_size, h->value_size, name);
  if (h->max_keys != g.max_keys) return Mismatch(e, "maxKeys", g.max_keys, h->max_keys, name);
  if (h->record_bytes != g.record_bytes) return Mismatch(e, "recordBytes", g.record_bytes, h->record_bytes, name);
  if (h->slot_bytes != g.slot_bytes) return Mismatch(e, "slotBytes", g.slot_bytes, h->slot_bytes, name);
  if (h->slot_count != g.slot_count) return Mismatch(e, "slotCount", g.slot_count, h->slot_count, name);
  if (h->region_bytes != g.region_bytes) return Mismatch(e, "regionBytes", g.region_bytes, h->region_bytes, name);
  if (file_size != g.region_bytes) return Mismatch(e, "fileSize", g.region_bytes, file_size, name);
  if (check_evict && h->evict_mode != evict_mode) return Mismatch(e, "evict", evict_mode, h->evict_mode, name);
  if (h->evict_mode > kEvictLru) return Mismatch(e, "evict", evict_mode, h->evict_mode, name);
  return Status::kOk;
}

// Under P1: a lock file whose segment does not exist is removed, so failed
// opens and closes after Unlink() leave nothing behind in /dev/shm.
void UnlinkLockIfOrphan(const std::string& seg_name) {
  int fd = shm_open(seg_name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return;
  }
  if (errno == ENOENT) shm_unlink((seg_name + kLockSuffix).c_str());
}

}  // namespace

std::string ValidateName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxNameLength) return "must be at most 200 characters";
  if (name.find("..") != std::string::npos) return "must not contain \"..\"";
  if (name[0] == '.') return "must not start with \".\"";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) return "may contain only letters, digits, \"_\", \"-\" and \".\"";
  }
  return "";
}

std::string ShmNameFor(const std::string& name) { return kPrefix + name; }

Status Segment::Open(const OpenOptions& opts, OpenError* e) {
  Close();
  name_ = opts.name;
  std::string why = ValidateName(opts.name);
  if (!why.empty()) {
    e->status = Status::kInvalid;
    e->message = "name " + why;
    return Status::kInvalid;
  }
  const bool attach_only = opts.attach_only || opts.observe;
  Geometry wanted;
  if (!attach_only && !wanted.Compute(opts.max_keys, opts.key_size, opts.value_size)) {
    e->status = Status::kInvalid;
    e->message = "maxKeys, keySize or valueSize out of range";
    return Status::kInvalid;
  }
  const std::string seg_name = ShmNameFor(opts.name);
  NameLock lock;
  Status s = lock.Acquire(seg_name + kLockSuffix, opts.mode, e, opts.name);
  if (s != Status::kOk) return s;

  bool created = false;
  int fd = -1;
  if (!attach_only) {
    fd = shm_open(seg_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, opts.mode);
    if (fd >= 0) {
      created = true;
      fchmod(fd, opts.mode);  // shm_open's mode is filtered by the umask; the option is exact
    } else if (errno != EEXIST) {
      return SysFail(e, "shm_open", errno, "cannot create shared memory segment \"" + opts.name + "\"");
    }
  }
  if (fd < 0) {
    fd = shm_open(seg_name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
      int err = errno;
      UnlinkLockIfOrphan(seg_name);
      return SysFail(e, "shm_open", err, "cannot open shared memory segment \"" + opts.name + "\"");
    }
  }
  auto fail = [&](Status st) {
    if (created) shm_unlink(seg_name.c_str());
    if (fd >= 0) close(fd);
    UnlinkLockIfOrphan(seg_name);
    return st;
  };
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(SysFail(e, "fstat", errno, "cannot inspect \"" + opts.name + "\""));
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  bool no_live_user = flock(fd, LOCK_EX | LOCK_NB) == 0;  // P3 (we hold P1)

  // Read the identity without trusting the file: only if it is large enough.
  uint64_t magic = 0;
  uint32_t flags = 0;
  Geometry stored;
  bool stored_ok = false;
  if (file_size >= kHeaderBytes) {
    void* p = mmap(nullptr, kHeaderBytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail(SysFail(e, "mmap", errno, "cannot map \"" + opts.name + "\""));
    const Header* h = static_cast<const Header*>(p);
    magic = h->magic.load(std::memory_order_acquire);
    flags = h->flags.load(std::memory_order_relaxed);
    stored_ok = stored.Compute(h->max_keys, h->key_size, h->value_size);
    munmap(p, kHeaderBytes);
  } else if (file_size >= sizeof(uint64_t)) {
    if (pread(fd, &magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic)) magic = 0;
  }
  if (magic != 0 && magic != kMagic) {
    // A file under our prefix that we did not write: refuse (never clobber).
    return fail(Mismatch(e, "magic", kMagic, magic, opts.name));
  }
  bool unfinished = magic == 0;
  bool stale = magic == kMagic && no_live_user && !(flags & kFlagPersist);
  bool init = created || unfinished || (stale && !attach_only);
  if (unfinished && !no_live_user && !created) {
    return fail(Mismatch(e, "magic", kMagic, magic, opts.name));  // someone attached to garbage
  }
  if (attach_only) {
    if (init || !stored_ok) {
      e->status = Status::kSysError;
      e->err = ENOENT;
      e->syscall = "shm_open";
      e->message = "shared memory segment \"" + opts.name + "\" is not initialised";
      return fail(Status::kSysError);
    }
    wanted = stored;
  }

  if (init) {
    // Drop any old pages, then size and reserve (P4).
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(wanted.region_bytes)) != 0) {
      return fail(SysFail(e, "ftruncate", errno, "cannot size shared memory segment \"" + opts.name + "\""));
    }
    int rc = posix_fallocate(fd, 0, static_cast<off_t>(wanted.region_bytes));
    if (rc != 0) {
      char what[160];
      snprintf(what, sizeof what, "cannot reserve %llu bytes for shared memory segment \"%s\" (maxKeys %llu)",
               static_cast<unsigned long long>(wanted.region_bytes), opts.name.c_str(),
               static_cast<unsigned long long>(wanted.max_keys));
      if (!created) ftruncate(fd, 0);
      if (!created) shm_unlink(seg_name.c_str());  // a zero-length stale file helps nobody
      return fail(SysFail(e, "posix_fallocate", rc, what));
    }
    file_size = wanted.region_bytes;
  } else if (file_size != wanted.region_bytes) {
    if (!stored_ok) return fail(Mismatch(e, "fileSize", wanted.region_bytes, file_size, opts.name));
  }

  uint64_t map_bytes = init ? wanted.region_bytes : file_size;
  if (!init && file_size < kHeaderBytes) return fail(Mismatch(e, "fileSize", wanted.region_bytes, file_size, opts.name));
  void* p = mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return fail(SysFail(e, "mmap", errno, "cannot map shared memory segment \"" + opts.name + "\""));
  uint8_t* base = static_cast<uint8_t*>(p);
#ifdef MADV_HUGEPAGE
  // A get is dominated by the first touch of a 384-byte slot; with 4 KiB pages
  // a large table also misses the TLB. Where the kernel allows transparent
  // huge pages for shmem (shmem_enabled=advise), ask for them; elsewhere this
  // fails harmlessly.
  madvise(p, map_bytes, MADV_HUGEPAGE);
#endif
  Header* h = reinterpret_cast<Header*>(base);
  if (init) {
    InitHeader(h, wanted, opts.evict_mode);
  } else {
    Status v = ValidateHeader(h, wanted, opts.evict_mode, !attach_only, file_size, opts.name, e);
    if (v != Status::kOk) {
      munmap(p, map_bytes);
      return fail(v);
    }
  }
  if (opts.observe && no_live_user) {
    // Observer of a segment nobody is attached to (stale, or persistent and
    // idle): we hold P1 and there is no live user, so nobody writes and a
    // private copy is a consistent snapshot. Working on the copy leaves the
    // segment exactly as found: no P2 registration (which would stop the next
    // opener's P4 reinitialisation of a stale segment) and no P5 at close.
    void* copy = mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) {
      int err = errno;
      munmap(p, map_bytes);
      return fail(SysFail(e, "mmap", err, "cannot copy shared memory segment \"" + opts.name + "\""));
    }
    memcpy(copy, p, map_bytes);
    munmap(p, map_bytes);
    close(fd);
    fd_ = -1;
    base_ = static_cast<uint8_t*>(copy);
    geometry_ = wanted;
    initialised_ = false;
    private_copy_ = true;
    return Status::kOk;
  }
  if (opts.persist && !opts.observe) h->flags.fetch_or(kFlagPersist, std::memory_order_relaxed);  // P6
  if (flock(fd, LOCK_SH) != 0) {  // P2 (converts our EX, still under P1)
    int err = errno;
    munmap(p, map_bytes);
    return fail(SysFail(e, "flock", err, "cannot register as a user of \"" + opts.name + "\""));
  }
  fd_ = fd;
  base_ = base;
  geometry_ = wanted;
  initialised_ = init;
  return Status::kOk;
}

void Segment::Close() {
  if (base_ == nullptr) return;
  if (private_copy_) {  // an observer's snapshot: the segment was never registered with
    munmap(base_, geometry_.region_bytes);
    base_ = nullptr;
    private_copy_ = false;
    return;
  }
  const std::string seg_name = ShmNameFor(name_);
  OpenError ignored;
  NameLock lock;
  bool locked = lock.Acquire(seg_name + kLockSuffix, 0600, &ignored, name_) == Status::kOk;
  bool persist = header()->flags.load(std::memory_order_relaxed) & kFlagPersist;
  munmap(base_, geometry_.region_bytes);
  base_ = nullptr;
  flock(fd_, LOCK_UN);
  if (locked && !persist && flock(fd_, LOCK_EX | LOCK_NB) == 0) {  // P5
    // Only unlink the name if it still refers to our inode (Unlink() + a new
    // segment may have replaced it).
    struct stat ours, theirs;
    int other = shm_open(seg_name.c_str(), O_RDONLY | O_CLOEXEC, 0);
    if (other >= 0) {
      if (fstat(fd_, &ours) == 0 && fstat(other, &theirs) == 0 && ours.st_ino == theirs.st_ino &&
          ours.st_dev == theirs.st_dev) {
        shm_unlink(seg_name.c_str());
        shm_unlink((seg_name + kLockSuffix).c_str());
      }
      close(other);
    } else if (errno == ENOENT) {
      shm_unlink((seg_name + kLockSuffix).c_str());  // segment removed by Unlink(): drop our lock file too
    }
  }
  close(fd_);
  fd_ = -1;
}

Status Segment::Unlink(const std::string& name, bool* existed, OpenError* e) {
  std::string why = ValidateName(name);
  if (!why.empty()) {
    e->status = Status::kInvalid;
    e->message = "name " + why;
    return Status::kInvalid;
  }
  const std::string seg_name = ShmNameFor(name);
  NameLock lock;
  Status s = lock.Acquire(seg_name + kLockSuffix, 0600, e, name);
  if (s != Status::kOk) return s;
  *existed = shm_unlink(seg_name.c_str()) == 0;
  int err = errno;
  shm_unlink((seg_name + kLockSuffix).c_str());
  if (!*existed && err != ENOENT) return SysFail(e, "shm_unlink", err, "cannot remove \"" + name + "\"");
  return Status::kOk;
}

}  // namespace fsmm
