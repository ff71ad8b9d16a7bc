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

std::string Receipt::to_text(const std::string& signature_text) const {
  const nlohmann::json fields = {{"message_id", message_id},
                                 {"service", service},
                                 {"client", client},
                                 {"accepted_at", accepted_at},
                                 {"payload_sha256", payload_sha256}};
  return json_with_member(fields, "signature", signature_text);
}

namespace {

// Writes the members of `object` with `key` among them; `member_at` gets the offset of its value.
std::string splice(const nlohmann::json& object, const std::string& key, const std::string& member_text,
                   std::size_t& member_at) {
  if (!object.is_object() || object.contains(key))
    throw std::invalid_argument("json_with_member: not an object, or it has '" + key + "' already");
  std::string out = "{";
  bool placed = false;
  auto put = [&](const std::string& k) {
    if (out.size() > 1) out += ',';
    out += nlohmann::json(k).dump();
    out += ':';
  };
  auto put_member = [&] {
    put(key);
    member_at = out.size();
    out += member_text;
    placed = true;
  };
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!placed && key < it.key()) put_member();
    put(it.key());
    out += it.value().dump();
  }
  if (!placed) put_member();
  out += '}';
  return out;
}

}  // namespace

std::string json_with_member(const nlohmann::json& object, const std::string& key, const std::string& member_text,
                             std::size_t* member_at) {
  std::size_t at = 0;
  std::string out = splice(object, key, member_text, at);
  if (member_at) *member_at = at;
  return out;
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
