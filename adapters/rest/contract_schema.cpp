#include "mapping_config.hpp"

#include "lgsp/contracts/contract.hpp"
#include "lgsp/contracts/safe_json.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lgsp::adapters::rest {
namespace {
std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json parse_file(const std::filesystem::path& file) {
  std::vector<contracts::ValidationError> errors;
  auto doc = contracts::parse_json(read_all(file), contracts::ParseLimits{}, errors);
  if (!doc) throw std::runtime_error(file.string() + ": " + (errors.empty() ? "not JSON" : errors.front().message));
  return *doc;
}
}  // namespace

nlohmann::json load_contract_schema(const contracts::Contract& contract) {
  if (contract.kind() != contracts::SchemaKind::json)
    throw std::runtime_error("the contract " + contract.id() + " is XML; a REST mapping needs a JSON contract");
  const auto descriptor = parse_file(contract.dir() / "contract.json");
  return parse_file(contract.dir() / descriptor.at("schema").get<std::string>());
}

}  // namespace lgsp::adapters::rest
