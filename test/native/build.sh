#!/usr/bin/env bash
# Builds the C++ core (src/core/*.cc) with the native tests, without Node,
# under sanitizers, and runs them:
#   asan: -fsanitize=address,undefined (g++ by default; CXX_ASAN=clang++ works too)
#         core_test, crash_test (fork + crash points), threads_test
#   tsan: -fsanitize=thread (clang++), threads_test only: TSan does not support
#         fork() of a multi-threaded process, so the crash tests stay out of it.
#   fuzz: the libFuzzer targets replay the committed corpus fuzz/corpus/*.
# Any sanitizer report fails the run (halt_on_error; TSan exits 66).
# Usage: test/native/build.sh [--build-only]   (outputs in test/native/out/)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=test/native/out
CXX_ASAN=${CXX_ASAN:-g++}
CXX_TSAN=${CXX_TSAN:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$CXX_TSAN" ]; then
  echo "test:native: clang++ is required for the ThreadSanitizer build (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
COMMON=(-std=c++17 -pthread -Wall -Wextra -Werror -DFSMM_HAVE_ROBUST=1 -g -O1 -fno-omit-frame-pointer)
CORE=(src/core/robust_mutex.cc src/core/segment.cc src/core/table.cc)

build() {  # build <config> <compiler> <flags...> -- <tests...>
  local cfg=$1 cxx=$2
  shift 2
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  mkdir -p "$OUT/$cfg"
  local objs=()
  for src in "${CORE[@]}"; do
    local obj="$OUT/$cfg/$(basename "${src%.cc}").o"
    "$cxx" "${COMMON[@]}" "${flags[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
  done
  for t in "$@"; do
    "$cxx" "${COMMON[@]}" "${flags[@]}" "test/native/$t.cc" "${objs[@]}" -o "$OUT/$cfg/$t" -lrt
  done
}

echo "test:native: building (asan+ubsan with $CXX_ASAN, tsan with $CXX_TSAN)"
build asan "$CXX_ASAN" -fsanitize=address,undefined -fno-sanitize-recover=all -- core_test crash_test threads_test
build tsan "$CXX_TSAN" -fsanitize=thread -- threads_test
# The fuzz targets, to replay the committed corpus (regression inputs included).
CXX_FUZZ=$CXX_TSAN bash fuzz/run.sh --build-only >/dev/null
[ "${1:-}" = "--build-only" ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 exitcode=66 second_deadlock_stack=1}

status=0
run() {
  echo "== $*"
  local rc=0
  "$@" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "test:native: FAILED ($rc): $*" >&2
    status=1
  fi
}
run "$OUT/asan/core_test"
run "$OUT/asan/crash_test"
run "$OUT/asan/threads_test"
# clang 14's TSan needs the usual address-space layout; a kernel with more
# mmap randomisation makes it abort ("unexpected memory mapping"), so run it
# without ASLR where the personality call is allowed.
NORAND=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then NORAND=(setarch "$(uname -m)" -R); fi
run "${NORAND[@]}" "$OUT/tsan/threads_test"
run fuzz/out/ops_fuzzer fuzz/corpus/ops_fuzzer/*
run fuzz/out/attach_fuzzer fuzz/corpus/attach_fuzzer/*

# A failed CHECK aborts before its guards unlink: remove this run's leftovers
# (names carry the pid of the test process, which is gone by now).
shopt -s nullglob
for f in /dev/shm/fsmm.ntest-* /dev/shm/fsmm.fuzz-*; do
  pid=$(echo "$f" | sed -E 's/.*(ntest|fuzz)-[a-z0-9]+-([0-9]+).*/\2/')
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    echo "test:native: removing leftover $f" >&2
    rm -f "$f"
    status=1
  fi
done
[ $status -eq 0 ] && echo "test:native: all passed"
exit $status
