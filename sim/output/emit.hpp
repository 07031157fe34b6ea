// `lockstep run X.yaml --emit slurm|parallel` (docs/scale.md): the text that runs an
// experiment's shards on a Slurm cluster or with GNU parallel and merges them afterwards.
// Nothing is simulated; the printed text is the whole product.
#pragma once
#include <string>
#include <vector>

namespace lockstep::output {

struct EmitSpec {
  std::string format;               // "slurm" or "parallel"
  std::string lockstep;             // absolute path of the lockstep binary
  std::vector<std::string> run_args;  // after `run`: the experiment (absolute) and its overrides
  std::string dir;                  // absolute output folder
  std::string workdir;              // absolute folder the jobs start in
  std::string name;                 // experiment name (job names)
  size_t points = 0;
  int shards = 1;                   // 1..points
};

// Slurm: a batch script with `#SBATCH --array=0-(shards-1)`, one shard per task (each run
// with --resume, so resubmitting reruns only what is missing); task 0 queues the merge job
// with --dependency=afterok on the whole array. Parallel: one shell line, `parallel ... :::
// 0 .. shards-1 && lockstep merge DIR`. Throws InputError for another format.
std::string emit_script(const EmitSpec& spec);

// The number of shards used when none is given: one per point, at most 1000 (Slurm's
// default MaxArraySize is 1001).
int default_shards(size_t points);

}  // namespace lockstep::output
