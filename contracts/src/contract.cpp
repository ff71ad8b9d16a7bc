#include "lgsp/contracts/contract.hpp"

#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_json.hpp"
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

Contract Contract::load(const fs::path& dir) {
  const fs::path descriptor = dir / "contract.json";
  std::vector<ValidationError> errors;
  auto j = parse_json(read_all(descriptor), ParseLimits{}, errors);
  if (!j) throw ContractError(descriptor.string(), errors.front().message);
  if (!j->is_object()) throw ContractError(descriptor.string(), "must be a JSON object");
  static const std::vector<std::string> known = {"name", "version", "media_type", "description", "schema"};
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
  return c;
}

ValidationResult Contract::validate(std::string_view document, const ParseLimits& limits) const {
  return validator_->validate(document, limits);
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
