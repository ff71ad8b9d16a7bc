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

std::string_view to_string(Profile profile) { return profile == Profile::strict ? "strict" : "receive"; }

std::optional<Profile> parse_profile(std::string_view text) {
  if (text == "strict") return Profile::strict;
  if (text == "receive") return Profile::receive;
  return std::nullopt;
}

nlohmann::json to_json(const std::vector<ValidationWarning>& warnings) {
  auto out = nlohmann::json::array();
  for (const auto& w : warnings) out.push_back({{"variant", w.variant}, {"path", w.path}, {"detail", w.detail}});
  return out;
}

std::string to_text(const std::vector<ValidationWarning>& warnings) {
  std::string out;
  for (const auto& w : warnings)
    out += "warning: " + w.variant + ": " + (w.path.empty() ? "/" : w.path) + ": " + w.detail + "\n";
  return out;
}

}  // namespace lgsp::contracts
