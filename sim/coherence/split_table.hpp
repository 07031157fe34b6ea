// What a snooping table must define to run on a split-transaction bus (controller
// `snoop-split`, docs/protocols.md "Split-transaction bus"). The grant is the ordering point:
// from it until the data arrives the cache is "outstanding" (IS_D, IM_D, SM_D, ...), and
// other caches' requests ordered in between hit the race cells (IM_D + Other-GetS ->
// IM_D_S, ...). check_split_table walks the table from every Grant cell and rejects, with
// file:line:col, a table whose outstanding states miss a race or completion cell.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "coherence/protocol.hpp"

namespace lockstep::coherence {

struct SplitTable {
  // Per state: the request it waits for the data of (snoop::OwnGetS for a GetS,
  // OwnGetM, OwnUpgrade), or -1 when it is not outstanding.
  std::vector<int> waits_for;
  // The race cells: other caches' requests in an outstanding state, and the completions
  // of states only a race leads to. (state, event), in table order.
  std::vector<std::pair<int, int>> race_cells;
};

// Throws InputError naming the table line that entered the incomplete state.
SplitTable check_split_table(const ControllerSpec& c, const std::string& file);

}  // namespace lockstep::coherence
