// Every contract under one folder: <dir>/<name>/v<N>/contract.json.
#pragma once

#include "lgsp/contracts/contract.hpp"

#include <map>
#include <optional>
#include <vector>

namespace lgsp::contracts {

class Catalogue {
 public:
  // Loads and compiles every contract. A broken contract throws ContractError naming its file.
  static Catalogue load(const std::filesystem::path& dir);

  // "name@vN"; null if unknown.
  const Contract* find(std::string_view id) const;
  // Sorted by name, then version.
  std::vector<const Contract*> list() const;
  const std::filesystem::path& dir() const { return dir_; }

  // Parses "name@vN"; nullopt when malformed.
  static std::optional<std::pair<std::string, int>> parse_id(std::string_view id);

 private:
  std::filesystem::path dir_;
  std::map<std::string, Contract> contracts_;
};

// Where the catalogue is when nothing else is configured: the source tree's contracts/ folder
// (set at build time). The node config key contracts.dir / $LGSP_CONTRACTS_DIR override it.
std::filesystem::path default_catalogue_dir();

}  // namespace lgsp::contracts
