// The labs' answer keys still hold: each configs/labs/*.yaml ends with `answer:` lines (a
// point's summary.csv value) and `answer-cmd:` lines (a lockstep command's exit status and
// a piece of its output). This runs every lab as it is written and checks them all.
//   answer: KEY=VALUE... METRIC NUMBER     KEY matches the last part of a swept column
//                                          (lock -> workload.lock); within 2% (or 0.01)
//   answer-cmd: ARGS => exit N: TEXT       `lockstep ARGS` exits N and its stdout holds TEXT
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"

namespace fs = std::filesystem;
using testing::TempDir;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string after(const std::string& line, const std::string& tag) {
  const auto at = line.find(tag);
  return at == std::string::npos ? "" : line.substr(at + tag.size());
}

}  // namespace

TEST_CASE("every lab's stated answers still hold") {
  const fs::path labs = fs::path(LOCKSTEP_SOURCE_DIR) / "configs/labs";
  int labs_seen = 0, answers = 0, commands = 0;
  for (const auto& e : fs::directory_iterator(labs)) {
    if (e.path().extension() != ".yaml") continue;
    const std::string lab = e.path().filename().string();
    CAPTURE(lab);
    ++labs_seen;
    std::vector<std::string> metric_lines, cmd_lines;
    std::istringstream text(testing::slurp(e.path()));
    for (std::string line; std::getline(text, line);) {
      // A comment line that starts with the tag (prose may mention the tags elsewhere).
      const auto b = line.find_first_not_of("# ");
      if (line.empty() || line[0] != '#' || b == std::string::npos) continue;
      const std::string t = line.substr(b);
      if (t.rfind("answer-cmd:", 0) == 0) cmd_lines.push_back(after(t, "answer-cmd:"));
      else if (t.rfind("answer:", 0) == 0) metric_lines.push_back(after(t, "answer:"));
    }
    CHECK(!metric_lines.empty());  // every lab has an answer key

    if (!metric_lines.empty()) {
      TempDir out;
      auto run = testing::lockstep("run '" + e.path().string() + "' -o '" + out.path.string() + "'");
      REQUIRE_MESSAGE(run.status == 0, run.err);
      std::istringstream csv(testing::slurp(out.path / "summary.csv"));
      std::string header_line;
      std::getline(csv, header_line);
      const auto header = split(header_line, ',');
      std::vector<std::vector<std::string>> rows;
      for (std::string row; std::getline(csv, row);) rows.push_back(split(row, ','));
      auto column = [&](const std::string& key) {
        for (size_t i = 0; i < header.size(); ++i) {
          const auto dot = header[i].rfind('.');
          if (header[i] == key || (dot != std::string::npos && header[i].substr(dot + 1) == key)) return int(i);
        }
        return -1;
      };
      for (const auto& a : metric_lines) {
        CAPTURE(a);
        ++answers;
        const auto w = words(a);
        REQUIRE(w.size() >= 3);
        const std::string metric = w[w.size() - 2];
        const double stated = std::stod(w.back());
        const int mc = column(metric);
        REQUIRE_MESSAGE(mc >= 0, "no column " << metric);
        int found = 0;
        for (const auto& row : rows) {
          bool match = true;
          for (size_t k = 0; k + 2 < w.size(); ++k) {
            const auto eq = w[k].find('=');
            REQUIRE(eq != std::string::npos);
            const int c = column(w[k].substr(0, eq));
            REQUIRE_MESSAGE(c >= 0, "no swept column " << w[k]);
            match = match && row.at(size_t(c)) == w[k].substr(eq + 1);
          }
          if (!match) continue;
          ++found;
          const double now = std::stod(row.at(size_t(mc)));
          CHECK_MESSAGE(std::fabs(now - stated) <= std::max(0.01, 0.02 * std::fabs(stated)),
                        lab << ": '" << a << "' now gives " << now);
        }
        CHECK(found == 1);
      }
    }
    for (const auto& c : cmd_lines) {
      CAPTURE(c);
      ++commands;
      const auto arrow = c.find(" => exit ");
      REQUIRE(arrow != std::string::npos);
      const std::string args = c.substr(0, arrow);
      const std::string rest = c.substr(arrow + 9);
      const auto colon = rest.find(": ");
      REQUIRE(colon != std::string::npos);
      const int status = std::stoi(rest.substr(0, colon));
      const std::string expect = rest.substr(colon + 2);
      auto r = testing::lockstep(args);
      CHECK(r.status == status);
      CHECK_MESSAGE(r.out.find(expect) != std::string::npos, "output:\n" << r.out);
    }
  }
  CHECK(labs_seen >= 4);
  CHECK(answers >= 20);
  CHECK(commands >= 4);
}
