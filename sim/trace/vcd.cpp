#include "trace/vcd.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"

namespace lockstep::trace {

namespace {
// VCD identifiers: printable ASCII 33..126, shortest first.
std::string vcd_id(size_t n) {
  std::string s;
  do {
    s += char(33 + n % 94);
    n /= 94;
  } while (n > 0);
  return s;
}

// A scope name GTKWave shows as is: letters, digits and '_' ("node[3]" -> "node_3_").
std::string scope_name(const std::string& n) {
  std::string s = n;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return s;
}
}  // namespace

VcdWriter::VcdWriter(const std::string& path, const Context& ctx, const Options& opt)
    : ctx_(ctx), names_(ctx_), path_(path), out_(path), recording_(opt.warmup || !ctx.warmup) {
  if (!out_) throw InputError("--trace: cannot write " + path);
  while ((size_t(1) << bits_) < ctx_.states.size()) ++bits_;
  const size_t n = names_.lock_lines().size() * size_t(ctx_.cores);
  for (size_t i = 0; i < n; ++i) ids_.push_back(vcd_id(i));
  shown_.assign(n, -1);
  // GTKWave: Edit > Data Format > Translate Filter File > this file, with the signal in hex.
  std::ofstream filter(path + ".states");
  for (size_t s = 0; s < ctx_.states.size(); ++s) filter << std::hex << s << std::dec << " " << ctx_.states[s] << "\n";
  if (recording_) header(0);
}

std::string VcdWriter::value(int state) const {
  std::string v = "b";
  for (int b = bits_ - 1; b >= 0; --b) v += (state >> b) & 1 ? '1' : '0';
  return v;
}

void VcdWriter::header(Cycle at) {
  started_ = true;
  out_ << "$version lockstep $end\n";
  out_ << "$comment one signal per (lock line, L1): the L1's coherence state, encoded:";
  for (size_t s = 0; s < ctx_.states.size(); ++s) out_ << " " << value(int(s)).substr(1) << "=" << ctx_.states[s];
  out_ << " (translate filter: " << std::string(path_.substr(path_.find_last_of('/') + 1)) << ".states) $end\n";
  out_ << "$timescale 1 ns $end\n";
  out_ << "$comment 1 ns = 1 cycle $end\n";
  out_ << "$scope module lockstep $end\n";
  const auto& lines = names_.lock_lines();
  for (size_t li = 0; li < lines.size(); ++li) {
    out_ << "$scope module " << scope_name(names_.line(lines[li])) << " $end\n";
    for (int c = 0; c < ctx_.cores; ++c)
      out_ << "$var wire " << bits_ << " " << ids_[li * size_t(ctx_.cores) + size_t(c)] << " P" << c << " $end\n";
    out_ << "$upscope $end\n";
  }
  out_ << "$upscope $end\n$enddefinitions $end\n";
  out_ << "#" << at << "\n$dumpvars\n";
  for (size_t li = 0; li < lines.size(); ++li)
    for (int c = 0; c < ctx_.cores; ++c) {
      const size_t k = li * size_t(ctx_.cores) + size_t(c);
      shown_[k] = ctx_.state(c, lines[li]);
      out_ << value(shown_[k]) << " " << ids_[k] << "\n";
    }
  out_ << "$end\n";
  cur_ = shown_;
  last_time_ = pending_time_ = at;
}

void VcdWriter::sample(uint64_t line, size_t li, Cycle at) {
  if (at != pending_time_) {
    flush();
    pending_time_ = at;
  }
  for (int c = 0; c < ctx_.cores; ++c) {
    const size_t k = li * size_t(ctx_.cores) + size_t(c);
    const int s = ctx_.state(c, line);
    if (s == cur_[k]) continue;
    cur_[k] = s;
    dirty_.push_back(k);
  }
}

// A line may change twice within one cycle (a transaction completes, the next one's snoop
// takes the copy away): only the value at the end of the cycle is written.
void VcdWriter::flush() {
  bool stamped = pending_time_ == last_time_;
  for (size_t k : dirty_) {
    if (cur_[k] == shown_[k]) continue;
    if (!stamped) {
      out_ << "#" << pending_time_ << "\n";
      last_time_ = pending_time_;
      stamped = true;
    }
    shown_[k] = cur_[k];
    out_ << value(cur_[k]) << " " << ids_[k] << "\n";
  }
  dirty_.clear();
}

void VcdWriter::on(const observe::Event& e) {
  using observe::Ev;
  if (e.kind == Ev::WindowOpen) {
    recording_ = true;
    if (!started_) header(e.cycle);
    return;
  }
  if (!recording_) return;
  if (e.kind != Ev::BusGrant && e.kind != Ev::BusDone && e.kind != Ev::NetDeliver) return;
  const auto& lines = names_.lock_lines();
  const auto it = std::lower_bound(lines.begin(), lines.end(), e.addr);
  if (it == lines.end() || *it != e.addr) return;
  sample(e.addr, size_t(it - lines.begin()), e.cycle);
}

void VcdWriter::finish(Cycle end) {
  if (!started_) header(end);
  const auto& lines = names_.lock_lines();
  const Cycle at = std::max(end, pending_time_);
  for (size_t li = 0; li < lines.size(); ++li) sample(lines[li], li, at);
  flush();
  out_ << "#" << at + 1 << "\n";
  out_.flush();
}

}  // namespace lockstep::trace
