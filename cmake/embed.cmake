# Writes OUT: a C++ file defining `const std::map<std::string,std::string>& NAME()` that maps
# each input file's stem to its contents. Called at build time (cmake -P) so edits to the
# data files rebuild the binary.
file(WRITE "${OUT}.tmp" "// Generated from ${DIR} by cmake/embed.cmake. Do not edit.\n#include <map>\n#include <string>\nnamespace lockstep::embedded {\nconst std::map<std::string, std::string>& ${NAME}() {\n  static const std::map<std::string, std::string> m = {\n")
file(GLOB files "${DIR}/*${EXT}")
list(SORT files)
foreach(f ${files})
  get_filename_component(stem "${f}" NAME_WE)
  file(READ "${f}" content HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${content}")
  file(APPEND "${OUT}.tmp" "    {\"${stem}\", std::string(\"${escaped}\")},\n")
endforeach()
file(APPEND "${OUT}.tmp" "  };\n  return m;\n}\n}  // namespace lockstep::embedded\n")
file(RENAME "${OUT}.tmp" "${OUT}")
