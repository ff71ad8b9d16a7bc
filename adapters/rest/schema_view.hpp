// What a mapping needs to know of a contract's JSON Schema: does a dotted path exist, which JSON types and
// values may it hold, which members an object requires. Follows local "$ref"s and the branches of
// allOf/anyOf/oneOf; a path exists when some branch has it.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lgsp::adapters::rest {

using FieldPath = std::vector<std::string>;
// "a.b.c" -> {"a","b","c"}; throws std::invalid_argument for an empty segment or a path over 16 segments.
FieldPath split_path(const std::string& dotted);
std::string join_path(const FieldPath& path);

class SchemaView {
 public:
  // `root` is the whole schema document (definitions are looked up in it). Kept by reference.
  explicit SchemaView(const nlohmann::json& root);

  // The schema nodes a value at `path` may be checked against (one per branch that has it); empty when no
  // branch has the path. `why` then names the first segment that is missing.
  std::vector<const nlohmann::json*> find(const FieldPath& path, std::string* why = nullptr) const;

  // JSON types ("string", "integer", "number", "boolean", "object", "array", "null") allowed by any of
  // `nodes`; empty when any of them allows every type.
  std::set<std::string> types(const std::vector<const nlohmann::json*>& nodes) const;
  // The values allowed by enum/const when every node restricts them; nullopt when some node does not.
  std::optional<std::vector<nlohmann::json>> allowed_values(const std::vector<const nlohmann::json*>& nodes) const;

  // The node itself and every branch of allOf/anyOf/oneOf under it, "$ref"s followed (bounded depth).
  std::vector<const nlohmann::json*> alternatives(const nlohmann::json& node) const;
  // "$ref" followed (local "#/..." pointers only; anything else is null).
  const nlohmann::json* resolve(const nlohmann::json& node) const;
  const nlohmann::json& root() const { return root_; }

 private:
  void collect(const nlohmann::json& node, std::vector<const nlohmann::json*>& out, int depth) const;
  const nlohmann::json& root_;
};

}  // namespace lgsp::adapters::rest
