// XML contracts: XSD 1.0 with libxml2. The compiled xmlSchema is read-only after loading and is
// shared by all threads; each validation gets its own (cheap) validation context.
#include "lgsp/contracts/safe_xml.hpp"
#include "schema_validators.hpp"

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <cstring>

namespace lgsp::contracts {
namespace {

struct SchemaDeleter {
  void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};
struct SchemaParserDeleter {
  void operator()(xmlSchemaParserCtxt* c) const { xmlSchemaFreeParserCtxt(c); }
};
struct ValidCtxtDeleter {
  void operator()(xmlSchemaValidCtxt* c) const { xmlSchemaFreeValidCtxt(c); }
};

std::string trimmed(const char* message) {
  std::string s = message ? message : "invalid";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void collect_error(void* user, xmlError* error) {
  auto* errors = static_cast<std::vector<ValidationError>*>(user);
  if (!error || error->level == XML_ERR_WARNING) return;
  // libxml2 follows a failed facet with an internal note that tells the reader nothing.
  if (error->message && std::strstr(error->message, "No precomputed value available")) return;
  ValidationError e;
  e.line = error->line;
  e.column = error->int2;
  e.message = trimmed(error->message);
  if (auto* node = static_cast<xmlNode*>(error->node)) {
    xmlChar* path = xmlGetNodePath(node);
    if (path) e.path = reinterpret_cast<const char*>(path);
    xmlFree(path);
    if (e.line == 0) e.line = static_cast<int>(xmlGetLineNo(node));
  }
  if (errors->size() < 100) errors->push_back(std::move(e));  // a broken document can produce thousands
}

class XsdValidator final : public SchemaValidator {
 public:
  XsdValidator(const std::filesystem::path& file, XmlInspector inspect) : inspect_(std::move(inspect)) {
    init_libxml2();
    std::vector<ValidationError> errors;
    std::unique_ptr<xmlSchemaParserCtxt, SchemaParserDeleter> parser(xmlSchemaNewParserCtxt(file.c_str()));
    if (!parser) throw ContractError(file.string(), "cannot read the schema");
    xmlSchemaSetParserStructuredErrors(parser.get(), collect_error, &errors);
    schema_.reset(xmlSchemaParse(parser.get()));
    if (!schema_) {
      std::string why = errors.empty() ? "the schema does not compile" : errors.front().message;
      if (!errors.empty() && errors.front().line > 0) why = "line " + std::to_string(errors.front().line) + ": " + why;
      throw ContractError(file.string(), why);
    }
  }

  ValidationResult validate(std::string_view document, const ParseLimits& limits) const override {
    ValidationResult result;
    auto doc = parse_xml(document, limits, result.errors);
    if (!doc) return result;
    std::unique_ptr<xmlSchemaValidCtxt, ValidCtxtDeleter> ctxt(xmlSchemaNewValidCtxt(schema_.get()));
    if (!ctxt) throw std::bad_alloc();
    xmlSchemaSetValidStructuredErrors(ctxt.get(), collect_error, &result.errors);
    int rc = xmlSchemaValidateDoc(ctxt.get(), doc.get());
    if (rc != 0 && result.errors.empty()) result.errors.push_back({"", 0, 0, "the document does not match the schema"});
    if (rc == 0 && inspect_) inspect_(doc.get(), result);
    return result;
  }

 private:
  XmlInspector inspect_;
  std::unique_ptr<xmlSchema, SchemaDeleter> schema_;
};

}  // namespace

std::shared_ptr<const SchemaValidator> compile_xsd(const std::filesystem::path& schema_file) {
  return std::make_shared<XsdValidator>(schema_file, nullptr);
}

std::shared_ptr<const SchemaValidator> compile_xsd(const std::filesystem::path& schema_file, XmlInspector inspect) {
  return std::make_shared<XsdValidator>(schema_file, std::move(inspect));
}

}  // namespace lgsp::contracts
