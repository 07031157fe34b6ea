#include "output/driver.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/manifest.hpp"
#include "output/stats_json.hpp"

namespace lockstep::output {

namespace {

bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = std::stoi(s);
  return true;
}

enum class ErrorKind { Input, Correctness, NoProgress, Other };

struct Failure {
  size_t order = 0;  // position among the shard's points
  ErrorKind kind = ErrorKind::Other;
  std::string message;
};

[[noreturn]] void rethrow(const Failure& f) {
  switch (f.kind) {
    case ErrorKind::Input: throw InputError(f.message);
    case ErrorKind::Correctness: throw CorrectnessError(f.message);
    case ErrorKind::NoProgress: throw NoProgressError(f.message);
    case ErrorKind::Other: break;
  }
  throw std::runtime_error(f.message);
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  int i = 0, n = 0;
  if (slash == std::string::npos || !parse_int(text.substr(0, slash), i) || !parse_int(text.substr(slash + 1), n) ||
      n < 1 || i >= n)
    throw InputError("--shard '" + text + "': expected I/N with 0 <= I < N (e.g. 0/4)");
  return {i, n};
}

std::vector<size_t> shard_points(const config::Experiment& exp, int shard_index, int shard_count) {
  std::vector<size_t> out;
  for (size_t k = 0; k < exp.points.size(); ++k)
    if (exp.points[k].index % shard_count == shard_index) out.push_back(k);
  return out;
}

std::string point_dir(const std::string& dir, const config::Point& p) {
  return (std::filesystem::path(dir) / "points" / p.name).string();
}

RunResult run_experiment(const config::Experiment& exp, const RunOptions& opt, const SimulateFn& simulate) {
  if (opt.jobs < 1) throw InputError("--jobs must be at least 1");
  if (opt.shard_count < 1 || opt.shard_index < 0 || opt.shard_index >= opt.shard_count)
    throw InputError("--shard: expected I/N with 0 <= I < N");
  const auto start = std::chrono::steady_clock::now();

  RunResult run;
  run.dir = exp.output_dir;
  const std::vector<size_t> selected = shard_points(exp, opt.shard_index, opt.shard_count);
  std::vector<std::optional<stats::Point>> done(selected.size());

  // Points are handed out in index order, so when one fails every lower-index point has
  // already started; waiting for those lets us report the same failure as a one-job run.
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mu;
  std::optional<Failure> failure;

  auto record = [&](size_t order, ErrorKind kind, const std::string& what) {
    std::lock_guard<std::mutex> lock(failure_mu);
    stop = true;
    if (!failure || order < failure->order)
      failure = Failure{order, kind, exp.points[selected[order]].name + ": " + what};
  };

  auto worker = [&] {
    for (;;) {
      if (stop) return;
      const size_t order = next++;
      if (order >= selected.size()) return;
      const config::Point& p = exp.points[selected[order]];
      try {
        sim::SimOptions so;
        if (!opt.trace_format.empty()) {
          so.trace_format = opt.trace_format;
          const std::string pdir = point_dir(run.dir, p);
          std::filesystem::create_directories(pdir);
          so.trace_path = (std::filesystem::path(pdir) / "trace.txt").string();
        }
        stats::Point st = simulate(p, so);
        write_file_atomic((std::filesystem::path(point_dir(run.dir, p)) / "stats.json").string(),
                          stats_json_text(p, st));
        done[order] = std::move(st);
      } catch (const InputError& e) {
        record(order, ErrorKind::Input, e.what());
      } catch (const CorrectnessError& e) {
        record(order, ErrorKind::Correctness, e.what());
      } catch (const NoProgressError& e) {
        record(order, ErrorKind::NoProgress, e.what());
      } catch (const std::exception& e) {
        record(order, ErrorKind::Other, e.what());
      }
    }
  };

  const size_t nthreads = std::min<size_t>(size_t(opt.jobs), selected.size());
  if (nthreads <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (size_t t = 0; t < nthreads; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  if (failure) rethrow(*failure);

  for (size_t k = 0; k < selected.size(); ++k) run.results.push_back({&exp.points[selected[k]], std::move(*done[k])});
  write_file_atomic((std::filesystem::path(run.dir) / "summary.csv").string(),
                    summary_csv(exp.swept_paths, run.results));

  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ManifestInfo m;
  m.experiment = exp.name;
  m.experiment_file = exp.file;
  m.argv = opt.argv;
  m.wall_seconds = run.wall_seconds;
  m.jobs = opt.jobs;
  m.shard_index = opt.shard_index;
  m.shard_count = opt.shard_count;
  for (const auto& r : run.results) m.points.push_back(r.point->name);
  write_file_atomic((std::filesystem::path(run.dir) / "manifest.json").string(), manifest_json(m).dump(2) + "\n");
  return run;
}

}  // namespace lockstep::output
