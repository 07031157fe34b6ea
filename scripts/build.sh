#!/usr/bin/env bash
# Configures and builds lockstep into build/ (Release, Ninja, every core).
set -euo pipefail
cd "$(dirname "$0")/.."
# The generator is fixed when build/ is first configured; naming it again for a build/
# made with another one would be an error, so only a fresh build/ gets -G Ninja.
generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
