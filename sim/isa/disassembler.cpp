// isa::disassemble(): a listing that is itself valid .lock source. Parameters are printed
// with their final values and `ncpu` counts as numbers, so assembling the listing with the
// same ncpu and line size gives the same code (the tests check this round trip).
#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "isa/ops.hpp"
#include "isa/program.hpp"

namespace lockstep::isa {

namespace {

// "r3": built by appending (GCC 12 warns falsely, -Wrestrict, on "lit" + std::string&&).
std::string reg(unsigned r) {
  std::string s = "r";
  s += std::to_string(r);
  return s;
}

std::string operand(const Operand& o) {
  switch (o.kind) {
    case Operand::Kind::Reg: return reg(o.reg);
    case Operand::Kind::Imm: return std::to_string(o.imm);
    case Operand::Kind::Tid: return "tid";
    case Operand::Kind::Node: return "numa_node";
    case Operand::Kind::None: break;
  }
  return "?";
}

std::string address(const Program& p, const Address& a) {
  std::string s = "[";
  if (a.kind == Address::Kind::Reg) {
    s += reg(a.reg);
  } else {
    s += a.var >= 0 && size_t(a.var) < p.vars.size() ? p.vars[size_t(a.var)].name : "?";
    if (a.kind == Address::Kind::VarIndexed) s += " @ " + reg(a.reg);
  }
  if (a.offset > 0) s += " + " + std::to_string(a.offset);
  // Negate as unsigned so INT64_MIN prints without overflow.
  if (a.offset < 0) s += " - " + std::to_string(uint64_t(0) - uint64_t(a.offset));
  return s + "]";
}

std::string label_of(const Program& p, int target) {
  for (const auto& [name, idx] : p.labels)
    if (idx == target) return name;
  std::string s = "@";
  s += std::to_string(target);
  return s;  // not reassemblable, but never produced by assemble()
}

}  // namespace

std::string disassemble_instr(const Program& p, size_t i) {
  const Instr& in = p.code[i];
  const OpInfo& info = op_info(in.op);
  std::string m = info.name;
  if (info.sized && in.size != 8) {
    m += ".";
    m += std::to_string(in.size * 8);
  }
  std::string sig = info.sig;
  std::vector<std::string> parts;
  const Operand* src[] = {&in.a, &in.b, &in.c};
  size_t next_src = 0;
  for (char c : sig) {
    switch (c) {
      case 'D': parts.push_back(reg(in.rd)); break;
      case 'R': case 'V': case 'I': parts.push_back(operand(*src[next_src++])); break;
      case 'M': parts.push_back(address(p, in.addr)); break;
      case 'A':
        if (in.addr.kind == Address::Kind::Var && in.addr.offset == 0)
          parts.push_back(p.vars[size_t(in.addr.var)].name);
        else
          parts.push_back(address(p, in.addr));
        break;
      case 'L': parts.push_back(label_of(p, in.target)); break;
      case 'N':
        parts.push_back(size_t(in.a.imm) < p.trace_names.size() ? p.trace_names[size_t(in.a.imm)] : "?");
        break;
    }
  }
  std::string line = "  " + m;
  for (size_t k = 0; k < parts.size(); ++k) line += (k ? ", " : std::string(m.size() < 8 ? 8 - m.size() : 1, ' ')) + parts[k];
  return line;
}

std::string disassemble(const Program& p) {
  std::ostringstream os;
  os << "lock " << p.name << "\n";
  os << "capacity " << p.capacity << "\n";
  if (p.trylock_info) os << ".trylock_info\n";
  else if (p.can_fail) os << ".can_fail\n";
  for (const auto& [name, value] : p.params) os << "param " << name << " = " << value << "\n";
  for (const auto& v : p.vars) {
    switch (v.kind) {
      case Variable::Kind::Shared: os << ".shared " << v.name; break;
      case Variable::Kind::PerCpu: os << ".percpu " << v.name << " " << v.words; break;
      case Variable::Kind::Array: os << ".array " << v.name << " " << v.count; break;
    }
    os << (v.packed ? " packed" : "") << "   # offset " << v.offset;
    if (v.kind != Variable::Kind::Shared) os << ", stride " << v.stride << ", count " << v.count;
    os << "\n";
  }
  std::multimap<int, std::string> labels_at;
  for (const auto& [name, idx] : p.labels) labels_at.emplace(idx, name);
  for (size_t i = 0; i < p.code.size(); ++i) {
    auto range = labels_at.equal_range(int(i));
    for (auto it = range.first; it != range.second; ++it) os << "\n" << it->second << ":\n";
    os << disassemble_instr(p, i) << "\n";
  }
  return os.str();
}

}  // namespace lockstep::isa
