// Plots of a sweep (DESIGN.md §5 "Output files", docs/stats.md "Plots"): DIR/plot-METRIC.svg,
// drawn from DIR/summary.csv. The SVG is written here, as plain text, so that a result folder
// gets its pictures on any machine without plotting tools, and the bytes depend only on the
// table (fixed number formatting), like every other result file.
#pragma once
#include <string>
#include <vector>

namespace lockstep::output {

// ---- the chart itself --------------------------------------------------------------------

// One value of the table a chart is drawn from.
struct PlotPoint {
  std::string series;  // legend entry
  std::string x;       // category on the x axis
  double y = 0;
  double err = 0;      // half-width of an error bar (95% CI over seeds); 0 = none
};

struct LineChart {
  std::string title;         // above the plot: "bus transactions per acquisition"
  std::string note;          // a smaller line under the title ("" = none)
  std::vector<std::string> fixed;  // "path=value" the experiment fixes, under the title (docs/stats.md)
  std::string x_title;       // "machine.cores"
  std::string y_title;       // "bus_per_acq"
  std::string legend_title;  // "workload.lock" ("" = none)
  // Series and x values appear in the order they first occur here. When every x is a number
  // the x axis is numeric: values sit at their position, on a log2 scale when all are powers
  // of two (core counts), and each series is a line with markers. Otherwise x values are
  // categories in even slots and each series is a bar per category (grouped), since a line
  // between unordered categories (topologies, locks) would suggest an order. A series without
  // a value for some x simply has no point there. Points with err > 0 get error bars.
  std::vector<PlotPoint> points;
};

// The y axis: from 0 to `max` in steps of `step`, both round (1, 2 or 5 times a power of 10).
struct Axis {
  double max = 1;
  double step = 0.2;
};
// The smallest round axis holding `data_max` (about 4 to 10 ticks); 0 to 1 when data_max <= 0.
Axis round_axis(double data_max);

// An 800x500 SVG 1.1 document: axes, ticks, axis titles, a legend, and per series a polyline
// with markers (numeric x) or bars (categorical x), with error bars where err > 0.
std::string line_chart_svg(const LineChart& chart);

// ---- from summary.csv ----------------------------------------------------------------------

// DIR/summary.csv as read back: the header and the rows, split into fields.
struct SummaryTable {
  std::string path;                               // for messages
  std::vector<std::string> swept_paths;           // header columns between point and cycles
  std::vector<std::string> header;
  std::vector<std::string> metrics;               // header columns from cycles on
  std::vector<std::vector<std::string>> rows;     // each header.size() fields
};

// The fixed figure columns of summary.csv, in order (cycles ... hold_mean); more follow them.
const std::vector<std::string>& summary_metrics();

// Throws InputError when the file is missing or is not a summary (message: path:line).
SummaryTable read_summary_csv(const std::string& path);

// The column `metric` names: a column from cycles on, or the last part of exactly one dotted
// column (cache_to_cache -> coherence.cache_to_cache). InputError naming the nearest otherwise.
std::string resolve_metric(const SummaryTable& table, const std::string& metric);

struct PlotRequest {
  std::vector<std::string> metrics;  // summary columns; empty = default_plot_metrics
  std::string series_path;           // "" = the first swept path (when two are swept)
  std::string x_path;                // "" = the last swept path (when one or two are swept)
  std::string output;                // "" = DIR/plot-METRIC.svg; else the file (one metric only)
};

// bus_per_acq (msgs_per_acq when every bus figure is 0: a directory machine), inv_per_acq,
// acq_per_kcycle: the traffic, invalidation and throughput pictures of the pivot tables.
std::vector<std::string> default_plot_metrics(const SummaryTable& table);

// The chart of one metric. Swept paths other than the series and x paths are fixed to their
// first value; `note` (when not null) receives a sentence saying so, also shown in the chart.
// Throws InputError for an unknown metric or path (naming the nearest valid one) and for
// three or more swept paths without both series_path and x_path.
LineChart summary_chart(const SummaryTable& table, const std::string& metric, const PlotRequest& req,
                        std::string* note = nullptr);

struct PlotOutcome {
  std::vector<std::string> files;  // written, in metric order
  std::string note;                // "" unless some swept paths were fixed
};

// Reads DIR/summary.csv and writes one SVG per metric (write_file_atomic).
PlotOutcome write_summary_plots(const std::string& dir, const PlotRequest& req = {});

}  // namespace lockstep::output
