// Shared by the tests that run the `lockstep` command or write files: a scratch folder, file
// reading, and running a command with its exit status and output captured.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace testing {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scratch folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& prefix = "lockstep-test") {
    std::random_device rd;
    path = fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

struct Result {
  int status = -1;
  std::string out, err;
};

// Runs a shell command; stdout and stderr captured separately.
inline Result shell(const std::string& command) {
  TempDir io("lockstep-io");
  const std::string cmd = command + " >'" + (io.path / "out").string() + "' 2>'" + (io.path / "err").string() + "'";
  const int raw = std::system(cmd.c_str());
  Result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(io.path / "out");
  r.err = slurp(io.path / "err");
  return r;
}

#ifdef LOCKSTEP_BINARY
// Runs `lockstep ARGS` (ARGS as shell words).
inline Result lockstep(const std::string& args) { return shell(std::string("'") + LOCKSTEP_BINARY + "' " + args); }
#endif

}  // namespace testing
