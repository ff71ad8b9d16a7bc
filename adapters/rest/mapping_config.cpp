#include "mapping_config.hpp"

namespace lgsp::adapters::rest {

MappingSpec read_mapping(ConfigTable& table, Direction direction, std::string& contract_id) {
  MappingSpec spec;
  spec.direction = direction;
  contract_id = table.required_string("contract");
  for (auto& [source, target] : table.string_map("fields")) spec.fields.emplace_back(source, target);
  if (spec.fields.empty()) throw AdapterConfigError(table.where("fields"), "the mapping needs at least one field");
  spec.dates = table.string_map("dates");
  if (auto values = table.optional_table("values"))
    for (const auto& field : values->keys()) spec.values[field] = values->string_map(field);
  spec.defaults = table.string_map("defaults");
  spec.constants = table.string_map("constants");
  spec.legacy_types = table.string_map("legacy_types");
  spec.timezone = table.string("timezone", "+07:00");
  return spec;
}

}  // namespace lgsp::adapters::rest
