// The two kinds of compiled schema behind Contract (internal).
#pragma once

#include "lgsp/contracts/contract.hpp"

#include <functional>

struct _xmlDoc;

namespace lgsp::contracts {

// Throws ContractError naming `schema_file` when it does not compile.
std::shared_ptr<const SchemaValidator> compile_xsd(const std::filesystem::path& schema_file);
std::shared_ptr<const SchemaValidator> compile_json_schema(const std::filesystem::path& schema_file);

// Receive profile (receive_profile.hpp). An XSD whose valid documents are then looked at by `inspect` (which adds
// errors and warnings), and a JSON Schema that first drops empty strings where the schema has an optional field
// that refuses "" (variant dvcqg.empty-optional-string).
using XmlInspector = std::function<void(const _xmlDoc*, ValidationResult&)>;
std::shared_ptr<const SchemaValidator> compile_xsd(const std::filesystem::path& schema_file, XmlInspector inspect);
std::shared_ptr<const SchemaValidator> compile_json_schema_receive(const std::filesystem::path& schema_file);

}  // namespace lgsp::contracts
