#include "output/prepare_dir.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"

namespace lockstep::output {

namespace fs = std::filesystem;

namespace {

// The pid of "NAME.tmp.PID", or 0 when the name is not one of our temporaries.
long tmp_pid(const std::string& name) {
  size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return 0;
  const std::string digits = name.substr(at + 5);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stol(digits);
}

bool alive(long pid) { return ::kill(pid_t(pid), 0) == 0 || errno == EPERM; }

int clean(const fs::path& dir) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    long pid = tmp_pid(it->path().filename().string());
    if (pid <= 0 || pid == long(::getpid()) || alive(pid)) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace

int prepare_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError("output directory '" + dir + "' cannot be created" + (ec ? ": " + ec.message() : ": a file is in the way") +
                     " (choose another with -o DIR)");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError("output directory '" + dir + "' is not writable: " + std::strerror(errno) + " (choose another with -o DIR)");
  int removed = clean(dir);
  const fs::path points = fs::path(dir) / "points";
  for (fs::directory_iterator it(points, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) removed += clean(it->path());
  return removed;
}

}  // namespace lockstep::output
