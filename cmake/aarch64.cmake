# Toolchain file for an AArch64 cross build of the whole `lockstep` command with Debian's
# cross compiler and Debian's arm64 multiarch libraries:
#   scripts/install-deps.sh --test      # g++-aarch64-linux-gnu, qemu-user, the :arm64 libraries
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64.cmake
#   cmake --build build-aarch64 --target lockstep
#   qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib \
#     build-aarch64/lockstep native run ...
# Where things come from (docs/native.md, "AArch64"):
#   * C/C++ runtime: the cross toolchain's own sysroot, /usr/aarch64-linux-gnu;
#   * libraries with code (Boost.Program_options, yaml-cpp): the arm64 multiarch packages in
#     /usr/lib/aarch64-linux-gnu (libboost-program-options-dev:arm64, libyaml-cpp0.7:arm64);
#   * header-only libraries (Boost.Graph, Eigen, nlohmann-json, doctest) and the yaml-cpp
#     headers: /usr/include, shared by every architecture.
# Debian bookworm's libyaml-cpp-dev is not Multi-Arch: same (its :arm64 build would remove the
# amd64 one), so only its runtime library is installed for arm64 and cmake/aarch64/ supplies
# the yaml-cpp package config; where the arm64 -dev package is installed, its own is used.
# LOCKSTEP_AARCH64_MARCH picks the atomics: armv8-a = LL/SC (ldaxr/stlxr loops),
# armv8.1-a = LSE (ldaddal, swpal, casal). Outline atomics are off so the choice is static.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# The cross sysroot first, then the host root for the multiarch paths: with the library
# architecture set, find_* looks in /usr/lib/aarch64-linux-gnu and never in the host's
# /usr/lib/x86_64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(NOT EXISTS /usr/lib/aarch64-linux-gnu/cmake/yaml-cpp/yaml-cpp-config.cmake)
  set(yaml-cpp_DIR ${CMAKE_CURRENT_LIST_DIR}/aarch64)
endif()
if(NOT LOCKSTEP_AARCH64_MARCH)
  set(LOCKSTEP_AARCH64_MARCH armv8-a)
endif()
set(CMAKE_CXX_FLAGS_INIT "-march=${LOCKSTEP_AARCH64_MARCH} -mno-outline-atomics")
# libc from the sysroot, like the loader -L selects (not the multiarch libc6:arm64 that the
# arm64 libraries pulled into /lib/aarch64-linux-gnu, a different build).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
