// The two kinds of compiled schema behind Contract (internal).
#pragma once

#include "lgsp/contracts/contract.hpp"

namespace lgsp::contracts {

// Throws ContractError naming `schema_file` when it does not compile.
std::shared_ptr<const SchemaValidator> compile_xsd(const std::filesystem::path& schema_file);
std::shared_ptr<const SchemaValidator> compile_json_schema(const std::filesystem::path& schema_file);

}  // namespace lgsp::contracts
