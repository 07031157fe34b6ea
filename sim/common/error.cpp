#include "common/error.hpp"

#include <algorithm>

namespace lockstep {

std::string located(const std::string& file, int line, int col, const std::string& msg) {
  std::string s = file;
  if (line > 0) {
    s.append(":").append(std::to_string(line));
    if (col > 0) s.append(":").append(std::to_string(col));
  }
  s.append(": ").append(msg);
  return s;
}

// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1, so "corse" is 1 from both "cores" and "core".
static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> nearest_all(const std::string& word, const std::vector<std::string>& candidates) {
  std::vector<std::string> best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best.clear();
    }
    if (d == best_d && std::find(best.begin(), best.end(), c) == best.end()) best.push_back(c);
  }
  // Only suggest when the typo is plausible: at most a third of the word (at least 2 edits).
  size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best_d > limit) best.clear();
  return best;
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::vector<std::string> all = nearest_all(word, candidates);
  return all.empty() ? std::string() : all.front();
}

}  // namespace lockstep
