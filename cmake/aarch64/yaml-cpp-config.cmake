# The yaml-cpp package for an arm64 cross build (cmake/aarch64.cmake) on a Debian whose
# libyaml-cpp-dev is not Multi-Arch: same (bookworm): the arm64 runtime library from
# libyaml-cpp0.N:arm64 and the headers from the host's libyaml-cpp-dev (they are the same
# for every architecture). Defines the imported target `yaml-cpp`, as the real config does.
if(TARGET yaml-cpp)
  return()
endif()
find_library(LOCKSTEP_YAML_CPP_AARCH64
  NAMES yaml-cpp libyaml-cpp.so.0.8 libyaml-cpp.so.0.7
  PATHS /usr/lib/aarch64-linux-gnu NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
find_path(LOCKSTEP_YAML_CPP_INCLUDE yaml-cpp/yaml.h
  PATHS /usr/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT LOCKSTEP_YAML_CPP_AARCH64 OR NOT LOCKSTEP_YAML_CPP_INCLUDE)
  set(yaml-cpp_FOUND FALSE)
  set(yaml-cpp_NOT_FOUND_MESSAGE
      "arm64 yaml-cpp not found (library: ${LOCKSTEP_YAML_CPP_AARCH64}, headers: ${LOCKSTEP_YAML_CPP_INCLUDE}); "
      "install libyaml-cpp0.7:arm64 and libyaml-cpp-dev (scripts/install-deps.sh --test)")
  return()
endif()
add_library(yaml-cpp SHARED IMPORTED)
set_target_properties(yaml-cpp PROPERTIES
  IMPORTED_LOCATION ${LOCKSTEP_YAML_CPP_AARCH64}
  INTERFACE_INCLUDE_DIRECTORIES ${LOCKSTEP_YAML_CPP_INCLUDE})
set(YAML_CPP_LIBRARIES yaml-cpp)
set(YAML_CPP_INCLUDE_DIR ${LOCKSTEP_YAML_CPP_INCLUDE})
set(yaml-cpp_FOUND TRUE)
