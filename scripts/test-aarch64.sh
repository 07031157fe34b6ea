#!/bin/sh
# Cross-builds the native harness's correctness test (tests/test_native.cpp with
# LOCKSTEP_NATIVE_ONLY: every built-in lock's mutual exclusion at 2 and 8 threads, the
# LL/SC + wfe/sev lock, broken locks caught) for AArch64 twice, and runs both under
# qemu-aarch64:
#   armv8-a   : C++ atomics are LL/SC loops (ldaxr/stlxr)
#   armv8.1-a : C++ atomics are LSE instructions (ldaddal, swpal, casal)
# The programs' own ldx/stx are real exclusives in both. Timings under emulation mean
# nothing and are never reported; only the assertions count.
# usage: scripts/test-aarch64.sh [BUILD_DIR]     (needs g++-aarch64-linux-gnu, qemu-user)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-"$ROOT/build-aarch64"}
CXX=${CXX_AARCH64:-aarch64-linux-gnu-g++}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
SYSROOT=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
command -v "$CXX" >/dev/null || { echo "test-aarch64: $CXX not found" >&2; exit 2; }
command -v "$QEMU" >/dev/null || { echo "test-aarch64: $QEMU not found" >&2; exit 2; }
mkdir -p "$OUT/include" "$OUT/obj"

# Header-only libraries from the host, without the host's other headers.
for lib in nlohmann doctest; do
  [ -e "$OUT/include/$lib" ] || ln -s "/usr/include/$lib" "$OUT/include/$lib"
done
cmake -DOUT="$OUT/embedded_locks.cpp" -DDIR="$ROOT/locks" -DEXT=.lock -DNAME=locks -P "$ROOT/cmake/embed.cmake"

FLAGS="-std=c++20 -O2 -Wall -Wextra -mno-outline-atomics -DLOCKSTEP_NATIVE_ONLY -I$ROOT -I$ROOT/sim -I$ROOT/native -isystem $OUT/include"
COMMON="$ROOT/sim/isa/*.cpp $ROOT/sim/workload/lock_library.cpp $ROOT/sim/common/*.cpp $ROOT/sim/stats/*.cpp $OUT/embedded_locks.cpp $ROOT/tests/main.cpp"
NATIVE="$(ls "$ROOT"/native/*.cpp "$ROOT"/native/handwritten/*.cpp | grep -v -E '/(experiment|validate|calibrate)\.cpp$')"

# The simulator-side sources do not depend on -march: build them once, in parallel.
objs=""
pids=""
for src in $COMMON; do
  obj="$OUT/obj/$(echo "$src" | sed "s|$ROOT/||; s|$OUT/||; s|/|_|g").o"
  objs="$objs $obj"
  # Rebuilt when its source or any header is newer (a changed struct must not link stale).
  if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$ROOT/sim" "$ROOT/native" -name '*.hpp' -newer "$obj" | head -1)" ]; then
    $CXX $FLAGS -march=armv8-a -c "$src" -o "$obj" & pids="$pids $!"
  fi
done
for p in $pids; do wait "$p"; done

status=0
for march in armv8-a armv8.1-a; do
  bin="$OUT/test_native-$march"
  echo "== $march: building $bin"
  $CXX $FLAGS -march=$march $NATIVE "$ROOT/tests/test_native.cpp" $objs -o "$bin" -lpthread
  # Check the build really took the path it is named for.
  lse=$(aarch64-linux-gnu-objdump -d "$bin" | grep -c -E '\b(ldaddal|swpal|casal|ldadd|swp|cas)[a-z]*\b' || true)
  llsc=$(aarch64-linux-gnu-objdump -d "$bin" | grep -c -E '\b(ldaxr|stlxr)[bh]?\b' || true)
  echo "   LSE atomics: $lse, exclusive pairs: $llsc"
  if [ "$march" = armv8.1-a ] && [ "$lse" -eq 0 ]; then echo "   no LSE instructions in the armv8.1-a build" >&2; status=1; fi
  if [ "$march" = armv8-a ] && [ "$lse" -ne 0 ]; then echo "   LSE instructions in the armv8-a build" >&2; status=1; fi
  echo "== $march: running under $QEMU (timings under emulation are not measurements)"
  # LD_LIBRARY_PATH: libc from the sysroot, like the loader (not a multiarch libc6:arm64's).
  if ! "$QEMU" -L "$SYSROOT" -E LD_LIBRARY_PATH="$SYSROOT/lib" "$bin"; then status=1; fi
done
exit $status
