#include "output/merge.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"

namespace lockstep::output {

MergeResult merge_points(const std::string& dir, const ExperimentRecord& rec) {
  MergeResult m;
  std::vector<SummaryPoint> pts;
  for (const auto& e : rec.points) {
    SummaryPoint sp;
    sp.name = e.name;
    sp.swept = e.swept;
    bool complete = true;
    for (size_t pos = 0; pos < e.seeds.size(); ++pos) {
      const std::string path = run_stats_path(dir, e, pos);
      std::ifstream in(path, std::ios::binary);
      nlohmann::ordered_json j;
      if (in) {
        std::ostringstream s;
        s << in.rdbuf();
        try {
          j = nlohmann::ordered_json::parse(s.str());
        } catch (const nlohmann::json::exception&) {
          j = nullptr;
        }
      }
      if (!j.is_object() || j.value("config_hash", "") != e.hashes[pos]) {
        complete = false;
        m.missing.push_back(pos == 0 ? e.name : e.name + " seed " + std::to_string(e.seeds[pos]));
        continue;
      }
      sp.runs.push_back(std::move(j));
    }
    if (complete) pts.push_back(std::move(sp));
  }
  m.present = pts.size();
  m.summary = build_summary(rec.swept_paths, pts);
  return m;
}

MergeResult merge_dir(const std::string& dir, ExperimentRecord* rec_out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw InputError("merge: " + dir + " is not a folder");
  const auto rec = read_record(dir);
  if (!rec)
    throw InputError("merge: " + dir + " has no experiment.json: it is not a folder `lockstep run` wrote "
                     "(or was written by a lockstep without merge; run it again with --force)");
  if (rec_out) *rec_out = *rec;
  return merge_points(dir, *rec);
}

}  // namespace lockstep::output
