#include "output/driver.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/manifest.hpp"
#include "output/merge.hpp"
#include "output/overrides.hpp"
#include "output/progress.hpp"
#include "output/resolved_yaml.hpp"
#include "output/lock_stat.hpp"
#include "output/stats_json.hpp"

#include "output/format.hpp"

namespace lockstep::output {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

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
  size_t order = 0;  // position among the shard's runs
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

// The seed runs of every point: run 0 is the point itself, run i its copy with seed + i
// (the resolved config's seed changed to match, so its config hash differs).
struct SeedRuns {
  std::vector<std::unique_ptr<nlohmann::json>> trees;
  std::vector<std::vector<std::unique_ptr<config::Point>>> copies;  // [point][seed_pos - 1]

  SeedRuns(const config::Experiment& exp, int seeds) : copies(exp.points.size()) {
    for (size_t k = 0; k < exp.points.size(); ++k)
      for (int i = 1; i < seeds; ++i) {
        auto p = std::make_unique<config::Point>(exp.points[k]);
        p->seed = exp.points[k].seed + uint64_t(i);
        if (p->resolved) {
          trees.push_back(std::make_unique<nlohmann::json>(*p->resolved));
          if (trees.back()->is_object()) (*trees.back())["seed"] = p->seed;
          p->resolved = trees.back().get();
        }
        copies[k].push_back(std::move(p));
      }
  }
  const config::Point& at(const config::Experiment& exp, size_t k, size_t pos) const {
    return pos == 0 ? exp.points[k] : *copies[k][pos - 1];
  }
};

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
  return (fs::path(dir) / "points" / p.name).string();
}

ExperimentRecord experiment_record(const config::Experiment& exp, int seeds) {
  const SeedRuns runs(exp, seeds);
  ExperimentRecord rec;
  rec.name = exp.name;
  rec.file = exp.file;
  rec.swept_paths = exp.swept_paths;
  rec.fixed = fixed_overrides(exp);
  for (size_t k = 0; k < exp.points.size(); ++k) {
    ExperimentRecord::Entry e;
    e.name = exp.points[k].name;
    for (const auto& path : exp.swept_paths) e.swept.push_back(swept_value(exp.points[k], path));
    for (int i = 0; i < seeds; ++i) {
      const config::Point& p = runs.at(exp, k, size_t(i));
      e.seeds.push_back(p.seed);
      e.hashes.push_back(config_hash(p));
    }
    rec.points.push_back(std::move(e));
  }
  return rec;
}

RunResult run_experiment(const config::Experiment& exp, const RunOptions& opt, const SimulateFn& simulate) {
  if (opt.jobs < 1) throw InputError("--jobs must be at least 1");
  if (opt.seeds < 1) throw InputError("--seeds must be at least 1");
  if (opt.shard_count < 1 || opt.shard_index < 0 || opt.shard_index >= opt.shard_count)
    throw InputError("--shard: expected I/N with 0 <= I < N");
  const auto start = std::chrono::steady_clock::now();

  RunResult run;
  run.dir = exp.output_dir;
  const SeedRuns seed_runs(exp, opt.seeds);
  const ExperimentRecord rec = experiment_record(exp, opt.seeds);
  prepare_run_dir(run.dir, rec, opt.dir_mode);

  const std::vector<size_t> selected = shard_points(exp, opt.shard_index, opt.shard_count);
  const size_t seeds = size_t(opt.seeds);
  const size_t ntasks = selected.size() * seeds;  // task t: point selected[t / seeds], seed t % seeds
  struct Done {
    std::optional<stats::Point> stats;
    ojson json;
    bool reused = false;
  };
  std::vector<std::optional<Done>> done(ntasks);

  // With --resume, runs whose stats.json already holds this config are read back, not run.
  std::vector<size_t> todo;
  for (size_t t = 0; t < ntasks; ++t) {
    const auto& entry = rec.points[selected[t / seeds]];
    const std::string path = run_stats_path(run.dir, entry, t % seeds);
    if (opt.dir_mode == DirMode::Resume && run_done(path, entry.hashes[t % seeds])) {
      done[t] = Done{std::nullopt, ojson::parse(read_whole_file(path)), true};
      ++run.reused;
    } else {
      todo.push_back(t);
    }
  }

  Progress progress(opt.progress, todo.size(), run.reused, opt.heartbeat_seconds);

  // DIR/experiment.json and DIR/resolved.yaml (which experiment; how to run it again).
  const std::string resolved = resolved_yaml(exp, opt.seeds);
  auto write_records = [&] {
    write_record(run.dir, rec);
    write_file_atomic((fs::path(run.dir) / "resolved.yaml").string(), resolved);
  };

  // Runs are handed out in index order, so when one fails every lower-index run has
  // already started; waiting for those lets us report the same failure as a one-job run.
  std::once_flag record_written;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mu;
  std::optional<Failure> failure;

  auto record = [&](size_t order, ErrorKind kind, const std::string& what) {
    std::lock_guard<std::mutex> lock(failure_mu);
    stop = true;
    if (!failure || order < failure->order)
      failure = Failure{order, kind, exp.points[selected[todo[order] / seeds]].name + ": " + what};
  };

  auto worker = [&] {
    for (;;) {
      if (stop) return;
      const size_t order = next++;
      if (order >= todo.size()) return;
      const size_t t = todo[order];
      const size_t k = selected[t / seeds], pos = t % seeds;
      const config::Point& p = seed_runs.at(exp, k, pos);
      const std::string stats_path = run_stats_path(run.dir, rec.points[k], pos);
      const std::string label = pos == 0 ? p.name : p.name + " seed " + std::to_string(p.seed);
      const size_t slot = progress.started(label);
      try {
        sim::SimOptions so;
        so.snapshot_path = (fs::path(stats_path).parent_path() / "snapshots.txt").string();
        so.snapshot_every = opt.snapshot_every;
        if (!opt.trace_format.empty()) {
          so.trace_format = opt.trace_format;
          const fs::path pdir = fs::path(stats_path).parent_path();
          fs::create_directories(pdir);
          so.trace_path = (pdir / "trace.txt").string();
          so.trace_warmup = opt.trace_warmup;
        }
        if (opt.progress && opt.heartbeat_seconds > 0) {  // the heartbeat's cycles and acquisitions
          const auto& w = p.workload;
          const int64_t expected = w.duration_cycles > 0 ? 0 : w.threads * (w.acquisitions_per_thread + w.warmup_acquisitions);
          so.heartbeat = [&progress, slot, expected](uint64_t c, int64_t a) { progress.update(slot, c, a, expected); };
        }
        stats::Point st = simulate(p, so);
        ojson j = stats_json(p, st);
        std::call_once(record_written, write_records);
        write_file_atomic(stats_path, j.dump(2) + "\n");
        if (st.lockstat.present)  // beside stats.json, as the kernel prints /proc/lock_stat
          write_file_atomic((fs::path(stats_path).parent_path() / "lock_stat").string(),
                            lock_stat_text(fs::path(p.workload.lock).stem().string(), st.lockstat, p.machine.clock_ghz));
        for (const auto& [rel, text] : st.files) {  // observers' files: latency_hist/..., profile.txt
          const fs::path f = fs::path(stats_path).parent_path() / rel;
          fs::create_directories(f.parent_path());
          write_file_atomic(f.string(), text);
        }
        st.files.clear();  // written; the summary does not need them
        done[t] = Done{std::move(st), std::move(j), false};
        progress.finished(slot);
      } catch (const InputError& e) {
        progress.finished(slot);
        record(order, ErrorKind::Input, e.what());
      } catch (const CorrectnessError& e) {
        progress.finished(slot);
        record(order, ErrorKind::Correctness, e.what());
      } catch (const NoProgressError& e) {
        progress.finished(slot);
        record(order, ErrorKind::NoProgress, e.what());
      } catch (const std::exception& e) {
        progress.finished(slot);
        record(order, ErrorKind::Other, e.what());
      }
    }
  };

  const size_t nthreads = std::min<size_t>(size_t(opt.jobs), todo.size());
  if (nthreads <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (size_t t = 0; t < nthreads; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  progress.stop();
  if (failure) rethrow(*failure);
  run.simulated = todo.size();

  for (size_t i = 0; i < selected.size(); ++i) {
    PointResult r;
    r.point = &exp.points[selected[i]];
    for (size_t pos = 0; pos < seeds; ++pos) {
      Done& d = *done[i * seeds + pos];
      if (pos == 0 && d.stats) r.stats = std::move(*d.stats);
      r.runs.push_back(std::move(d.json));
    }
    run.results.push_back(std::move(r));
  }

  if (todo.empty()) write_records();  // everything was resumed (or there is nothing)
  if (opt.shard_count == 1) {
    write_file_atomic((fs::path(run.dir) / "summary.csv").string(), summary_csv(build_summary(exp.swept_paths, run.results)));
    run.summary_written = true;
  } else {
    // The shard that completes the set writes the summary; the others leave it to it (or merge).
    const MergeResult m = merge_points(run.dir, rec);
    if (m.missing.empty()) {
      write_file_atomic((fs::path(run.dir) / "summary.csv").string(), summary_csv(m.summary));
      run.summary_written = true;
    }
  }

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
  const std::string manifest = opt.shard_count == 1 ? std::string("manifest.json")
                                                    : "manifest.shard-" + std::to_string(opt.shard_index) + "-of-" +
                                                          std::to_string(opt.shard_count) + ".json";
  write_file_atomic((fs::path(run.dir) / manifest).string(), manifest_json(m).dump(2) + "\n");
  return run;
}

}  // namespace lockstep::output
