#include "common/input_file.hpp"

#include <filesystem>
#include <fstream>

#include "common/limits.hpp"

namespace lockstep {

std::string read_input_file(const std::string& path, std::string& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory, not a file";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot be opened (no such file, or no permission)";
  const uint64_t limit = limits::get(limits::Id::InputBytes);
  out.clear();
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, size_t(in.gcount()));
    if (out.size() > limit)
      return limits::exceeded(limits::Id::InputBytes, "", out.size());
  }
  if (in.bad()) return "cannot be read (I/O error)";
  return "";
}

}  // namespace lockstep
