// One versioned contract: its descriptor and its compiled schema.
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::contracts {

// A contract that cannot be loaded; what() is "<file> : <why>".
class ContractError : public std::runtime_error {
 public:
  ContractError(const std::string& file, const std::string& why) : std::runtime_error(file + " : " + why) {}
};

enum class SchemaKind { xml, json };

// A compiled schema; validate() may be called from many threads at once.
class SchemaValidator {
 public:
  virtual ~SchemaValidator() = default;
  virtual ValidationResult validate(std::string_view document, const ParseLimits& limits) const = 0;
};

class Contract {
 public:
  // Loads <dir>/contract.json and compiles its schema. Throws ContractError naming the file.
  static Contract load(const std::filesystem::path& dir);

  const std::string& name() const { return name_; }
  int version() const { return version_; }
  std::string id() const { return name_ + "@v" + std::to_string(version_); }  // "edxml@v1"
  const std::string& media_type() const { return media_type_; }
  const std::string& description() const { return description_; }
  SchemaKind kind() const { return kind_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Strict by default (what we send). Profile::receive (inbound traffic) also accepts the variants listed in
  // contract.json "receive" (docs/contracts.md), each reported in ValidationResult::warnings.
  ValidationResult validate(std::string_view document, const ParseLimits& limits,
                            Profile profile = Profile::strict) const;
  // The variant ids the receive profile of this contract accepts (empty: receive checks as strict does).
  const std::vector<std::string>& receive_variants() const { return receive_variants_; }

 private:
  static void load_receive(Contract& c, const nlohmann::json& receive, const std::filesystem::path& strict_schema,
                           const std::filesystem::path& descriptor);

  std::string name_;
  int version_ = 0;
  std::string media_type_;
  std::string description_;
  SchemaKind kind_ = SchemaKind::json;
  std::filesystem::path dir_;
  std::shared_ptr<const SchemaValidator> validator_;
  std::vector<std::string> receive_variants_;
  // The receive profile's schema (contract.json "receive.schema"); null when it is the strict one.
  std::shared_ptr<const SchemaValidator> receive_validator_;
};

}  // namespace lgsp::contracts
