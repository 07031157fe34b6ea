#include "output/run_dir.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/stats_json.hpp"

#include "output/format.hpp"

namespace lockstep::output {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

// The files and folders lockstep writes into DIR; only these are ever removed.
bool ours(const std::string& name) {
  if (name == "points" || name == "summary.csv" || name == "experiment.json" || name == "report.html" ||
      name == "resolved.yaml" || name == "manifest.json")
    return true;
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  auto ends = [&](const char* s) {
    const std::string suf = s;
    return name.size() >= suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
  };
  return (starts("plot-") && ends(".svg")) || (starts("manifest.shard-") && ends(".json"));
}

// Whether DIR holds results: a summary, or a point's stats.json. A folder where a run failed
// before any point finished holds nothing worth protecting.
bool has_results(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  if (fs::exists(dir / "summary.csv", ec)) return true;
  if (!fs::is_directory(dir / "points", ec)) return false;
  for (const auto& e : fs::recursive_directory_iterator(dir / "points", ec))
    if (e.path().filename() == "stats.json") return true;
  return false;
}

void remove_ours(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (ours(e.path().filename().string())) doomed.push_back(e.path());
  for (const auto& p : doomed) {
    fs::remove_all(p, ec);
    if (ec) throw std::runtime_error("cannot remove " + p.string() + ": " + ec.message());
  }
}

// Removes DIR/points/X for every X that is not a point of the experiment, and inside a
// point's folder every seed-S folder that is not one of its seeds.
void prune_points(const fs::path& dir, const ExperimentRecord& rec) {
  std::error_code ec;
  const fs::path points = dir / "points";
  if (!fs::is_directory(points, ec)) return;
  std::set<std::string> names;
  for (const auto& e : rec.points) names.insert(e.name);
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(points, ec))
    if (!names.count(e.path().filename().string())) doomed.push_back(e.path());
  for (const auto& e : rec.points) {
    const fs::path pd = points / e.name;
    if (!fs::is_directory(pd, ec)) continue;
    std::set<std::string> seeds;
    for (size_t i = 1; i < e.seeds.size(); ++i) seeds.insert("seed-" + std::to_string(e.seeds[i]));
    for (const auto& s : fs::directory_iterator(pd, ec)) {
      const std::string n = s.path().filename().string();
      if (n.rfind("seed-", 0) == 0 && !seeds.count(n)) doomed.push_back(s.path());
    }
  }
  for (const auto& p : doomed) fs::remove_all(p, ec);
}

}  // namespace

std::string ExperimentRecord::hash() const {
  std::string text = name + "\n";
  for (const auto& p : swept_paths) text += p + "\t";
  text += "\n";
  for (const auto& e : points) {
    text += e.name;
    for (const auto& v : e.swept) text += "\t" + v;
    for (size_t i = 0; i < e.seeds.size(); ++i) {
      text += '\t';
      text += std::to_string(e.seeds[i]);
      text += ':';
      if (i < e.hashes.size()) text += e.hashes[i];
    }
    text += "\n";
  }
  return fnv1a64_hex(text);
}

ojson record_json(const ExperimentRecord& r) {
  ojson j;
  j["schema"] = kExperimentSchema;
  j["name"] = r.name;
  j["file"] = r.file;
  j["hash"] = r.hash();
  j["swept_paths"] = r.swept_paths;
  ojson pts = ojson::array();
  for (const auto& e : r.points) {
    ojson p;
    p["name"] = e.name;
    p["swept"] = e.swept;
    p["seeds"] = e.seeds;
    p["config_hashes"] = e.hashes;
    pts.push_back(std::move(p));
  }
  j["points"] = std::move(pts);
  j["fixed"] = r.fixed;
  return j;
}

ExperimentRecord record_from_json(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object() || j.value("schema", "") != kExperimentSchema)
    throw InputError(path + ": not a lockstep experiment record (expected schema \"" + kExperimentSchema + "\")");
  try {
    ExperimentRecord r;
    r.name = j.at("name").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.swept_paths = j.at("swept_paths").get<std::vector<std::string>>();
    for (const auto& p : j.at("points")) {
      ExperimentRecord::Entry e;
      e.name = p.at("name").get<std::string>();
      e.swept = p.at("swept").get<std::vector<std::string>>();
      e.seeds = p.at("seeds").get<std::vector<uint64_t>>();
      e.hashes = p.at("config_hashes").get<std::vector<std::string>>();
      if (e.seeds.empty() || e.hashes.size() != e.seeds.size() || e.swept.size() != r.swept_paths.size())
        throw InputError(path + ": point '" + e.name + "' has inconsistent seeds, hashes or swept values");
      r.points.push_back(std::move(e));
    }
    if (j.contains("fixed")) r.fixed = j.at("fixed").get<std::vector<std::string>>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not a lockstep experiment record: " + e.what());
  }
}

std::optional<ExperimentRecord> read_record(const std::string& dir) {
  const fs::path p = fs::path(dir) / "experiment.json";
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_whole_file(p));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(p.string() + ": not valid JSON: " + e.what());
  }
  return record_from_json(j, p.string());
}

std::string run_stats_path(const std::string& dir, const ExperimentRecord::Entry& e, size_t seed_pos) {
  fs::path p = fs::path(dir) / "points" / e.name;
  if (seed_pos > 0) p /= "seed-" + std::to_string(e.seeds[seed_pos]);
  return (p / "stats.json").string();
}

bool run_done(const std::string& stats_path, const std::string& hash) {
  std::error_code ec;
  if (!fs::exists(stats_path, ec)) return false;
  try {
    const auto j = nlohmann::json::parse(read_whole_file(stats_path));
    return j.is_object() && j.value("config_hash", "") == hash;
  } catch (const nlohmann::json::exception&) {
    return false;  // atomic writes make this rare; a broken file is simply run again
  }
}

void prepare_run_dir(const std::string& dir_text, const ExperimentRecord& rec, DirMode mode) {
  const fs::path dir(dir_text);
  std::optional<ExperimentRecord> old;
  try {
    old = read_record(dir_text);
  } catch (const InputError&) {
    if (mode == DirMode::Normal) throw;
  }
  const bool same = old && old->hash() == rec.hash();
  if (!same && has_results(dir)) {
    if (mode == DirMode::Normal) {
      std::string what = old ? (old->name == rec.name ? "experiment '" + old->name + "' with a different resolved config"
                                                       : "another experiment ('" + old->name + "')")
                             : std::string("results lockstep did not record (no experiment.json)");
      throw InputError("output folder " + dir_text + " holds " + what +
                       "; rerun with --force to clear it, --resume to keep the points that still match, "
                       "or choose another folder with -o DIR");
    }
    if (mode == DirMode::Force) {
      remove_ours(dir);
    } else {
      // Resume into a different experiment: summaries and pictures describe the old one.
      std::error_code ec;
      for (const char* f : {"summary.csv", "report.html", "resolved.yaml"}) fs::remove(dir / f, ec);
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("plot-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".svg") == 0) fs::remove(e.path(), ec);
      }
    }
  } else if (mode == DirMode::Force) {
    remove_ours(dir);
  }
  prune_points(dir, rec);
}

void write_record(const std::string& dir, const ExperimentRecord& rec) {
  write_file_atomic((fs::path(dir) / "experiment.json").string(), record_json(rec).dump(2) + "\n");
}

}  // namespace lockstep::output
