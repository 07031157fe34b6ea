// Splits one line of a .lock file into tokens. The language is line oriented (one statement
// per line, `#` starts a comment), so the lexer works a line at a time and never has to
// track statements across lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lockstep::isa {

struct Token {
  enum class Kind : uint8_t { Ident, Number, Punct } kind = Kind::Ident;
  std::string text;   // as written; Punct is one character of , [ ] + - @ = :
  uint64_t num = 0;   // Number: value (hex may use all 64 bits)
  int col = 0;        // 1-based
};

// Identifiers are [A-Za-z_.][A-Za-z0-9_.]*: the dot lets `.shared` and `ld.8` be single
// tokens; names that must not contain dots are checked by the parser.
// Throws InputError("file:line:col: ...") on a character or number it cannot read.
std::vector<Token> lex_line(const std::string& text, const std::string& file, int line);

}  // namespace lockstep::isa
