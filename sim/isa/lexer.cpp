#include "isa/lexer.hpp"

#include <cctype>

#include "common/error.hpp"

namespace lockstep::isa {

namespace {
bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Parses a decimal or 0x-hex literal. Decimal stops at 2^63 (the magnitude of INT64_MIN, so
// `-9223372036854775808` can be written); hex may fill all 64 bits (a bit pattern).
bool parse_number(const std::string& s, uint64_t& out) {
  uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (size_t i = 2; i < s.size(); ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else return false;
      if (v >> 60) throw std::overflow_error("");
      v = v * 16 + uint64_t(d);
    }
  } else {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      uint64_t d = uint64_t(c - '0');
      if (v > (uint64_t(1) << 63) / 10 || v * 10 + d > (uint64_t(1) << 63)) throw std::overflow_error("");
      v = v * 10 + d;
    }
  }
  out = v;
  return true;
}
}  // namespace

std::vector<Token> lex_line(const std::string& text, const std::string& file, int line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    int col = int(i) + 1;
    if (c == '#') break;
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    Token t;
    t.col = col;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      // Take the whole alphanumeric run so `12ab` is one bad number, not `12` then `ab`.
      size_t j = i;
      while (j < text.size() && ident_char(text[j])) ++j;
      t.kind = Token::Kind::Number;
      t.text = text.substr(i, j - i);
      bool ok;
      try {
        ok = parse_number(t.text, t.num);
      } catch (const std::overflow_error&) {
        throw InputError(located(file, line, col, "number '" + t.text + "' is out of range"));
      }
      if (!ok) throw InputError(located(file, line, col, "invalid number '" + t.text + "'"));
      i = j;
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < text.size() && ident_char(text[j])) ++j;
      t.kind = Token::Kind::Ident;
      t.text = text.substr(i, j - i);
      i = j;
    } else if (std::string(",[]+-@=:").find(c) != std::string::npos) {
      t.kind = Token::Kind::Punct;
      t.text = std::string(1, c);
      ++i;
    } else {
      throw InputError(located(file, line, col, std::string("unexpected character '") + c + "'"));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace lockstep::isa
