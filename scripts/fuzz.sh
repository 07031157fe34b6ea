#!/usr/bin/env bash
# Long fuzzing runs of the libFuzzer targets (tests/fuzz), for a person, not CI:
#   scripts/fuzz.sh [TARGET...] [-- LIBFUZZER OPTIONS]
#   TARGET: assembler | yaml | protocol (default: all three, one after the other)
#   FUZZ_SECONDS (default 600) per target, FUZZ_JOBS (default 1) parallel workers.
# Builds build-hardening/ with clang (ASan + UBSan + libFuzzer) like scripts/hardening.sh,
# grows the corpus in build-hardening/fuzz-corpus/TARGET from the committed seeds in
# tests/fuzz/corpus/TARGET, and leaves any crashing input as build-hardening/crash-*.
# Worth committing back: a small input that found a bug (as a seed, plus a row in
# tests/test_badinput.cpp), never the whole grown corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v clang++ >/dev/null 2>&1 || { echo "fuzz.sh: needs clang++ (apt-get install clang)" >&2; exit 2; }
dir=${HARDENING_BUILD_DIR:-build-hardening}
targets=()
while [[ $# -gt 0 && $1 != -- ]]; do targets+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
[[ ${#targets[@]} -gt 0 ]] || targets=(assembler yaml protocol)
config=(-DCMAKE_CXX_COMPILER=clang++ -DLOCKSTEP_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1")
[[ -f $dir/CMakeCache.txt ]] || config+=(-G Ninja)
cmake -S . -B "$dir" "${config[@]}" >/dev/null
for t in "${targets[@]}"; do
  case $t in assembler|yaml|protocol) ;; *) echo "fuzz.sh: unknown target '$t' (assembler, yaml, protocol)" >&2; exit 2;; esac
  cmake --build "$dir" -j"$(nproc)" --target "fuzz_$t"
done
jobs=()
[[ ${FUZZ_JOBS:-1} -gt 1 ]] && jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
for t in "${targets[@]}"; do
  mkdir -p "$dir/fuzz-corpus/$t"
  echo "fuzz.sh: $t for ${FUZZ_SECONDS:-600} s"
  (cd "$dir" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "./fuzz_$t" -max_total_time="${FUZZ_SECONDS:-600}" \
     "${jobs[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" "fuzz-corpus/$t" "$root/tests/fuzz/corpus/$t")
done
