// JSON contracts: JSON Schema draft 7 with valijson. The schema is read with nlohmann/json and
// compiled once (the valijson::Schema is read-only after that and shared by all threads); documents
// are parsed with RapidJSON (json_document.hpp), which costs a fraction of nlohmann's parse.
#include "json_document.hpp"
#include "lgsp/contracts/safe_json.hpp"
#include "receive_profile.hpp"
#include "schema_validators.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fstream>
#include <sstream>

namespace lgsp::contracts {
namespace {

// valijson names places as {"<root>", "[field]", "[3]"}; we answer with RFC 6901 JSON Pointers.
std::string json_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') token = token.substr(1, token.size() - 2);
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') token = token.substr(1, token.size() - 2);
    std::string escaped;
    for (char c : token) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    out += "/" + escaped;
  }
  return out;
}

// Messages that only say "a child failed" repeat what the child's own error says more precisely.
bool is_summary(const std::string& message) {
  return message.rfind("Failed to validate against schema associated with property name", 0) == 0 ||
         message.rfind("Failed to validate item #", 0) == 0 ||
         message.rfind("Failed to validate against child schema", 0) == 0;
}

class JsonSchemaValidator final : public SchemaValidator {
 public:
  explicit JsonSchemaValidator(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ContractError(file.string(), "cannot read the schema");
    std::stringstream text;
    text << in.rdbuf();
    std::vector<ValidationError> errors;
    auto document = parse_json(text.str(), ParseLimits{}, errors);
    if (!document)
      throw ContractError(file.string(), "line " + std::to_string(errors.front().line) + ": " + errors.front().message);
    document_ = std::move(*document);
    try {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(document_);
      parser.populateSchema(adapter, schema_);
    } catch (const std::exception& e) {
      throw ContractError(file.string(), std::string("not a usable JSON Schema (draft 7): ") + e.what());
    }
  }

  ValidationResult validate(std::string_view text, const ParseLimits& limits) const override {
    ValidationResult result;
    if (receive_) {
      // Receive profile: read the document (with the same limits), drop the empty optional strings, and check
      // what is left. Only documents the strict check refused come here (Contract::validate).
      auto document = parse_json(text, limits, result.errors);
      if (!document) return result;
      if (receive::drop_empty_optional_strings(document_, *document, result) > 0) {
        std::string rewritten;
        try {
          rewritten = document->dump();
        } catch (const nlohmann::json::exception&) {
          return check(text, limits);  // not representable again: judge the document as it came
        }
        auto checked = check(rewritten, limits);
        checked.warnings = std::move(result.warnings);
        return checked;
      }
    }
    return check(text, limits);
  }

  void set_receive() { receive_ = true; }

 private:
  ValidationResult check(std::string_view text, const ParseLimits& limits) const {
    ValidationResult result;
    JsonDocument document;
    if (!document.parse(text, limits, result.errors)) return result;
    // valijson caches compiled regexes by pattern text in the validator; one per thread keeps
    // the cache warm without sharing it across threads.
    thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::adapters::RapidJsonAdapter adapter(document.root());
    // Without a results object valijson stops at the first failure and keeps no error list: the
    // common case (a valid document) costs less. Only an invalid one is walked again for its errors.
    if (validator.validate(schema_, adapter, nullptr)) return result;
    valijson::ValidationResults errors;
    validator.validate(schema_, adapter, &errors);
    valijson::ValidationResults::Error error;
    std::vector<ValidationError> summaries;
    while (errors.popError(error)) {
      ValidationError e{json_pointer(error.context), 0, 0, error.description};
      (is_summary(e.message) ? summaries : result.errors).push_back(std::move(e));
    }
    if (result.errors.empty()) result.errors = std::move(summaries);
    if (result.errors.size() > 100) result.errors.resize(100);
    return result;
  }

  nlohmann::json document_;
  bool receive_ = false;
  valijson::Schema schema_;
};

}  // namespace

std::shared_ptr<const SchemaValidator> compile_json_schema(const std::filesystem::path& schema_file) {
  return std::make_shared<JsonSchemaValidator>(schema_file);
}

std::shared_ptr<const SchemaValidator> compile_json_schema_receive(const std::filesystem::path& schema_file) {
  auto validator = std::make_shared<JsonSchemaValidator>(schema_file);
  validator->set_receive();
  return validator;
}

}  // namespace lgsp::contracts
