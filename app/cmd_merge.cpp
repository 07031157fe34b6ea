// lockstep merge DIR: summary.csv (and plots) from the points present in DIR, after shards
// ran; names the points that are missing.
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/merge.hpp"
#include "output/pivot.hpp"
#include "output/plot.hpp"
#include "output/report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep merge DIR\n"
                     "Builds DIR/summary.csv and the plots from the points whose stats.json is in DIR (written by\n"
                     "`lockstep run --shard I/N`, possibly on other machines) and names the points still missing.";
}

int cmd_merge(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()("help,h", "this text");
  Parsed parsed = parse_args(argc, argv, opts, "merge", kUsage);
  if (parsed.help) return kExitOk;
  if (parsed.words.size() != 1)
    throw InputError(std::string("merge: expected one result folder, got ") + std::to_string(parsed.words.size()) +
                     "\n" + kUsage);
  const std::string dir = parsed.words[0];
  output::ExperimentRecord rec;
  const output::MergeResult m = output::merge_dir(dir, &rec);
  output::write_file_atomic((fs::path(dir) / "summary.csv").string(), output::summary_csv(m.summary));
  std::cout << output::summary_table(m.summary, rec.swept_paths.size());
  std::cout << output::pivot_tables(rec.swept_paths, m.summary, output::default_pivot_metrics(m.summary));
  std::string plots;
  if (m.present > 0 && (rec.swept_paths.size() == 1 || rec.swept_paths.size() == 2))
    for (const auto& file : output::write_summary_plots(dir).files) {
      plots += ',';
      plots += fs::path(file).filename().string();
    }
  if (m.present > 0) {
    output::write_report(dir);
    plots += ",report.html";
  }
  std::cout << "\n" << m.present << " of " << rec.points.size() << " point(s) merged -> " << dir << "/{summary.csv"
            << plots << "}\n";
  if (!m.missing.empty()) {
    std::cerr << "merge: " << m.missing.size() << " run(s) missing (not run yet, or run with another config):";
    for (const auto& name : m.missing) std::cerr << " " << name;
    std::cerr << "\nmerge: run their shards again with --resume, then merge again\n";
  }
  return kExitOk;
}

}  // namespace lockstep::app
