#!/usr/bin/env bash
# The hardening checks CI runs after the ordinary tests (docs/testing.md):
#   an AddressSanitizer + UndefinedBehaviorSanitizer build in build-hardening/ (with Debian's
#   clang when present, which also instruments it for libFuzzer and builds tests/fuzz), then
#   a fast subset under the sanitizers: the bad-input catalogue, ticket/mcs/qspinlock on the
#   bus and on a directory, the random protocol tester briefly, and each fuzz target for
#   LOCKSTEP_FUZZ_SECONDS (default 10) from its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${HARDENING_BUILD_DIR:-build-hardening}
fuzz_seconds=${LOCKSTEP_FUZZ_SECONDS:-10}

config=(-DLOCKSTEP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1")
targets=(lockstep test_badinput)
if command -v clang++ >/dev/null 2>&1; then
  config+=(-DCMAKE_CXX_COMPILER=clang++ -DLOCKSTEP_FUZZ=ON -DLOCKSTEP_FUZZ_SECONDS="$fuzz_seconds")
  targets+=(fuzz_assembler fuzz_yaml fuzz_protocol)
fi
[[ -f $dir/CMakeCache.txt ]] || config+=(-G Ninja)
if command -v ccache >/dev/null 2>&1; then config+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$dir" "${config[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}"

# Any report is a failure: UBSan aborts (-fno-sanitize-recover), ASan too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ls=$dir/lockstep
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "hardening: bad-input catalogue"
"$dir/test_badinput"
echo "hardening: ticket, mcs, qspinlock on the bus and on a directory"
common=(--set workload.acquisitions_per_thread=20 --set workload.warmup_acquisitions=2 --set machine.cores=8
        --set "sweep.workload.lock=[ticket, mcs, qspinlock]")
"$ls" run configs/quickstart.yaml -o "$out/bus" "${common[@]}" >/dev/null
"$ls" run configs/quickstart.yaml -o "$out/dir" "${common[@]}" --set machine.coherence=directory \
  --set machine.interconnect.topology=mesh >/dev/null
echo "hardening: random protocol tester"
"$ls" check protocol MESI --seeds 2 --ops 4000 >/dev/null
"$ls" check protocol MOESI --coherence directory --topology mesh --cores 4 --seeds 2 --ops 4000 >/dev/null
if [[ -x $dir/fuzz_assembler ]]; then
  echo "hardening: fuzz targets, ${fuzz_seconds} s each"
  ctest --test-dir "$dir" -L fuzz --output-on-failure
fi
echo "hardening: ok"
