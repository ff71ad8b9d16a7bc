// JSON for documents whose meaning must be unambiguous (receipts, seals, log archives): a key given
// twice in one object is refused, since parsers disagree on which of the two counts.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace lgsp::cli {

struct DuplicateKey : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws DuplicateKey naming the key, or nlohmann::json::parse_error.
nlohmann::json parse_strict_json(const std::string& text);

}  // namespace lgsp::cli
