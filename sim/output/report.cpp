#include "output/report.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/format.hpp"
#include "output/plot.hpp"
#include "output/run_dir.hpp"

namespace lockstep::output {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

std::string num(const ojson& v) {
  if (v.is_null()) return "&ndash;";
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return format_number(v.get<double>());
  return xml_escape(v.dump());
}

// "1234 (0.411 µs)" for a figure in cycles when the clock is known.
std::string cycles(const ojson& v, double ghz) {
  std::string s = num(v);
  if (ghz > 0 && v.is_number()) s += " <span class=\"us\">(" + format_number(v.get<double>() / (ghz * 1000.0)) + " µs)</span>";
  return s;
}

const char* kStyle = R"(body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ccc}
.plots svg{max-width:100%;height:auto;border:1px solid #eee;margin:8px 0}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0}td.t{text-align:left}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}.us{color:#666}
details{margin:6px 0}summary{cursor:pointer;font-weight:bold})";

// Click a header: sort by that column (numbers as numbers), click again: reverse.
const char* kScript = R"(document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;
  th.dataset.dir=d===1?'a':'d';
  rows.sort(function(x,y){var p=x.cells[i].textContent,q=y.cells[i].textContent,
   m=parseFloat(p),n=parseFloat(q);
   if(!isNaN(m)&&!isNaN(n))return (m-n)*d;return p<q?-d:p>q?d:0;});
  rows.forEach(function(r){b.appendChild(r);});});});});)";

}  // namespace

std::string report_html(const std::string& dir_text) {
  const fs::path dir(dir_text);
  const SummaryTable table = read_summary_csv((dir / "summary.csv").string());
  std::optional<ExperimentRecord> rec;
  try {
    rec = read_record(dir_text);
  } catch (const InputError&) {
  }
  const std::string name = rec ? rec->name : dir.filename().string();

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'\">\n";
  h += "<title>lockstep: " + xml_escape(name) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  h += "<h1>" + xml_escape(name) + "</h1>\n<p>" + std::to_string(table.rows.size()) + " point(s)";
  if (!table.swept_paths.empty()) {
    h += "; swept:";
    for (const auto& p : table.swept_paths) h += " <code>" + xml_escape(p) + "</code>";
  }
  h += "</p>\n";

  // Plots, inline (the XML prolog is not HTML).
  std::vector<fs::path> svgs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("plot-", 0) == 0 && e.path().extension() == ".svg") svgs.push_back(e.path());
  }
  std::sort(svgs.begin(), svgs.end());
  if (!svgs.empty()) {
    h += "<h2>Plots</h2>\n<div class=\"plots\">\n";
    for (const auto& p : svgs) {
      std::string svg = read_whole_file(p);
      const size_t at = svg.find("<svg");
      if (at == std::string::npos) continue;
      svg = svg.substr(at);
      // Inline SVG in HTML needs no namespace; leaving it out keeps the page free of any URL.
      const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
      if (const size_t n = svg.find(ns); n != std::string::npos) svg.erase(n, ns.size());
      h += svg;
    }
    h += "</div>\n";
  }

  h += "<h2>Summary</h2>\n<p>Click a column header to sort.</p>\n<div class=\"scroll\">\n"
       "<table class=\"sortable\" id=\"summary\">\n<thead><tr>";
  for (const auto& c : table.header) h += "<th>" + xml_escape(c) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  const size_t text_cols = 1 + table.swept_paths.size();
  for (const auto& r : table.rows) {
    h += "<tr>";
    for (size_t i = 0; i < r.size(); ++i) h += (i < text_cols ? "<td class=\"t\">" : "<td>") + xml_escape(r[i]) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody>\n</table>\n</div>\n";

  // Per point: the stats.json of its base seed.
  std::string config_text, details;
  for (const auto& r : table.rows) {
    const fs::path sp = dir / "points" / r[0] / "stats.json";
    ojson j;
    try {
      j = ojson::parse(read_whole_file(sp));
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    double ghz = 0;
    if (j.contains("config") && j["config"].is_object() && j["config"].contains("machine") &&
        j["config"]["machine"].is_object() && j["config"]["machine"].contains("clock_ghz") &&
        j["config"]["machine"]["clock_ghz"].is_number())
      ghz = j["config"]["machine"]["clock_ghz"].get<double>();
    if (config_text.empty() && j.contains("config")) config_text = j["config"].dump(2);
    details += "<details>\n<summary>" + xml_escape(r[0]) + "</summary>\n";
    details += "<p>" + std::string("cycles: ") + cycles(j.value("cycles", ojson()), ghz) +
               ", acquisitions: " + num(j.value("acquisitions", ojson())) + "</p>\n";
    details += "<table><tr><th>distribution</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th>"
               "<th>max</th></tr>\n";
    for (const char* d : {"handoff_cycles", "wait_cycles", "hold_cycles", "release_cycles"}) {
      if (!j.contains(d) || !j[d].is_object()) continue;
      const auto& x = j[d];
      details += "<tr><td class=\"t\">" + std::string(d) + "</td><td>" + num(x.value("count", ojson())) + "</td>";
      for (const char* f : {"mean", "p50", "p90", "p99", "max"}) details += "<td>" + cycles(x.value(f, ojson()), ghz) + "</td>";
      details += "</tr>\n";
    }
    details += "</table>\n";
    for (const char* block : {"coherence", "lockstat", "fairness", "extra"}) {
      if (!j.contains(block) || !j[block].is_object() || j[block].empty()) continue;
      details += "<p><b>" + std::string(block) + "</b>: ";
      bool first = true;
      for (const auto& [k, v] : j[block].items()) {
        if (!first) details += ", ";
        first = false;
        details += xml_escape(k) + " " + (v.is_object() ? xml_escape(v.dump()) : num(v));
      }
      details += "</p>\n";
    }
    details += "</details>\n";
  }
  const std::string resolved_text = read_whole_file(dir / "resolved.yaml");
  if (!resolved_text.empty()) {
    // The whole experiment, re-runnable: `lockstep run DIR/resolved.yaml` (docs/scale.md).
    h += "<h2>Resolved config</h2>\n<p>resolved.yaml: every key as these points were run, the sweep last; "
         "<code>lockstep run resolved.yaml</code> simulates them again.</p>\n<pre>" +
         xml_escape(resolved_text) + "</pre>\n";
  } else if (!config_text.empty()) {
    h += "<h2>Resolved config</h2>\n<p>Of the first point (the others differ in the swept paths";
    if (!table.swept_paths.empty()) h += " above";
    h += ").</p>\n<pre>" + xml_escape(config_text) + "</pre>\n";
  }
  if (!details.empty()) h += "<h2>Points</h2>\n" + details;
  h += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return h;
}

std::string write_report(const std::string& dir) {
  const std::string path = (fs::path(dir) / "report.html").string();
  write_file_atomic(path, report_html(dir));
  return path;
}

}  // namespace lockstep::output
