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
  // to_json().dump() with `signature_text` (a seal's compact JSON) as the signature, without
  // parsing or serializing the seal again.
  std::string to_text(const std::string& signature_text) const;
  // Throws std::invalid_argument naming the missing or mistyped field.
  static Receipt from_json(const nlohmann::json& j);
};

// `object` serialized as nlohmann::json::dump() does (compact, keys in order) with one more member
// `key` whose value is the JSON text `member_text`, put in its place among the keys: a large member
// already serialized is spliced in rather than parsed and written again. `member_at`, when given,
// receives the offset of the member's value in the result.
std::string json_with_member(const nlohmann::json& object, const std::string& key, const std::string& member_text,
                             std::size_t* member_at = nullptr);

}  // namespace lgsp::bus
