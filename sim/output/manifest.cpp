#include "output/manifest.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <unistd.h>

namespace lockstep::output {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Output of a shell command, or "" when it fails.
std::string capture(const std::string& cmd) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return "";
  std::string out;
  std::array<char, 256> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  return ::pclose(f) == 0 ? out : "";
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

HostInfo host_info() {
  HostInfo h;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) h.hostname = name;
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    // x86 names the model; most AArch64 kernels give no model name, only part numbers.
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        h.cpu_model = trim(line.substr(colon + 1));
        break;
      }
    }
  }
  h.nproc = std::thread::hardware_concurrency();
  return h;
}

std::string git_revision() {
  static std::once_flag once;
  static std::string rev;
  std::call_once(once, [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) rev = trim(capture("git -C " + shell_quote(exe.parent_path().string()) + " rev-parse HEAD 2>/dev/null"));
    if (rev.empty()) rev = "unknown";
  });
  return rev;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += shell_quote(a);
  }
  return s;
}

nlohmann::ordered_json manifest_json(const ManifestInfo& info) {
  const HostInfo host = host_info();
  nlohmann::ordered_json j;
  j["schema"] = kManifestSchema;
  j["version"] = kVersion;
  j["git_revision"] = git_revision();
  j["experiment"] = info.experiment;
  j["experiment_file"] = info.experiment_file;
  j["command_line"] = command_line(info.argv);
  j["host"] = {{"hostname", host.hostname}, {"cpu_model", host.cpu_model}, {"nproc", host.nproc}};
  j["wall_time_seconds"] = info.wall_seconds;
  j["jobs"] = info.jobs;
  j["shard"] = std::to_string(info.shard_index) + "/" + std::to_string(info.shard_count);
  j["points_run"] = info.points.size();
  j["points"] = info.points;
  return j;
}

}  // namespace lockstep::output
