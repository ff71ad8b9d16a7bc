// Reading a mapping from its adapters.toml table, and the contract's JSON Schema it is checked against.
#pragma once

#include "lgsp/adapters/adapter_config.hpp"
#include "mapping.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace lgsp::contracts {
class Contract;
}

namespace lgsp::adapters::rest {

// [adapter.to_contract] / [adapter.from_contract]: contract, fields, dates, values.<field>, defaults,
// constants, legacy_types, timezone. `contract` is returned through `contract_id` (required).
MappingSpec read_mapping(ConfigTable& table, Direction direction, std::string& contract_id);

// The JSON Schema document of a JSON contract (its contract.json names the file). Throws std::runtime_error
// for an XML contract or an unreadable schema.
nlohmann::json load_contract_schema(const contracts::Contract& contract);

}  // namespace lgsp::adapters::rest
