#include "config/tree.hpp"

#include <yaml-cpp/yaml.h>

#include "common/error.hpp"

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

Val convert(const YAML::Node& n, const std::string& file, const Loc* fixed) {
  Val v;
  v.loc = loc_of(n, file, fixed);
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      v.kind = Val::Kind::Null;
      break;
    case YAML::NodeType::Scalar:
      v.kind = Val::Kind::Scalar;
      v.text = n.Scalar();
      break;
    case YAML::NodeType::Sequence:
      v.kind = Val::Kind::Seq;
      for (const auto& item : n) v.items.push_back(convert(item, file, fixed));
      break;
    case YAML::NodeType::Map:
      v.kind = Val::Kind::Map;
      for (const auto& kv : n) {
        Loc kloc = loc_of(kv.first, file, fixed);
        if (!kv.first.IsScalar())
          throw InputError(located(kloc.file, kloc.line, kloc.col, "a map key must be a plain name"));
        std::string key = kv.first.Scalar();
        // yaml-cpp keeps both copies of a repeated key; silently taking one would hide a typo.
        if (v.find(key))
          throw InputError(located(kloc.file, kloc.line, kloc.col, "duplicate key '" + key + "'"));
        Val value = convert(kv.second, file, fixed);
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
  return convert(root, file, fixed);
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
