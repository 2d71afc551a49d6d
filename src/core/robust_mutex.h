// Process-shared robust mutexes living in the shared region.
//
// Why robust: any process can die (kill -9, OOM) while holding a lock. With
// PTHREAD_MUTEX_ROBUST the kernel walks the dead thread's robust list and the
// next pthread_mutex_lock returns EOWNERDEAD instead of blocking forever; the
// caller repairs what the dead owner left half-done (layout.h R1-R4), then
// calls MarkConsistent(). Without PTHREAD_PROCESS_SHARED, waiters in other
// processes are never woken (the original package's hang).
//
// Where unavailable: macOS has no robust mutexes. FSMM_HAVE_ROBUST is set by
// binding.gyp / the native test build on Linux; without it the mutex is only
// process-shared and a crash inside a critical section blocks later lockers
// (documented in the README's caveats). We gate on the platform, never on
// #ifdef PTHREAD_MUTEX_ROBUST, which is an enum constant in glibc.
#ifndef FSMM_CORE_ROBUST_MUTEX_H_
#define FSMM_CORE_ROBUST_MUTEX_H_

#include <pthread.h>

namespace fsmm {

enum class LockResult { kAcquired, kOwnerDied };

// Initialises *m as process-shared (and robust where supported). Returns 0 or an errno.
int InitSharedMutex(pthread_mutex_t* m);

// Blocks until *m is held. kOwnerDied: the previous owner died holding it; the
// caller now owns it, must repair, then call MarkConsistent before unlocking.
LockResult LockShared(pthread_mutex_t* m);
void MarkConsistent(pthread_mutex_t* m);
void UnlockShared(pthread_mutex_t* m);

// Test-only crash points (layout.h R1-R3 must be reachable deterministically).
// A test child arms one point through the binding (guarded by the
// FSMM_TEST_HOOKS environment variable) or the native test; reaching it calls
// _exit(70) while the current locks are held. Disarmed cost: one relaxed load.
enum class CrashPoint : int {
  kNone = 0,
  kUpdateMidWrite,     // in-place update, slot mutex held, seq odd
  kInsertMidWrite,     // insert: structure + new slot held, seq odd
  kInsertBeforeCount,  // insert: slot written, count not yet bumped
  kDeleteAfterEmpty,   // delete: slot emptied, shift not started, epoch odd
  kShiftMidCopy,       // shift: source MOVING, destination seq odd
  kShiftAfterCopy,     // shift: destination written, source still MOVING
  kClearMidway,        // clear(): half of the slots emptied
  kEvictMidway,        // eviction: victim removed, new key not inserted
  kCount
};
void ArmCrashPoint(CrashPoint p);
const char* CrashPointName(CrashPoint p);
void MaybeCrash(CrashPoint p);

}  // namespace fsmm

#endif  // FSMM_CORE_ROBUST_MUTEX_H_
