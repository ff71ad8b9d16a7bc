// A declarative mapping between a legacy system's JSON and a contract's JSON: renames and nesting by dotted
// paths, value tables (status codes), date formats, defaults and constants. Compiled once at load against
// the contract's JSON Schema (a mapping that cannot produce a valid document is refused there, naming the
// field), then applied to each record (a record it cannot apply to is refused naming the field).
#pragma once

#include "date_format.hpp"
#include "schema_view.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lgsp::adapters::rest {

// to_contract: the input is the legacy system's JSON and the output the contract's (the schema checks the
// output side). from_contract: the input is the contract's JSON and the output the legacy system's (the
// schema checks the input side). Keys are always where a value comes from, values where it goes.
enum class Direction { to_contract, from_contract };

// The mapping as the config says it ([adapter.to_contract] / [adapter.from_contract]).
struct MappingSpec {
  Direction direction = Direction::to_contract;
  std::vector<std::pair<std::string, std::string>> fields;           // source path -> target path
  std::map<std::string, std::string> dates;                          // source path -> legacy pattern
  std::map<std::string, std::map<std::string, std::string>> values;  // source path -> (input -> output)
  std::map<std::string, std::string> defaults;                       // target path -> value when the source is absent
  std::map<std::string, std::string> constants;                      // target path -> value, always set
  std::map<std::string, std::string> legacy_types;                   // legacy path -> string|integer|number|boolean
  std::string timezone = "+07:00";  // the legacy system's clock (its times carry no zone)
};

// A mapping that cannot be used: `key` is where in the mapping table ("fields.hoTen", "dates.ngaySinh").
class MappingLoadError : public std::runtime_error {
 public:
  MappingLoadError(std::string key, const std::string& why) : std::runtime_error(key + ": " + why), key_(key) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// A record the mapping cannot apply to: `field` is the input's own name for it (a legacy field name for
// to_contract, a contract path for from_contract).
struct MappingFailure {
  std::string field;
  std::string reason;
  std::string describe() const { return field + ": " + reason; }
};

class Mapping {
 public:
  // `schema` (the contract's JSON Schema document, copied) may be null: then nothing is checked against it
  // (e.g. the legacy side of a receipt). `contract` names it in messages. Throws MappingLoadError.
  static Mapping compile(const MappingSpec& spec, const nlohmann::json* schema, const std::string& contract);

  std::variant<nlohmann::json, MappingFailure> apply(const nlohmann::json& input) const;

  // The input field that feeds the output at `json_pointer` (as a validator reports it, e.g.
  // "/lookup/person/date_of_birth"), with a validator message naming a missing member ("Missing required
  // property 'x'") taken into account; the pointer itself as a dotted path when no field feeds it.
  std::string source_of(const std::string& json_pointer, const std::string& message = "") const;

  Direction direction() const { return direction_; }
  // The source paths read, for a URL template or a test.
  std::vector<std::string> sources() const;

 private:
  struct Rule {
    FieldPath source, target;
    std::string source_text, target_text;
    std::optional<DateFormat> date;
    std::map<std::string, nlohmann::json> table;  // input value as text -> output value
    std::optional<nlohmann::json> fallback;       // the default for the target
    std::set<std::string> types;                  // allowed output types; empty: any
    bool required = false;                        // the target must always be present (schema)
  };
  struct Fixed {
    FieldPath target;
    std::string target_text;
    nlohmann::json value;
  };
  Direction direction_ = Direction::to_contract;
  std::vector<Rule> rules_;
  std::vector<Fixed> defaults_;   // defaults for targets no field feeds
  std::vector<Fixed> constants_;  // always set
};

// The JSON types a value can be given as (integer from "12", string from 12, boolean from "true"); nullopt
// when `value` cannot be one of `types` (empty `types`: any, the value unchanged).
std::optional<nlohmann::json> coerce(const nlohmann::json& value, const std::set<std::string>& types);
// A scalar as the text a value table or a URL uses ("12", "true", "abc"); nullopt for objects, arrays, null.
std::optional<std::string> scalar_text(const nlohmann::json& value);

}  // namespace lgsp::adapters::rest
