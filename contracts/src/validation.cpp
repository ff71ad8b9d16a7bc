#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json.hpp>

namespace lgsp::contracts {

nlohmann::json to_json(const std::vector<ValidationError>& errors) {
  auto out = nlohmann::json::array();
  for (const auto& e : errors) {
    nlohmann::json j = {{"path", e.path}, {"message", e.message}};
    if (e.line > 0) j["line"] = e.line;
    if (e.column > 0) j["column"] = e.column;
    out.push_back(std::move(j));
  }
  return out;
}

std::string to_text(const std::vector<ValidationError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.path.empty() ? "/" : e.path;
    if (e.line > 0) out += ":" + std::to_string(e.line);
    if (e.column > 0) out += ":" + std::to_string(e.column);
    out += ": " + e.message + "\n";
  }
  return out;
}

}  // namespace lgsp::contracts
