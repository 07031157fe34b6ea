#!/usr/bin/env bash
# Installs the Debian packages lockstep needs to build and test, and only those missing.
# Idempotent and quiet: when everything is there it asks apt nothing at all.
set -euo pipefail

packages=(
  cmake ninja-build g++ make git python3
  libboost-program-options-dev libboost-graph-dev libyaml-cpp-dev libeigen3-dev
  doctest-dev libfmt-dev nlohmann-json3-dev
)

# --test: also what only the test suite uses (the HTML report is loaded in headless Chromium;
# the emitted GNU parallel line is run). The flagship (scripts/quickstart.sh) needs neither.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium parallel)
  # the native harness's AArch64 tests: cross-compile and run under emulation
  packages+=(g++-aarch64-linux-gnu qemu-user)
fi

missing=()
for p in "${packages[@]}"; do
  # "install ok installed" is the only state in which the package is really there
  # (a removed package can still be known to dpkg with its config files).
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing packages: ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
