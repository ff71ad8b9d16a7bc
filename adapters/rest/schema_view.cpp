#include "schema_view.hpp"

#include <algorithm>
#include <stdexcept>

namespace lgsp::adapters::rest {
namespace {
constexpr int kMaxDepth = 32;  // "$ref" chains and nested combinators; a cycle stops here
constexpr std::size_t kMaxSegments = 16;
}  // namespace

FieldPath split_path(const std::string& dotted) {
  FieldPath out;
  std::size_t start = 0;
  while (true) {
    const auto dot = dotted.find('.', start);
    std::string segment = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (segment.empty()) throw std::invalid_argument("'" + dotted + "' has an empty segment");
    if (segment.size() > 128) throw std::invalid_argument("'" + dotted + "' has a segment over 128 characters");
    out.push_back(std::move(segment));
    if (out.size() > kMaxSegments) throw std::invalid_argument("'" + dotted + "' is deeper than 16 segments");
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string join_path(const FieldPath& path) {
  std::string out;
  for (const auto& s : path) {
    if (!out.empty()) out += '.';
    out += s;
  }
  return out;
}

SchemaView::SchemaView(const nlohmann::json& root) : root_(root) {}

const nlohmann::json* SchemaView::resolve(const nlohmann::json& node) const {
  const nlohmann::json* at = &node;
  for (int i = 0; i < kMaxDepth; ++i) {
    if (!at->is_object()) return at;
    auto ref = at->find("$ref");
    if (ref == at->end()) return at;
    if (!ref->is_string()) return nullptr;
    const std::string text = ref->get<std::string>();
    if (text.rfind("#", 0) != 0) return nullptr;
    try {
      const nlohmann::json::json_pointer pointer(text.substr(1));
      if (!root_.contains(pointer)) return nullptr;
      at = &root_.at(pointer);
    } catch (const nlohmann::json::exception&) {
      return nullptr;
    }
  }
  return nullptr;
}

void SchemaView::collect(const nlohmann::json& node, std::vector<const nlohmann::json*>& out, int depth) const {
  if (depth > kMaxDepth) return;
  const nlohmann::json* n = resolve(node);
  if (n == nullptr) return;
  if (std::find(out.begin(), out.end(), n) != out.end()) return;
  out.push_back(n);
  if (!n->is_object()) return;
  for (const char* key : {"allOf", "anyOf", "oneOf"}) {
    auto it = n->find(key);
    if (it == n->end() || !it->is_array()) continue;
    for (const auto& branch : *it) collect(branch, out, depth + 1);
  }
}

std::vector<const nlohmann::json*> SchemaView::alternatives(const nlohmann::json& node) const {
  std::vector<const nlohmann::json*> out;
  collect(node, out, 0);
  return out;
}

std::vector<const nlohmann::json*> SchemaView::find(const FieldPath& path, std::string* why) const {
  std::vector<const nlohmann::json*> current{&root_};
  for (std::size_t i = 0; i < path.size(); ++i) {
    std::vector<const nlohmann::json*> next;
    for (const nlohmann::json* node : current)
      for (const nlohmann::json* alt : alternatives(*node)) {
        if (!alt->is_object()) {
          if (alt->is_boolean() && alt->get<bool>()) next.push_back(alt);  // `true`: anything goes
          continue;
        }
        auto props = alt->find("properties");
        if (props != alt->end() && props->is_object() && props->contains(path[i])) {
          next.push_back(&(*props)[path[i]]);
          continue;
        }
        auto extra = alt->find("additionalProperties");
        if (extra != alt->end() && extra->is_object()) next.push_back(&*extra);
      }
    // An object schema that names no properties anywhere and does not close itself accepts any member; a
    // member only a branch constraint mentions is still found through that branch above.
    if (next.empty()) {
      for (const nlohmann::json* node : current) {
        bool open = true, has_props = false;
        for (const nlohmann::json* alt : alternatives(*node)) {
          if (!alt->is_object()) continue;
          if (alt->contains("properties")) has_props = true;
          auto extra = alt->find("additionalProperties");
          if (extra != alt->end() && extra->is_boolean() && !extra->get<bool>()) open = false;
          auto type = alt->find("type");
          if (type != alt->end() && type->is_string() && *type != "object") open = false;
        }
        if (open && !has_props) {
          static const nlohmann::json kAnything = nlohmann::json::object();
          next.push_back(&kAnything);
        }
      }
    }
    if (next.empty()) {
      if (why != nullptr)
        *why = i == 0 ? "the contract has no top-level field '" + path[i] + "'"
                      : "'" + join_path(FieldPath(path.begin(), path.begin() + static_cast<long>(i))) +
                            "' has no field '" + path[i] + "'";
      return {};
    }
    current = std::move(next);
  }
  return current;
}

// Each node found for a path is a constraint the value may meet: the field's own schema and what branches
// say about it. Constraints that restrict are intersected; when they have nothing in common (the branches
// of a oneOf that each allow other values) the union is what some branch allows.
namespace {
template <typename T>
std::vector<T> meet(const std::vector<std::vector<T>>& sets) {
  if (sets.empty()) return {};
  std::vector<T> both = sets.front();
  for (std::size_t i = 1; i < sets.size(); ++i) {
    std::vector<T> next;
    for (const auto& v : both)
      if (std::find(sets[i].begin(), sets[i].end(), v) != sets[i].end()) next.push_back(v);
    both = std::move(next);
  }
  if (!both.empty()) return both;
  std::vector<T> any;
  for (const auto& set : sets)
    for (const auto& v : set)
      if (std::find(any.begin(), any.end(), v) == any.end()) any.push_back(v);
  return any;
}
}  // namespace

std::set<std::string> SchemaView::types(const std::vector<const nlohmann::json*>& nodes) const {
  std::vector<std::vector<std::string>> sets;
  for (const nlohmann::json* node : nodes)
    for (const nlohmann::json* alt : alternatives(*node)) {
      if (!alt->is_object()) continue;
      auto type = alt->find("type");
      if (type == alt->end()) continue;
      std::vector<std::string> these;
      if (type->is_string()) these.push_back(type->get<std::string>());
      if (type->is_array())
        for (const auto& t : *type)
          if (t.is_string()) these.push_back(t.get<std::string>());
      if (std::find(these.begin(), these.end(), "number") != these.end()) these.push_back("integer");
      sets.push_back(std::move(these));
    }
  const auto met = meet(sets);
  return std::set<std::string>(met.begin(), met.end());
}

std::optional<std::vector<nlohmann::json>> SchemaView::allowed_values(
    const std::vector<const nlohmann::json*>& nodes) const {
  std::vector<std::vector<nlohmann::json>> sets;
  for (const nlohmann::json* node : nodes)
    for (const nlohmann::json* alt : alternatives(*node)) {
      if (!alt->is_object()) continue;
      auto e = alt->find("enum");
      if (e != alt->end() && e->is_array()) sets.emplace_back(e->begin(), e->end());
      auto c = alt->find("const");
      if (c != alt->end()) sets.push_back({*c});
    }
  if (sets.empty()) return std::nullopt;
  return meet(sets);
}

}  // namespace lgsp::adapters::rest
