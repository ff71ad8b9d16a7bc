// What the node hands back for an accepted message, and what its signature covers.
#pragma once

#include "lgsp/bus/digest.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace lgsp::bus {

struct Receipt {
  std::string message_id;
  std::string service;
  std::string client;
  std::string accepted_at;     // RFC 3339 UTC with milliseconds, e.g. 2026-11-23T06:40:00.123Z
  std::string payload_sha256;  // lower-case hex
  nlohmann::json signature;    // the seal (Sealer::seal); null before signing

  // The Merkle leaf the node signs: SHA-256 over the five fields, each length-prefixed so no two
  // different receipts can produce the same byte string.
  Sha256 leaf() const;
  nlohmann::json to_json() const;
  // Throws std::invalid_argument naming the missing or mistyped field.
  static Receipt from_json(const nlohmann::json& j);
};

}  // namespace lgsp::bus
