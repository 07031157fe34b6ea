#include "output/overrides.hpp"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <nlohmann/json.hpp>

#include "config/schema.hpp"

namespace lockstep::output {

namespace {

using json = nlohmann::json;

const json* at_path(const json& j, const std::string& path) {
  const json* cur = &j;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// The value as a title shows it: strings bare (a file by its name), the rest as compact JSON.
std::string shown(const json& v) {
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  return s.find('/') != std::string::npos ? std::filesystem::path(s).filename().string() : s;
}

// Position of `path` (or of the key it lies under: workload.lock_params.backoff) in the schema.
size_t schema_rank(const std::string& path) {
  const auto& keys = config::schema::keys();
  for (size_t i = 0; i < keys.size(); ++i)
    if (path == keys[i].path || path.rfind(keys[i].path + ".", 0) == 0) return i;
  return keys.size();
}

}  // namespace

std::vector<std::string> fixed_overrides(const config::Experiment& exp) {
  if (exp.points.empty() || exp.key_locs.empty() || !exp.points[0].resolved) return {};
  const json& resolved = *exp.points[0].resolved;
  config::Point defaults_point;
  const json defaults = config::schema::to_json(defaults_point);
  const std::string main_file = std::filesystem::path(exp.file).lexically_normal().string();

  std::vector<std::tuple<int, size_t, std::string>> found;  // (source, schema rank, text)
  for (const auto& entry : exp.key_locs[0]) {
    // Not a structured binding: clang (the sanitizer build) cannot capture one in a lambda.
    const std::string& path = entry.first;
    const auto& loc = entry.second;
    if (path == "name" || path == "output.dir" || path.rfind("sweep", 0) == 0 || path == "extends") continue;
    const bool swept = std::any_of(exp.swept_paths.begin(), exp.swept_paths.end(), [&](const std::string& s) {
      return path == s || path.rfind(s + ".", 0) == 0 || s.rfind(path + ".", 0) == 0;
    });
    if (swept) continue;
    const json* v = at_path(resolved, path);
    if (!v) continue;
    const json* d = at_path(defaults, path);
    if (d && *d == *v) continue;
    const int source = loc.file == "--set" || loc.file == "--seed"                               ? 0
                       : std::filesystem::path(loc.file).lexically_normal().string() == main_file ? 1
                                                                                                    : 2;
    if (source == 2) {  // a preset's keys: the preset, by name, once
      const std::string text = "extends=" + std::filesystem::path(loc.file).stem().string();
      if (std::none_of(found.begin(), found.end(), [&](const auto& f) { return std::get<2>(f) == text; }))
        found.emplace_back(source, found.size(), text);
    } else if (v->is_object()) {  // workload.lock_params: one entry per parameter
      for (auto it = v->begin(); it != v->end(); ++it)
        found.emplace_back(source, schema_rank(path), path + "." + it.key() + "=" + shown(it.value()));
    } else {
      found.emplace_back(source, schema_rank(path), path + "=" + shown(*v));
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(std::get<2>(f));
  return out;
}

}  // namespace lockstep::output
