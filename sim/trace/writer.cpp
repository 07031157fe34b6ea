#include "trace/writer.hpp"

#include <algorithm>
#include <filesystem>

#include "common/error.hpp"
#include "trace/perfetto.hpp"
#include "trace/text.hpp"
#include "trace/vcd.hpp"

namespace lockstep::trace {

namespace {
const std::vector<std::string> kFormats = {"text", "perfetto", "vcd"};
}

std::vector<std::string> parse_formats(const std::string& list) {
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    const size_t comma = list.find(',', from);
    const std::string f = list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (std::find(kFormats.begin(), kFormats.end(), f) == kFormats.end())
      throw InputError("--trace: unknown format '" + f + "' (expected text, perfetto or vcd, or a comma list of them)");
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

std::string file_for(const std::string& format, const std::string& text_path) {
  if (format == "text") return text_path;
  std::filesystem::path p(text_path);
  p.replace_extension(format == "perfetto" ? ".json" : ".vcd");
  return p.string();
}

std::unique_ptr<Writer> make_writer(const std::string& format, const std::string& path, const Context& ctx,
                                    const Options& opt) {
  if (format == "text") return std::make_unique<TextWriter>(path, ctx, opt);
  if (format == "perfetto") return std::make_unique<PerfettoWriter>(path, ctx, opt);
  if (format == "vcd") return std::make_unique<VcdWriter>(path, ctx, opt);
  parse_formats(format);  // throws the message
  return nullptr;
}

}  // namespace lockstep::trace
