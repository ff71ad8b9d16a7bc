#include "mapping.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace lgsp::adapters::rest {
namespace {

using json = nlohmann::json;

// Bounded text of a value for a message: a record's value may be long or hold anything.
std::string shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return text.size() > 64 ? out + "..." : out;
}

std::string type_list(const std::set<std::string>& types) {
  std::string out;
  for (const auto& t : types) {
    if (t == "integer" && types.count("number")) continue;  // "number" says it
    if (!out.empty()) out += " or ";
    out += t;
  }
  return out;
}

std::string json_type(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return "null";
}

const json* get(const json& doc, const FieldPath& path) {
  const json* at = &doc;
  for (const auto& segment : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(segment);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

// Sets `value` at `path`, making objects on the way; false when something not an object is in the way
// (the load-time check makes that impossible for two rules of one mapping).
bool put(json& doc, const FieldPath& path, json value) {
  json* at = &doc;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!at->is_object()) return false;
    json& next = (*at)[path[i]];
    if (next.is_null()) next = json::object();
    at = &next;
  }
  if (!at->is_object()) return false;
  (*at)[path.back()] = std::move(value);
  return true;
}

bool starts_with(const FieldPath& path, const FieldPath& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool allowed(const json& value, const std::optional<std::vector<json>>& values) {
  return !values || std::find(values->begin(), values->end(), value) != values->end();
}

std::string values_text(const std::vector<json>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size() && i < 20; ++i) out += (i ? ", " : "") + values[i].dump();
  return values.size() > 20 ? out + ", ..." : out;
}

// Checks that every member an object of the contract requires is fed by the mapping, for every object the
// mapping writes into (an optional object it leaves alone need not be complete).
class Coverage {
 public:
  Coverage(const SchemaView& schema, const std::vector<FieldPath>& covered) : schema_(schema), covered_(covered) {}

  std::optional<std::string> check(const json& node, const FieldPath& prefix, int depth = 0) const {
    if (depth > 32) return std::nullopt;
    const json* n = schema_.resolve(node);
    if (n == nullptr || !n->is_object()) return std::nullopt;
    if (auto r = n->find("required"); r != n->end() && r->is_array())
      for (const auto& member : *r) {
        if (!member.is_string()) continue;
        FieldPath p = prefix;
        p.push_back(member.get<std::string>());
        if (!touched(p))
          return "the contract requires '" + join_path(p) + "' and no field, default or constant gives it";
      }
    if (auto props = n->find("properties"); props != n->end() && props->is_object())
      for (auto it = props->begin(); it != props->end(); ++it) {
        FieldPath p = prefix;
        p.push_back(it.key());
        if (!inside(p)) continue;
        if (auto why = check(it.value(), p, depth + 1)) return why;
      }
    if (auto all = n->find("allOf"); all != n->end() && all->is_array())
      for (const auto& branch : *all)
        if (auto why = check(branch, prefix, depth + 1)) return why;
    for (const char* key : {"anyOf", "oneOf"}) {
      auto any = n->find(key);
      if (any == n->end() || !any->is_array() || any->empty()) continue;
      std::optional<std::string> first;
      bool one = false;
      for (const auto& branch : *any) {
        auto why = check(branch, prefix, depth + 1);
        if (!why) {
          one = true;
          break;
        }
        if (!first) first = why;
      }
      if (!one)
        return *first + " (no alternative of " + (prefix.empty() ? "the document" : join_path(prefix)) +
               " is complete)";
    }
    return std::nullopt;
  }

 private:
  // A covered path is `p` or lies under it.
  bool touched(const FieldPath& p) const {
    return std::any_of(covered_.begin(), covered_.end(), [&](const FieldPath& c) { return starts_with(c, p); });
  }
  // A covered path lies strictly under `p` (the mapping builds `p` member by member).
  bool inside(const FieldPath& p) const {
    return std::any_of(covered_.begin(), covered_.end(),
                       [&](const FieldPath& c) { return c.size() > p.size() && starts_with(c, p); });
  }
  const SchemaView& schema_;
  const std::vector<FieldPath>& covered_;
};

// Whether every member on the way to `path` is required by its parent object (the field's own schema, not
// a branch's): then a record without it can never be valid, and the field is named rather than the schema.
bool always_required(const SchemaView& schema, const FieldPath& path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto parents = schema.find(FieldPath(path.begin(), path.begin() + static_cast<long>(i)));
    if (parents.empty()) return false;
    const json* parent = schema.resolve(*parents.front());
    if (parent == nullptr || !parent->is_object()) return false;
    auto r = parent->find("required");
    if (r == parent->end() || !r->is_array()) return false;
    if (std::find(r->begin(), r->end(), json(path[i])) == r->end()) return false;
  }
  return true;
}

std::set<std::string> legacy_type(const std::string& key, const std::string& type) {
  if (type == "string" || type == "integer" || type == "number" || type == "boolean") return {type};
  throw MappingLoadError("legacy_types." + key, "'" + type + "' is not one of string, integer, number, boolean");
}

}  // namespace

std::optional<std::string> scalar_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_float()) return value.dump();
  return std::nullopt;
}

std::optional<json> coerce(const json& value, const std::set<std::string>& types) {
  if (types.empty()) return value;
  const bool integral = value.is_number_integer() || value.is_number_unsigned() ||
                        (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>() &&
                         std::fabs(value.get<double>()) < 9.007199254740992e15);
  if ((value.is_string() && types.count("string")) || (value.is_boolean() && types.count("boolean")) ||
      (value.is_number() && types.count("number")) || (integral && types.count("integer")) ||
      (value.is_object() && types.count("object")) || (value.is_array() && types.count("array")) ||
      (value.is_null() && types.count("null")))
    return value.is_number_float() && integral && !types.count("number")
               ? json(static_cast<std::int64_t>(value.get<double>()))
               : value;
  if (value.is_string()) {
    const std::string s = value.get<std::string>();
    if (types.count("integer") && !s.empty() && s.size() <= 19) {
      std::size_t i = s[0] == '-' ? 1 : 0;
      if (i < s.size() &&
          std::all_of(s.begin() + static_cast<long>(i), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        errno = 0;
        const long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == 0) return json(static_cast<std::int64_t>(v));
      }
    }
    if (types.count("number") && !s.empty() && s.size() <= 64 &&
        s.find_first_not_of("0123456789+-.eE") == std::string::npos) {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(s.c_str(), &end);
      if (end == s.c_str() + s.size() && errno == 0 && std::isfinite(v)) return json(v);
    }
    if (types.count("boolean") && (s == "true" || s == "false")) return json(s == "true");
    return std::nullopt;
  }
  if ((value.is_number() || value.is_boolean()) && types.count("string")) return json(*scalar_text(value));
  return std::nullopt;
}

Mapping Mapping::compile(const MappingSpec& spec, const json* schema_doc, const std::string& contract) {
  Mapping m;
  m.direction_ = spec.direction;
  const bool to_contract = spec.direction == Direction::to_contract;
  std::optional<SchemaView> schema;
  if (schema_doc != nullptr) schema.emplace(*schema_doc);
  const std::string in_contract = " in the contract " + contract;

  auto path_of = [](const std::string& key, const std::string& text) {
    try {
      return split_path(text);
    } catch (const std::invalid_argument& e) {
      throw MappingLoadError(key, e.what());
    }
  };
  // The schema nodes of a contract-side path, or a load error naming the key.
  auto contract_nodes = [&](const std::string& key, const FieldPath& path) {
    std::string why;
    auto nodes = schema->find(path, &why);
    if (nodes.empty()) throw MappingLoadError(key, "'" + join_path(path) + "' is not" + in_contract + ": " + why);
    return nodes;
  };
  auto typed = [&](const std::string& key, const std::string& text, const std::set<std::string>& types,
                   const std::optional<std::vector<json>>& values) {
    auto v = coerce(json(text), types);
    if (!v)
      throw MappingLoadError(key,
                             "'" + shown(text) + "' is not " + type_list(types) + " as" + in_contract + " requires");
    if (!allowed(*v, values))
      throw MappingLoadError(key, "'" + shown(text) + "' is not one of the values" + in_contract + " allows (" +
                                      values_text(*values) + ")");
    return *v;
  };

  std::vector<FieldPath> targets;
  auto claim = [&](const std::string& key, const FieldPath& target) {
    for (const auto& t : targets)
      if (starts_with(t, target) || starts_with(target, t))
        throw MappingLoadError(key, t == target ? "'" + join_path(target) + "' is given twice"
                                                : "'" + join_path(target) + "' and '" + join_path(t) +
                                                      "' overlap (one is inside the other)");
    targets.push_back(target);
  };

  if (spec.fields.empty()) throw MappingLoadError("fields", "the mapping has no fields");
  std::set<std::string> sources;
  for (const auto& [source_text, target_text] : spec.fields) {
    const std::string key = "fields." + source_text;
    Rule r;
    r.source = path_of(key, source_text);
    r.target = path_of(key, target_text);
    r.source_text = join_path(r.source);
    r.target_text = join_path(r.target);
    sources.insert(r.source_text);
    claim(key, r.target);

    std::optional<std::vector<json>> out_values;
    std::vector<const json*> in_nodes;
    if (schema && to_contract) {
      const auto nodes = contract_nodes(key, r.target);
      r.types = schema->types(nodes);
      out_values = schema->allowed_values(nodes);
      r.required = always_required(*schema, r.target);
    } else if (schema) {
      in_nodes = contract_nodes(key, r.source);
    }
    if (!to_contract)
      if (auto t = spec.legacy_types.find(target_text); t != spec.legacy_types.end())
        r.types = legacy_type(target_text, t->second);

    if (auto d = spec.dates.find(source_text); d != spec.dates.end()) {
      try {
        r.date = DateFormat::parse(d->second, spec.timezone);
      } catch (const std::invalid_argument& e) {
        throw MappingLoadError("dates." + source_text, e.what());
      }
      if (!r.types.empty() && !r.types.count("string"))
        throw MappingLoadError("dates." + source_text,
                               "'" + target_text + "' is " + type_list(r.types) + in_contract + ", not a date string");
      if (schema && !to_contract && !schema->types(in_nodes).empty() && !schema->types(in_nodes).count("string"))
        throw MappingLoadError(
            "dates." + source_text,
            "'" + source_text + "' is " + type_list(schema->types(in_nodes)) + in_contract + ", not a date string");
    }
    if (auto t = spec.values.find(source_text); t != spec.values.end()) {
      if (r.date)
        throw MappingLoadError("values." + source_text, "a field has a value table or a date format, not both");
      if (t->second.empty()) throw MappingLoadError("values." + source_text, "the value table is empty");
      for (const auto& [in, out] : t->second)
        r.table[in] = typed("values." + source_text + "." + in, out, r.types, out_values);
      // Every value the contract allows must have a legacy equivalent, or a valid answer could not be mapped.
      if (schema && !to_contract)
        if (auto in_values = schema->allowed_values(in_nodes))
          for (const auto& v : *in_values) {
            const auto text = scalar_text(v);
            if (text && !t->second.count(*text))
              throw MappingLoadError("values." + source_text, "the contract value " + v.dump() + " of '" + source_text +
                                                                  "' has no entry in the value table");
          }
    } else if (out_values && !r.date) {
      // A free value cannot be checked here; the contract check of each record names it if it is not allowed.
    }
    m.rules_.push_back(std::move(r));
  }
  for (const auto& [source, pattern] : spec.dates)
    if (!sources.count(source)) throw MappingLoadError("dates." + source, "'" + source + "' is not a mapped field");
  for (const auto& [source, table] : spec.values)
    if (!sources.count(source)) throw MappingLoadError("values." + source, "'" + source + "' is not a mapped field");

  auto fixed_value = [&](const std::string& key, const FieldPath& target, const std::string& text) {
    if (schema && to_contract) {
      const auto nodes = contract_nodes(key, target);
      return typed(key, text, schema->types(nodes), schema->allowed_values(nodes));
    }
    if (!to_contract)
      if (auto t = spec.legacy_types.find(join_path(target)); t != spec.legacy_types.end())
        return typed(key, text, legacy_type(t->first, t->second), std::nullopt);
    return json(text);
  };
  for (const auto& [target_text, text] : spec.constants) {
    const std::string key = "constants." + target_text;
    Fixed f{path_of(key, target_text), "", {}};
    f.target_text = join_path(f.target);
    claim(key, f.target);
    f.value = fixed_value(key, f.target, text);
    m.constants_.push_back(std::move(f));
  }
  for (const auto& [target_text, text] : spec.defaults) {
    const std::string key = "defaults." + target_text;
    const FieldPath target = path_of(key, target_text);
    json value = fixed_value(key, target, text);
    auto rule = std::find_if(m.rules_.begin(), m.rules_.end(), [&](const Rule& r) { return r.target == target; });
    if (rule != m.rules_.end()) {
      rule->fallback = std::move(value);
      continue;
    }
    claim(key, target);
    m.defaults_.push_back({target, join_path(target), std::move(value)});
  }
  for (const auto& [legacy, type] : spec.legacy_types) legacy_type(legacy, type);

  if (schema && to_contract) {
    Coverage coverage(*schema, targets);
    if (auto why = coverage.check(*schema_doc, {})) throw MappingLoadError("fields", *why);
  }
  return m;
}

std::variant<json, MappingFailure> Mapping::apply(const json& input) const {
  if (!input.is_object()) return MappingFailure{"(document)", "expected a JSON object, got " + json_type(input)};
  json out = json::object();
  for (const Rule& r : rules_) {
    const json* v = get(input, r.source);
    if (v == nullptr || v->is_null()) {
      if (r.fallback) {
        put(out, r.target, *r.fallback);
        continue;
      }
      if (r.required) return MappingFailure{r.source_text, "missing (it gives the required '" + r.target_text + "')"};
      continue;
    }
    json value;
    if (!r.table.empty()) {
      const auto text = scalar_text(*v);
      if (!text) return MappingFailure{r.source_text, json_type(*v) + " is not a value of its value table"};
      auto it = r.table.find(*text);
      if (it == r.table.end()) return MappingFailure{r.source_text, "'" + shown(*text) + "' is not in its value table"};
      value = it->second;
    } else if (r.date) {
      if (!v->is_string())
        return MappingFailure{r.source_text,
                              "expected a date string (" +
                                  (direction_ == Direction::to_contract ? r.date->pattern() : std::string("ISO 8601")) +
                                  "), got " + json_type(*v)};
      const std::string text = v->get<std::string>();
      auto converted = direction_ == Direction::to_contract ? r.date->to_iso(text) : r.date->from_iso(text);
      if (!converted)
        return MappingFailure{r.source_text,
                              "'" + shown(text) + "' is not a date in the format " +
                                  (direction_ == Direction::to_contract ? r.date->pattern() : std::string("ISO 8601"))};
      value = std::move(*converted);
    } else {
      auto converted = coerce(*v, r.types);
      if (!converted)
        return MappingFailure{r.source_text, "expected " + type_list(r.types) + ", got " + json_type(*v) +
                                                 (v->is_string() ? " '" + shown(v->get<std::string>()) + "'" : "")};
      value = std::move(*converted);
    }
    if (!put(out, r.target, std::move(value)))
      return MappingFailure{r.source_text, "'" + r.target_text + "' cannot be set"};
  }
  for (const Fixed& f : defaults_)
    if (get(out, f.target) == nullptr) put(out, f.target, f.value);
  for (const Fixed& f : constants_) put(out, f.target, f.value);
  return out;
}

std::string Mapping::source_of(const std::string& json_pointer, const std::string& message) const {
  FieldPath path;
  try {
    const std::string& rest = json_pointer;
    // json_pointer has no public segment access in every version: split by hand, unescaping ~1 and ~0.
    std::size_t at = 0;
    while (at < rest.size()) {
      if (rest[at] != '/') break;
      const auto next = rest.find('/', at + 1);
      std::string segment = rest.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
      for (std::size_t i; (i = segment.find("~1")) != std::string::npos;) segment.replace(i, 2, "/");
      for (std::size_t i; (i = segment.find("~0")) != std::string::npos;) segment.replace(i, 2, "~");
      path.push_back(segment);
      if (next == std::string::npos) break;
      at = next;
    }
  } catch (const json::exception&) {
    return json_pointer;
  }
  // "Missing required property 'x'." points at the parent object: the field is the member it names.
  const auto open = message.find("property '");
  if (message.rfind("Missing required", 0) == 0 && open != std::string::npos) {
    const auto close = message.find('\'', open + 10);
    if (close != std::string::npos) path.push_back(message.substr(open + 10, close - open - 10));
  }
  for (const Rule& r : rules_)
    if (starts_with(path, r.target)) return r.source_text;
  return path.empty() ? "(document)" : join_path(path);
}

std::vector<std::string> Mapping::sources() const {
  std::vector<std::string> out;
  for (const Rule& r : rules_) out.push_back(r.source_text);
  return out;
}

}  // namespace lgsp::adapters::rest
