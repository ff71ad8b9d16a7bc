#include "outbound_writer.hpp"

#include "drop_files.hpp"
#include "lgsp/bus/digest.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace lgsp::adapters::filedrop {

namespace fs = std::filesystem;

namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// The client recorded in an existing receipt beside a delivered file, or empty when unreadable.
std::string receipt_client(const fs::path& receipt) {
  std::ifstream in(receipt, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  const auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (!json.is_object() || !json.contains("client") || !json["client"].is_string()) return {};
  return json["client"].get<std::string>();
}

}  // namespace

OutboundWriter::OutboundWriter(fs::path dir) : dir_(std::move(dir)) {}

std::string OutboundWriter::stem_for(const std::string& message_id) {
  std::string stem;
  bool changed = message_id.empty() || message_id.front() == '.';
  for (char c : message_id.substr(0, 128)) {
    if (allowed(c)) {
      stem.push_back(c);
    } else {
      stem.push_back('_');
      changed = true;
    }
  }
  if (message_id.size() > 128) changed = true;
  if (!stem.empty() && stem.front() == '.') stem.front() = '_';
  if (changed) stem += "~" + bus::sha256_hex(message_id).substr(0, 12);
  return stem;
}

std::string OutboundWriter::extension_for(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }), type.end());
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto ends_with = [&](std::string_view s) { return type.size() >= s.size() && type.ends_with(s); };
  if (type == "application/json" || ends_with("+json")) return ".json";
  if (type == "application/xml" || type == "text/xml" || ends_with("+xml")) return ".xml";
  if (type == "text/csv") return ".csv";
  if (type == "text/plain") return ".txt";
  return ".bin";
}

OutboundWriter::Result OutboundWriter::write(const Delivery& delivery, const std::string& seal_header) {
  // An id is unique per sending client only: a second client's message with the same id gets its own name.
  std::string stem = stem_for(delivery.message_id);
  const std::string ext = extension_for(delivery.content_type);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code ec;
    if (fs::symlink_status(dir_ / (stem + ext), ec).type() == fs::file_type::not_found) break;
    const std::string client = receipt_client(dir_ / (stem + ".receipt.json"));
    if (client == delivery.client) return Result::repeated;
    if (attempt == 1) return Result::repeated;  // both names taken by this id: it was written
    stem += "~" + bus::sha256_hex(delivery.client).substr(0, 12);
  }
  nlohmann::ordered_json receipt = {
      {"message_id", delivery.message_id},     {"client", delivery.client},
      {"service", delivery.service},           {"conversation_id", delivery.conversation_id},
      {"accepted_at", delivery.accepted_at},   {"payload_sha256", delivery.payload_sha256},
      {"content_type", delivery.content_type}, {"signer", delivery.signer}};
  auto seal = nlohmann::ordered_json::parse(seal_header, nullptr, false);
  receipt["signature"] = seal.is_discarded() ? nlohmann::ordered_json(seal_header) : seal;
  // The receipt first, the data file last: a legacy system that waits for NAME.ext finds its receipt there.
  // Killed in between, no 2xx was answered, so the node pushes again and both are (re)written.
  write_atomic(dir_, stem + ".receipt.json", receipt.dump(2) + "\n", true);
  try {
    write_atomic(dir_, stem + ext, delivery.body, false);
  } catch (const FileError& e) {
    if (e.error_number() == EEXIST) return Result::repeated;  // written meanwhile by the same push
    throw;
  }
  return Result::written;
}

}  // namespace lgsp::adapters::filedrop
