// DIR/report.html (docs/scale.md "Report"): one self-contained, offline HTML file per result
// folder: the plots (inline SVG), the summary table (click a header to sort), the resolved
// config, and per point its distributions, coherence counters and lockstat figures, with
// times in µs beside cycles where machine.clock_ghz gives the clock. A Content-Security-Policy
// forbids every network request; nothing is loaded from anywhere.
#pragma once
#include <string>

namespace lockstep::output {

// The page for DIR (its experiment.json, summary.csv, plot-*.svg and points' stats.json).
// Throws InputError when DIR has no summary.csv.
std::string report_html(const std::string& dir);

// Writes DIR/report.html (atomically) and returns its path.
std::string write_report(const std::string& dir);

}  // namespace lockstep::output
