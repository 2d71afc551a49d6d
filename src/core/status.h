// Every core operation returns a Status; the core never throws and never
// allocates while it holds a lock. The binding maps each Status to exactly one
// JS error family (src/node/errors.cc).
#ifndef FSMM_CORE_STATUS_H_
#define FSMM_CORE_STATUS_H_

namespace fsmm {

enum class Status {
  kOk = 0,
  kNotFound,        // key absent or expired: not an error for get/has/delete
  kFull,            // new key, entry count == maxKeys, nothing evictable
  kExists,          // add(): the key is present
  kMismatch,        // cas(): current value differs from the expected one
  kNotInteger,      // incr(): current value is not a decimal 64-bit integer
  kOutOfRange,      // incr(): result outside +-(2^53-1); nothing stored
  kTooLarge,        // incr(): the result's decimal form is longer than value_size; nothing stored
  kLayoutMismatch,  // attach: header field differs (see OpenError)
  kSysError,        // a system call failed (see OpenError.err / .syscall)
  kInvalid,         // bad argument that the binding should have caught
  kNotTrusted,      // GetTrusted(): no trust window is open (layout.h N1)
  kStale,           // PutTrusted(): the generation or the key's stripe epoch moved (N5)
};

const char* StatusName(Status s);

}  // namespace fsmm

#endif  // FSMM_CORE_STATUS_H_
