// FNV-1a, 32-bit, over the key's bytes taken as unsigned values.
//
// Published test vectors (checked by test/native/core_test.cc and test/20.api.js):
//   Fnv1a32("")       == 0x811c9dc5
//   Fnv1a32("a")      == 0xe40c292c
//   Fnv1a32("foobar") == 0xbf9cf968
// The original package widened each byte through a signed char, so keys with
// bytes >= 0x80 hashed differently from canonical FNV-1a; this one does not.
#ifndef FSMM_CORE_HASH_H_
#define FSMM_CORE_HASH_H_

#include <cstddef>
#include <cstdint>

namespace fsmm {

constexpr uint32_t kFnvOffsetBasis = 0x811c9dc5u;
constexpr uint32_t kFnvPrime = 0x01000193u;

inline uint32_t Fnv1a32(const uint8_t* data, size_t len) {
  uint32_t h = kFnvOffsetBasis;
  for (size_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= kFnvPrime;
  }
  return h;
}

}  // namespace fsmm

#endif  // FSMM_CORE_HASH_H_
