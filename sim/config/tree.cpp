#include "config/tree.hpp"

#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "common/error.hpp"
#include "common/limits.hpp"

namespace lockstep::config::tree {

Entry* Val::find(const std::string& key) {
  for (auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const Entry* Val::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

bool Val::erase(const std::string& key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

namespace {

Loc loc_of(const YAML::Node& n, const std::string& file, const Loc* fixed) {
  if (fixed) return *fixed;
  YAML::Mark m = n.Mark();
  if (m.is_null()) return Loc{file, 0, 0};
  return Loc{file, m.line + 1, m.column + 1};   // yaml-cpp marks are 0-based
}

// Where `s` stops being UTF-8 (its byte offset), or npos when all of it is. Overlong forms,
// surrogates and code points past U+10FFFF are refused, as in RFC 3629.
size_t bad_utf8(const std::string& s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    unsigned c = b[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > n) return i;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return i;
    i += len;
  }
  return std::string::npos;
}

void check_text(const std::string& s, const Loc& at, const char* what) {
  size_t i = bad_utf8(s);
  if (i == std::string::npos) return;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(s[i]));
  fail(at, std::string(what) + " is not valid UTF-8 (byte " + hex + " at offset " + std::to_string(i) +
               "); lockstep reads YAML as UTF-8");
}

struct Budget {
  uint64_t left;      // values that may still be made
  uint64_t limit;
};

Val convert(const YAML::Node& n, const std::string& file, const Loc* fixed, Budget& budget) {
  Val v;
  v.loc = loc_of(n, file, fixed);
  // An alias is expanded wherever it is used, so a few hundred bytes of anchors can stand
  // for billions of values: count them as they are made.
  if (budget.left-- == 0)
    fail(v.loc, limits::exceeded(limits::Id::YamlValues, "the document", budget.limit + 1) +
                    " (anchors and aliases count once per use)");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      v.kind = Val::Kind::Null;
      break;
    case YAML::NodeType::Scalar:
      v.kind = Val::Kind::Scalar;
      v.text = n.Scalar();
      check_text(v.text, v.loc, "the value");
      break;
    case YAML::NodeType::Sequence:
      v.kind = Val::Kind::Seq;
      for (const auto& item : n) v.items.push_back(convert(item, file, fixed, budget));
      break;
    case YAML::NodeType::Map:
      v.kind = Val::Kind::Map;
      for (const auto& kv : n) {
        Loc kloc = loc_of(kv.first, file, fixed);
        if (!kv.first.IsScalar())
          throw InputError(located(kloc.file, kloc.line, kloc.col, "a map key must be a plain name"));
        std::string key = kv.first.Scalar();
        check_text(key, kloc, "the key");
        // yaml-cpp keeps both copies of a repeated key; silently taking one would hide a typo.
        if (v.find(key))
          throw InputError(located(kloc.file, kloc.line, kloc.col, "duplicate key '" + key + "'"));
        Val value = convert(kv.second, file, fixed, budget);
        // yaml-cpp marks an empty value where the next token starts, often on a later line;
        // the key is where the reader should look.
        if (value.kind == Val::Kind::Null) value.loc = kloc;
        v.entries.push_back(Entry{key, kloc, std::move(value)});
      }
      break;
  }
  return v;
}

}  // namespace

Val parse(const std::string& text, const std::string& file, const Loc* fixed) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    if (fixed) throw InputError(located(fixed->file, fixed->line, fixed->col, e.msg));
    if (e.mark.is_null()) throw InputError(located(file, 0, 0, e.msg));
    throw InputError(located(file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  const uint64_t limit = limits::get(limits::Id::YamlValues);
  Budget budget{limit, limit};
  return convert(root, file, fixed, budget);
}

void merge(Val& base, const Val& over) {
  if (base.kind == Val::Kind::Map && over.kind == Val::Kind::Null) return;
  if (base.kind != Val::Kind::Map || over.kind != Val::Kind::Map) {
    base = over;
    return;
  }
  for (const auto& e : over.entries) {
    if (Entry* mine = base.find(e.key)) {
      mine->key_loc = e.key_loc;   // errors about this key point at the file that won
      merge(mine->val, e.val);
    } else {
      base.entries.push_back(e);
    }
  }
}

std::string flow(const Val& v) {
  switch (v.kind) {
    case Val::Kind::Null: return "null";
    case Val::Kind::Scalar: return v.text;
    case Val::Kind::Seq: {
      std::string s = "[";
      for (size_t i = 0; i < v.items.size(); ++i) s += (i ? ", " : "") + flow(v.items[i]);
      return s + "]";
    }
    case Val::Kind::Map: {
      std::string s = "{";
      for (size_t i = 0; i < v.entries.size(); ++i)
        s += (i ? ", " : "") + v.entries[i].key + ": " + flow(v.entries[i].val);
      return s + "}";
    }
  }
  return "";
}

void fail(const Loc& at, const std::string& msg) { throw InputError(located(at.file, at.line, at.col, msg)); }

std::string describe(const Val& v) {
  switch (v.kind) {
    case Val::Kind::Null: return "nothing";
    case Val::Kind::Scalar: return "'" + v.text + "'";
    case Val::Kind::Seq: return "a list";
    case Val::Kind::Map: return "a map";
  }
  return "";
}

}  // namespace lockstep::config::tree
