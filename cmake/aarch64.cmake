# Toolchain file for an AArch64 cross build with Debian's cross compiler:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64.cmake
# The full project also needs arm64 builds of its libraries (yaml-cpp, Boost, ...), e.g.
# `apt-get install libyaml-cpp-dev:arm64 libboost-program-options-dev:arm64` with the arm64
# architecture added. scripts/test-aarch64.sh needs none of them: it builds only the native
# harness and its correctness test (header-only nlohmann/doctest from the host).
# LOCKSTEP_AARCH64_MARCH picks the atomics: armv8-a = LL/SC (ldaxr/stlxr loops),
# armv8.1-a = LSE (ldaddal, swpal, casal). Outline atomics are off so the choice is static.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(NOT LOCKSTEP_AARCH64_MARCH)
  set(LOCKSTEP_AARCH64_MARCH armv8-a)
endif()
set(CMAKE_CXX_FLAGS_INIT "-march=${LOCKSTEP_AARCH64_MARCH} -mno-outline-atomics")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
