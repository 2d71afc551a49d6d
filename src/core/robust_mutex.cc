#include "robust_mutex.h"

#include <errno.h>
#include <unistd.h>

#include <atomic>

namespace fsmm {

int InitSharedMutex(pthread_mutex_t* m) {
  pthread_mutexattr_t attr;
  int rc = pthread_mutexattr_init(&attr);
  if (rc != 0) return rc;
  rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
#if FSMM_HAVE_ROBUST
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
#endif
  if (rc == 0) rc = pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
  return rc;
}

LockResult LockShared(pthread_mutex_t* m) {
  for (;;) {
    int rc = pthread_mutex_lock(m);
    if (rc == 0) return LockResult::kAcquired;
#if FSMM_HAVE_ROBUST
    if (rc == EOWNERDEAD) return LockResult::kOwnerDied;
    if (rc == ENOTRECOVERABLE) {
      // Only reachable if an owner unlocked without MarkConsistent, which this
      // code never does; a foreign writer may have. Re-initialising is safe:
      // nobody can hold a not-recoverable mutex. Report it as owner-died so
      // the caller repairs.
      InitSharedMutex(m);
      continue;
    }
#endif
    // EAGAIN/EDEADLK cannot happen for a non-recursive, non-error-checking
    // mutex used by this code; a corrupted mutex word may produce EINVAL.
    // Re-initialise and retry rather than crash (hostile segments, issue 5).
    InitSharedMutex(m);
  }
}

void MarkConsistent(pthread_mutex_t* m) {
#if FSMM_HAVE_ROBUST
  pthread_mutex_consistent(m);
#else
  (void)m;
#endif
}

void UnlockShared(pthread_mutex_t* m) { pthread_mutex_unlock(m); }

namespace {
std::atomic<int> g_armed{0};
}

void ArmCrashPoint(CrashPoint p) { g_armed.store(static_cast<int>(p), std::memory_order_relaxed); }

const char* CrashPointName(CrashPoint p) {
  switch (p) {
    case CrashPoint::kNone: return "none";
    case CrashPoint::kUpdateMidWrite: return "update-mid-write";
    case CrashPoint::kInsertMidWrite: return "insert-mid-write";
    case CrashPoint::kInsertBeforeCount: return "insert-before-count";
    case CrashPoint::kDeleteAfterEmpty: return "delete-after-empty";
    case CrashPoint::kShiftMidCopy: return "shift-mid-copy";
    case CrashPoint::kShiftAfterCopy: return "shift-after-copy";
    case CrashPoint::kClearMidway: return "clear-midway";
    case CrashPoint::kEvictMidway: return "evict-midway";
    case CrashPoint::kCount: break;
  }
  return "unknown";
}

void MaybeCrash(CrashPoint p) {
  if (__builtin_expect(g_armed.load(std::memory_order_relaxed) == static_cast<int>(p), 0)) _exit(70);
}

}  // namespace fsmm
