#include "lgsp/bus/receipt.hpp"

#include <stdexcept>

namespace lgsp::bus {

Sha256 Receipt::leaf() const {
  std::string bytes = "lgsp-receipt-v1\n";
  for (const std::string* field : {&message_id, &client, &service, &accepted_at, &payload_sha256})
    append_field(bytes, *field);
  return sha256(bytes);
}

nlohmann::json Receipt::to_json() const {
  return {{"message_id", message_id},         {"service", service},    {"client", client}, {"accepted_at", accepted_at},
          {"payload_sha256", payload_sha256}, {"signature", signature}};
}

Receipt Receipt::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("receipt : not a JSON object");
  auto text = [&](const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) throw std::invalid_argument(std::string("receipt : ") + key + " missing");
    return it->get<std::string>();
  };
  Receipt r;
  r.message_id = text("message_id");
  r.service = text("service");
  r.client = text("client");
  r.accepted_at = text("accepted_at");
  r.payload_sha256 = text("payload_sha256");
  r.signature = j.value("signature", nlohmann::json());
  return r;
}

}  // namespace lgsp::bus
