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
  # the whole `lockstep` command cross-built for AArch64 (cmake/aarch64.cmake, CTest
  # test_cli_aarch64): the arm64 multiarch builds of the libraries it links. Only packages
  # that are Multi-Arch: same, so they install beside the amd64 ones and never replace them
  # (apt may upgrade an amd64 package to the arm64 one's version: same files, newer build).
  # Boost.Program_options' -dev (it pulls libboost1.74-dev:arm64, Boost's headers incl. Graph);
  # yaml-cpp: bookworm's libyaml-cpp-dev is not Multi-Arch: same (its :arm64 build would remove
  # the amd64 one), so only the runtime library, with the host's headers (cmake/aarch64/).
  # Eigen, nlohmann-json and doctest are header-only, Architecture: all: the host's serve.
  packages+=(libboost-program-options-dev:arm64 libyaml-cpp0.7:arm64)
  arm64=1
fi

missing=()
native_arch=$(dpkg --print-architecture)
for p in "${packages[@]}"; do
  # "install ok installed" is the only state in which the package is really there
  # (a removed package can still be known to dpkg with its config files). A name without
  # :ARCH means the native build (or an Architecture: all one): with arm64 added, dpkg also
  # lists the :arm64 build of the same name, which must not count for the native one.
  want="$native_arch"
  [[ "$p" == *:* ]] && want="${p##*:}"
  if ! dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
      grep -qx -e "install ok installed $want" -e "install ok installed all"; then
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
# :arm64 packages need the architecture known to dpkg before apt-get update reads its lists.
if [[ -n "${arm64:-}" ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo[@]}" dpkg --add-architecture arm64
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
