// libFuzzer target: the .lock assembler. Any input either assembles or is refused with
// InputError (never another exception, a crash or a sanitizer report); a program that
// assembles must survive the round trip disassemble -> reassemble unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "isa/program.hpp"

namespace {

bool same(const lockstep::isa::Operand& a, const lockstep::isa::Operand& b) {
  return a.kind == b.kind && a.reg == b.reg && a.imm == b.imm;
}

bool same(const lockstep::isa::Instr& x, const lockstep::isa::Instr& y) {
  return x.op == y.op && x.size == y.size && x.rd == y.rd && same(x.a, y.a) && same(x.b, y.b) && same(x.c, y.c) &&
         x.addr.kind == y.addr.kind && x.addr.var == y.addr.var && x.addr.reg == y.addr.reg &&
         x.addr.offset == y.addr.offset && x.target == y.target;
}

[[noreturn]] void broken(const char* what) {
  __builtin_printf("round trip broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lockstep::isa;
  const std::string src(reinterpret_cast<const char*>(data), size);
  AssembleOptions opt;
  opt.file = "fuzz.lock";
  opt.ncpu = 4;
  Program p;
  try {
    p = assemble(src, opt);
  } catch (const lockstep::InputError&) {
    return 0;
  }
  const std::string listing = disassemble(p);
  Program q;
  try {
    q = assemble(listing, opt);
  } catch (const lockstep::InputError& e) {
    __builtin_printf("%s\n--- listing ---\n%s\n", e.what(), listing.c_str());
    broken("the listing does not assemble");
  }
  if (q.code.size() != p.code.size()) broken("instruction count");
  for (size_t i = 0; i < p.code.size(); ++i)
    if (!same(p.code[i], q.code[i])) broken("an instruction differs");
  if (q.labels != p.labels || q.params != p.params || q.arena_bytes != p.arena_bytes || q.name != p.name ||
      q.capacity != p.capacity || q.entry_init != p.entry_init || q.vars.size() != p.vars.size())
    broken("program header");
  if (disassemble(q) != listing) broken("the listing of the listing differs");
  return 0;
}
