// DIR/points/POINT/lock_stat in the kernel's /proc/lock_stat layout (version 0.4).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "output/lock_stat.hpp"

using namespace lockstep;

TEST_CASE("lock_stat: header, one class row in µs, contention points by count") {
  stats::Lockstat l;
  l.present = true;
  l.con_bounces = 7;
  l.contentions = 9;
  l.waittime_min = 300;       // 0.10 µs at 3 GHz
  l.waittime_max = 30000;     // 10.00 µs
  l.waittime_total = 45000;   // 15.00 µs; avg 45000 / 9 = 5000 cycles = 1.67 µs
  l.acq_bounces = 11;
  l.acquisitions = 20;
  l.holdtime_min = 150;       // 0.05 µs
  l.holdtime_max = 6000;      // 2.00 µs
  l.holdtime_total = 60000;   // 20.00 µs; avg 3000 cycles = 1.00 µs
  l.contention_points = {{"ticket.lock:14", 2}, {"ticket.lock:9", 7}};
  const std::string t = output::lock_stat_text("ticket", l, 3.0);
  std::istringstream in(t);
  std::string line;
  std::getline(in, line);
  CHECK(line == "lock_stat version 0.4");
  std::getline(in, line);
  CHECK(line == std::string(41 + 12 * 15, '-'));
  std::getline(in, line);
  CHECK(line.rfind(std::string(30, ' ') + "class name    con-bounces    contentions   waittime-min", 0) == 0);
  CHECK(line.size() == size_t(40 + 12 * 15));
  std::getline(in, line);  // rule
  std::getline(in, line);  // blank
  CHECK(line.empty());
  std::getline(in, line);
  // The name right-aligned in 40 columns, then the colon (34 spaces before "ticket:").
  CHECK(line == std::string(34, ' ') + "ticket:" + "              7              9           0.10          10.00          15.00"
                                                  "           1.67             11             20           0.05           2.00"
                                                  "          20.00           1.00");
  std::getline(in, line);
  CHECK(line == std::string(34, ' ') + "------");
  std::getline(in, line);  // most frequent first
  CHECK(line == std::string(34, ' ') + "ticket              7 ticket.lock:9");
  std::getline(in, line);
  CHECK(line == std::string(34, ' ') + "ticket              2 ticket.lock:14");
}

TEST_CASE("lockstep run writes lock_stat beside stats.json, matching stats.json's lockstat") {
  testing::TempDir dir;
  const std::string out = (dir.path / "o").string();
  const auto r = testing::lockstep("run configs/quickstart.yaml -o '" + out +
                                   "' --set 'sweep={}' --set machine.cores=4 --set workload.lock=ticket");
  REQUIRE(r.status == 0);
  std::ifstream f(out + "/points/default/lock_stat");
  REQUIRE(f.good());
  std::stringstream b;
  b << f.rdbuf();
  const std::string text = b.str();
  CHECK(text.rfind("lock_stat version 0.4\n", 0) == 0);
  std::ifstream sj(out + "/points/default/stats.json");
  const auto j = nlohmann::json::parse(sj);
  const auto& ls = j["lockstat"];
  const std::string acq = std::to_string(ls["acquisitions"].get<uint64_t>());
  const std::string con = std::to_string(ls["contentions"].get<uint64_t>());
  CHECK(text.find("ticket:") != std::string::npos);
  CHECK(text.find(" " + con + " ") != std::string::npos);
  CHECK(text.find(" " + acq + " ") != std::string::npos);
  CHECK(text.find("builtin:ticket:") != std::string::npos);  // the contention point: ticket.lock's wait loop
}
