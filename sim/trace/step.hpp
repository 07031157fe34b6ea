// The textbook step table (`lockstep step`, docs/trace.md): one row per coherence
// transaction — cycle, core, the micro-op it executes, the variable, the request — and every
// L1's state of that line once the transaction is done (P0..Pn-1: M/E/S/I/O/F, or a
// transient state of a directory protocol). Snooping bus: a row per bus transaction, printed
// at its completion, stamped with the cycle it was granted. Directory: a row per request a
// core sends, printed when the requester's line is stable again (data and acks in).
#pragma once
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "observe/event.hpp"
#include "trace/context.hpp"
#include "trace/names.hpp"

namespace lockstep::trace {

// Thrown by StepTable once it has printed its rows: the caller stops the run there.
struct StepLimit : std::runtime_error {
  StepLimit() : std::runtime_error("step: row limit reached") {}
};

class StepTable : public observe::Observer {
 public:
  // `stable[s]`: state s is stable (directory rows wait for a stable requester). A transient
  // state is shown as the stable state it leaves (IS_AD -> I, SM_AD -> S: the Primer's
  // naming) unless `transients`.
  StepTable(const Context& ctx, std::vector<bool> stable, std::ostream& out, int max_rows, bool warmup,
            bool transients = false);
  void on(const observe::Event& e) override;
  int rows() const { return rows_; }
  // The column header (printed before the first row; call it to print it with no rows).
  void header();

 private:
  struct Pending {
    Cycle at = 0;
    std::string op, var, request;
  };
  void row(int core, uint64_t line, const Pending& p);
  const std::string& shown(int state) const { return shown_[size_t(state)]; }

  Context ctx_;
  Names names_;
  std::vector<bool> stable_;
  std::ostream& out_;
  int max_rows_;
  bool recording_;
  std::vector<std::string> shown_;  // per state: what the table prints
  bool headed_ = false;
  int rows_ = 0;
  size_t op_width_ = 24, var_width_ = 10;
  std::map<std::pair<int, uint64_t>, Pending> pending_;  // (core, line) -> its open transaction
};

}  // namespace lockstep::trace
