#include "output/emit.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "output/manifest.hpp"

namespace lockstep::output {

namespace {

// Text placed inside "...": the characters the shell still interprets there get a backslash.
std::string dq(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
    out += c;
  }
  return out;
}

// Job names: letters, digits, - _ . only.
std::string job_name(const std::string& name) {
  std::string out = "lockstep-";
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

}  // namespace

int default_shards(size_t points) { return int(std::clamp<size_t>(points, 1, 1000)); }

std::string emit_script(const EmitSpec& s) {
  std::vector<std::string> run = {s.lockstep, "run"};
  run.insert(run.end(), s.run_args.begin(), s.run_args.end());
  run.insert(run.end(), {"-o", s.dir, "--resume"});
  const std::string run_cmd = command_line(run);
  const std::string merge_cmd = command_line({s.lockstep, "merge", s.dir});
  const std::string n = std::to_string(s.shards);

  if (s.format == "parallel") {
    // One argument for parallel: a shell command line in which @SHARD@ becomes the shard index
    // (-I: so that a {} in an argument, e.g. --set 'workload.lock_params={}', stays as it is).
    return "parallel --halt now,fail=1 -I @SHARD@ \"" + dq(run_cmd + " --shard @SHARD@/" + n) + "\" ::: $(seq 0 " +
           std::to_string(s.shards - 1) + ") && " + merge_cmd + "\n";
  }
  if (s.format != "slurm") throw InputError("run: --emit '" + s.format + "': expected slurm or parallel");
  const std::string job = job_name(s.name);
  std::string t;
  t += "#!/bin/bash\n";
  t += "# lockstep experiment '" + s.name + "': " + std::to_string(s.points) + " point(s) in " + n +
       " shard(s), one per array task.\n";
  t += "# Submit with: sbatch THIS_FILE. Task 0 queues `lockstep merge` to run once every task has\n";
  t += "# succeeded; shards run with --resume, so resubmitting reruns only the missing points.\n";
  t += "#SBATCH --job-name=" + job + "\n";
  t += "#SBATCH --array=0-" + std::to_string(s.shards - 1) + "\n";
  t += "#SBATCH --ntasks=1\n";
  t += "#SBATCH --cpus-per-task=1\n";
  t += "#SBATCH --chdir=" + s.workdir + "\n";
  t += "#SBATCH --output=" + job + "-%A_%a.out\n";
  t += "set -euo pipefail\n";
  t += "if [ \"${SLURM_ARRAY_TASK_ID}\" = 0 ]; then\n";
  t += "  sbatch --job-name=" + job + "-merge --dependency=afterok:\"${SLURM_ARRAY_JOB_ID}\" --output=" + job +
       "-merge-%j.out \\\n";
  t += "    --wrap=\"" + dq(merge_cmd) + "\"\n";
  t += "fi\n";
  t += "exec " + run_cmd + " --shard \"${SLURM_ARRAY_TASK_ID}/" + n + "\"\n";
  return t;
}

}  // namespace lockstep::output
