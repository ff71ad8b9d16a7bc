#include "lgsp/contracts/contract.hpp"

#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_json.hpp"
#include "receive_profile.hpp"
#include "schema_validators.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lgsp::contracts {
namespace fs = std::filesystem;

namespace {
std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ContractError(file.string(), "cannot read the file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string need_string(const nlohmann::json& j, const char* key, const fs::path& file) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
    throw ContractError(file.string(), std::string("\"") + key + "\" must be a non-empty string");
  return j[key].get<std::string>();
}
}  // namespace

// contract.json "receive": {"schema": "receive.xsd" (XML only, optional), "variants": ["edxml.organ-id-system", ...]}:
// what the receive profile accepts beyond the strict schema (docs/contracts.md).
void Contract::load_receive(Contract& c, const nlohmann::json& receive, const fs::path& strict_schema,
                            const fs::path& descriptor) {
  static const std::vector<std::string> known_variants = {
      variant::kXmlLeadingBytes,         variant::kEdxmlOrganIdSystem,
      variant::kEdxmlDocumentIdUuid,     variant::kEdxmlHeaderCodeResponseFor,
      variant::kEdxmlStatusMessage,      variant::kEdxmlEmptyTraceHeaderList,
      variant::kDvcqgEmptyOptionalString};
  if (!receive.is_object()) throw ContractError(descriptor.string(), "\"receive\" must be an object");
  for (auto it = receive.begin(); it != receive.end(); ++it)
    if (it.key() != "schema" && it.key() != "variants")
      throw ContractError(descriptor.string(), "unknown key \"receive." + it.key() + "\"");
  if (!receive.contains("variants") || !receive["variants"].is_array() || receive["variants"].empty())
    throw ContractError(descriptor.string(), "\"receive.variants\" must be a non-empty array of variant ids");
  bool edxml_variants = false;
  for (const auto& v : receive["variants"]) {
    if (!v.is_string() ||
        std::find(known_variants.begin(), known_variants.end(), v.get<std::string>()) == known_variants.end())
      throw ContractError(descriptor.string(), "unknown receive variant " + v.dump());
    const auto id = v.get<std::string>();
    if (id.rfind("edxml.", 0) == 0) edxml_variants = true;
    if (id == variant::kDvcqgEmptyOptionalString && c.kind_ != SchemaKind::json)
      throw ContractError(descriptor.string(), id + " applies to JSON contracts only");
    if ((id == variant::kXmlLeadingBytes || edxml_variants) && c.kind_ != SchemaKind::xml)
      throw ContractError(descriptor.string(), id + " applies to XML contracts only");
    c.receive_variants_.push_back(id);
  }
  if (c.kind_ == SchemaKind::json) {
    if (receive.contains("schema"))
      throw ContractError(descriptor.string(),
                          "\"receive.schema\" is for XML contracts (JSON ones relax the strict schema)");
    c.receive_validator_ = compile_json_schema_receive(strict_schema);
    return;
  }
  fs::path schema_file = strict_schema;
  if (receive.contains("schema")) {
    if (!receive["schema"].is_string()) throw ContractError(descriptor.string(), "\"receive.schema\" must be a string");
    const auto name = receive["schema"].get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos ||
        fs::path(name).extension() != ".xsd")
      throw ContractError(descriptor.string(), "\"receive.schema\" must be a .xsd file name in the contract folder");
    schema_file = c.dir_ / name;
    if (!fs::exists(schema_file)) throw ContractError(schema_file.string(), "schema file not found");
  }
  XmlInspector inspect;
  if (edxml_variants) {
    const bool status_contract = c.name_ == "edxml-status";
    inspect = [status_contract](const _xmlDoc* doc, ValidationResult& result) {
      receive::inspect_edxml(doc, status_contract, result);
    };
  }
  c.receive_validator_ = compile_xsd(schema_file, std::move(inspect));
}

Contract Contract::load(const fs::path& dir) {
  const fs::path descriptor = dir / "contract.json";
  std::vector<ValidationError> errors;
  auto j = parse_json(read_all(descriptor), ParseLimits{}, errors);
  if (!j) throw ContractError(descriptor.string(), errors.front().message);
  if (!j->is_object()) throw ContractError(descriptor.string(), "must be a JSON object");
  static const std::vector<std::string> known = {"name", "version", "media_type", "description", "schema", "receive"};
  for (auto it = j->begin(); it != j->end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      throw ContractError(descriptor.string(), "unknown key \"" + it.key() + "\"");

  Contract c;
  c.dir_ = dir;
  c.name_ = need_string(*j, "name", descriptor);
  if (!j->contains("version") || !(*j)["version"].is_number_integer() || (*j)["version"].get<int>() < 1)
    throw ContractError(descriptor.string(), "\"version\" must be a positive integer");
  c.version_ = (*j)["version"].get<int>();
  c.media_type_ = need_string(*j, "media_type", descriptor);
  c.description_ = need_string(*j, "description", descriptor);
  const std::string schema = need_string(*j, "schema", descriptor);

  // The folder is the contract's address: <name>/v<N> must agree with what the file says.
  if (dir.filename() != "v" + std::to_string(c.version_) || dir.parent_path().filename() != c.name_)
    throw ContractError(descriptor.string(), "says " + c.id() + " but lives in " +
                                                 dir.parent_path().filename().string() + "/" + dir.filename().string());
  if (schema.find('/') != std::string::npos || schema.find("..") != std::string::npos)
    throw ContractError(descriptor.string(), "\"schema\" must be a file name in the contract folder");
  const fs::path schema_file = dir / schema;
  if (!fs::exists(schema_file)) throw ContractError(schema_file.string(), "schema file not found");

  if (schema_file.extension() == ".xsd") {
    c.kind_ = SchemaKind::xml;
    c.validator_ = compile_xsd(schema_file);
  } else if (schema_file.extension() == ".json") {
    c.kind_ = SchemaKind::json;
    c.validator_ = compile_json_schema(schema_file);
  } else {
    throw ContractError(descriptor.string(), "\"schema\" must end in .xsd or .json");
  }
  if (j->contains("receive")) load_receive(c, (*j)["receive"], schema_file, descriptor);
  return c;
}

ValidationResult Contract::validate(std::string_view document, const ParseLimits& limits, Profile profile) const {
  if (profile == Profile::strict || receive_variants_.empty()) return validator_->validate(document, limits);
  const auto allows = [this](const std::string& id) {
    return std::find(receive_variants_.begin(), receive_variants_.end(), id) != receive_variants_.end();
  };
  ValidationResult prefix;
  std::size_t offset = 0;
  if (kind_ == SchemaKind::xml && allows(variant::kXmlLeadingBytes)) {
    auto drop = receive::leading_bytes(document, prefix);
    if (!drop) return prefix;
    offset = *drop;
  }
  const auto view = document.substr(offset);
  // Conforming documents (most traffic) cost one strict check; only the others are looked at again.
  ValidationResult result = validator_->validate(view, limits);
  if (!result.valid() && receive_validator_) {
    ValidationResult relaxed = receive_validator_->validate(view, limits);
    // A variant this contract does not list is refused, not warned about.
    for (const auto& w : relaxed.warnings)
      if (!allows(w.variant))
        relaxed.errors.push_back(
            {w.path, 0, 0, "variant " + w.variant + " is not accepted for " + id() + ": " + w.detail});
    if (relaxed.valid() && relaxed.warnings.empty()) {
      // The receive schema accepted what the strict one refused without naming a variant: still say so.
      const auto& first = result.errors.front();
      receive::warn(relaxed, variant::kReceiveRelaxed, first.path, "strict profile: " + first.message);
    }
    result = std::move(relaxed);
  }
  prefix.warnings.insert(prefix.warnings.end(), result.warnings.begin(), result.warnings.end());
  if (prefix.warnings.size() > kMaxWarnings) prefix.warnings.resize(kMaxWarnings);
  result.warnings = std::move(prefix.warnings);
  result.stripped_prefix = offset;
  return result;
}

std::optional<std::pair<std::string, int>> Catalogue::parse_id(std::string_view id) {
  auto at = id.rfind("@v");
  if (at == std::string_view::npos || at == 0 || at + 2 >= id.size()) return std::nullopt;
  int version = 0;
  for (char c : id.substr(at + 2)) {
    if (c < '0' || c > '9' || version > 100000) return std::nullopt;
    version = version * 10 + (c - '0');
  }
  if (version < 1) return std::nullopt;
  return std::make_pair(std::string(id.substr(0, at)), version);
}

Catalogue Catalogue::load(const fs::path& dir) {
  Catalogue catalogue;
  catalogue.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ContractError(dir.string(), "not a directory");
  std::vector<fs::path> folders;
  for (const auto& name_dir : fs::directory_iterator(dir)) {
    if (!name_dir.is_directory()) continue;
    for (const auto& version_dir : fs::directory_iterator(name_dir.path())) {
      auto v = version_dir.path().filename().string();
      if (version_dir.is_directory() && v.size() > 1 && v[0] == 'v' && fs::exists(version_dir.path() / "contract.json"))
        folders.push_back(version_dir.path());
    }
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) {
    Contract c = Contract::load(folder);
    catalogue.contracts_.emplace(c.id(), std::move(c));
  }
  if (catalogue.contracts_.empty()) throw ContractError(dir.string(), "no contracts found (<name>/v<N>/contract.json)");
  return catalogue;
}

const Contract* Catalogue::find(std::string_view id) const {
  auto it = contracts_.find(std::string(id));
  return it == contracts_.end() ? nullptr : &it->second;
}

std::vector<const Contract*> Catalogue::list() const {
  std::vector<const Contract*> out;
  for (const auto& [id, c] : contracts_) out.push_back(&c);
  std::sort(out.begin(), out.end(), [](const Contract* a, const Contract* b) {
    return a->name() != b->name() ? a->name() < b->name() : a->version() < b->version();
  });
  return out;
}

fs::path default_catalogue_dir() { return LGSP_DEFAULT_CONTRACTS_DIR; }

}  // namespace lgsp::contracts
