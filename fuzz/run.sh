#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++ -fsanitize=fuzzer,address,undefined)
# and runs each for N seconds (default 60), both at once, niced. The committed
# seeds in fuzz/corpus/<target>/ are read-only inputs; new inputs go to
# fuzz/out/corpus/<target>/, crashes to fuzz/out/artifacts/ (gitignored).
# Usage: fuzz/run.sh [seconds] [target...]     (npm run fuzz -- 600)
#        fuzz/run.sh --build-only
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$CXX" ]; then
  echo "fuzz: clang++ is required (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
SECONDS_EACH=60
if [ "${1:-}" = "--build-only" ]; then SECONDS_EACH=0; shift
elif [ -n "${1:-}" ]; then SECONDS_EACH=$1; shift; fi
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(ops_fuzzer attach_fuzzer)
OUT=fuzz/out
mkdir -p "$OUT/artifacts"
FLAGS=(-std=c++17 -pthread -Wall -Wextra -Werror -DFSMM_HAVE_ROBUST=1 -g -O1 -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
for t in "${TARGETS[@]}"; do
  echo "fuzz: building $t"
  "$CXX" "${FLAGS[@]}" "fuzz/$t.cc" src/core/robust_mutex.cc src/core/segment.cc src/core/table.cc -o "$OUT/$t" -lrt
done
[ "$SECONDS_EACH" = 0 ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pids=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/corpus/$t"
  echo "fuzz: running $t for ${SECONDS_EACH}s (log: $OUT/$t.log)"
  nice -n 10 "$OUT/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/$t-" "$OUT/corpus/$t" "fuzz/corpus/$t" >"$OUT/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  t=${TARGETS[$i]}
  if wait "${pids[$i]}"; then
    echo "fuzz: $t: no findings"
  else
    echo "fuzz: $t: FAILED, see $OUT/$t.log and $OUT/artifacts/" >&2
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$OUT/$t.log" | sed "s/^/  $t /" || true
done
# Each target names its segments fuzz-*-<pid>; remove any left by a crash.
shopt -s nullglob
for f in /dev/shm/fsmm.fuzz-*; do
  pid=$(echo "$f" | sed -E 's/.*fuzz-[a-z]+-([0-9]+).*/\1/')
  kill -0 "$pid" 2>/dev/null || rm -f "$f"
done
exit $status
