// DIR/points/POINT/lock_stat: the lock's figures as Linux prints /proc/lock_stat
// (Documentation/locking/lockstat.rst, version 0.4): a header, one row per lock class with
// times in µs (cycles / machine.clock_ghz), then its contention points — here the .lock
// file:line where the contended acquisitions waited, with counts.
#pragma once
#include <string>

#include "stats/stats.hpp"

namespace lockstep::output {

std::string lock_stat_text(const std::string& class_name, const stats::Lockstat& l, double clock_ghz);

}  // namespace lockstep::output
