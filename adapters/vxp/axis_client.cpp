#include "axis_client.hpp"

#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/contracts/safe_json.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace lgsp::adapters::vxp {

// An answer read: what became of the operation, and its JSON when the axis said OK.
struct Envelope {
  AxisOutcome outcome;
  nlohmann::json body;
};

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr std::size_t kMaxDetail = 500;
constexpr std::size_t kMaxListItems = 10000;
constexpr std::size_t kMaxField = 1024;
// What the SDK says it is (VnptService: user_Agent, version); the axis may look at them.
constexpr const char* kUserAgent = "JAVASDKAgent/1.0.0 XRoad/VPCP";
constexpr const char* kVersion = "3.0.201608";

// An answer's JSON read with bounds (depth, members, string sizes): an axis answer is a stranger's text. A
// value that is not JSON reads as null.
json parse_answer(const std::string& body) {
  contracts::ParseLimits limits;
  limits.max_document_bytes = std::max<std::size_t>(body.size(), 1);
  limits.max_depth = 16;
  limits.max_members = 200000;
  limits.max_text_bytes = std::max<std::size_t>(body.size(), 1);
  std::vector<contracts::ValidationError> errors;
  auto j = contracts::parse_json(body, limits, errors);
  return j ? std::move(*j) : json();
}

std::string one_line(std::string s) {
  if (s.size() > kMaxDetail) s = s.substr(0, kMaxDetail) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return s;
}

std::string hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

// The SDK's hash-file header: each byte of the SHA-256 by Integer.toHexString, so without its leading zero
// ("0a" is written "a"). Sent as the SDK sends it; the axis compares it with its own digest written the same way.
std::string sdk_hash_file(const std::string& body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  std::string out;
  char buf[3];
  for (unsigned char b : digest) {
    std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(b));
    out += buf;
  }
  return out;
}

// The SDK's timestamp: ddMMyyyy'T'HHmmss+SSSS in the axis's zone (Asia/Ho_Chi_Minh, UTC+7, no daylight saving).
std::string sdk_timestamp() {
  const auto now = std::chrono::system_clock::now() + std::chrono::hours(7);
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d%02d%04dT%02d%02d%02d+%04d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool has_control(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// A string (or integer) member, or nullopt when absent; `wrong` is set when present but neither.
std::optional<std::string> text(const json& object, const char* key, bool& wrong) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return it->dump();  // Gson's getAsString, which the SDK uses, takes numbers too
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxField) {
    wrong = true;
    return std::nullopt;
  }
  return it->get<std::string>();
}

// A field the connector only shows or logs: a string, or a number written as text (Gson's getAsString takes both);
// anything else is left out rather than stopping the whole answer.
std::string lenient(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return one_line(it->get<std::string>());
  if (it->is_number()) return it->dump();
  return "";
}

// The answer's envelope: the HTTP status and {"status", "ErrorCode", "ErrorDesc"}; `body` kept when OK.
Envelope read_envelope(unsigned http_status, const std::string& body) {
  Envelope a;
  a.outcome.http_status = http_status;
  if (http_status >= 500 || http_status == 429 || http_status == 408 || http_status == 401 || http_status == 403) {
    a.outcome.kind = AxisOutcome::Kind::unavailable;
    auto j = parse_answer(body);
    if (j.is_object() && j.contains("ErrorDesc") && j["ErrorDesc"].is_string())
      a.outcome.detail = one_line(j["ErrorDesc"].get<std::string>());
    if (j.is_object() && j.contains("ErrorCode") && j["ErrorCode"].is_string())
      a.outcome.error_code = one_line(j["ErrorCode"].get<std::string>());
    if (http_status == 401 || http_status == 403)
      a.outcome.detail = "the axis refused this system's credentials (systemid, secret)" +
                         (a.outcome.detail.empty() ? "" : ": " + a.outcome.detail);
    return a;
  }
  auto j = parse_answer(body);
  a.outcome.kind = AxisOutcome::Kind::malformed;
  if (!j.is_object()) {
    a.outcome.detail = "the answer is not a JSON object: " + one_line(body.substr(0, 120));
    return a;
  }
  bool wrong = false;
  const auto status = text(j, "status", wrong);
  const auto code = text(j, "ErrorCode", wrong);
  const auto desc = text(j, "ErrorDesc", wrong);
  if (wrong || !status || !code) {
    a.outcome.detail = "the answer lacks a string status or ErrorCode";
    return a;
  }
  a.outcome.error_code = one_line(*code);
  a.outcome.detail = one_line(desc.value_or(""));
  if (*status == "OK" && *code == "0") {
    a.outcome.kind = AxisOutcome::Kind::ok;
    a.outcome.error_code.clear();
    a.body = std::move(j);
  } else if (*status == "FAIL" || *code != "0") {
    a.outcome.kind = AxisOutcome::Kind::refused;
  } else {
    a.outcome.detail = "status '" + one_line(*status) + "' is neither OK nor FAIL";
  }
  return a;
}

}  // namespace

std::string AxisOutcome::describe() const {
  std::string out;
  switch (kind) {
    case Kind::ok:
      out = "OK";
      break;
    case Kind::refused:
      out = "refused by the axis";
      break;
    case Kind::unavailable:
      out = "axis unavailable";
      break;
    case Kind::malformed:
      out = "axis answer not as the API says";
      break;
  }
  if (http_status) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!error_code.empty()) out += " ErrorCode " + error_code;
  if (!detail.empty()) out += ": " + detail;
  return out;
}

struct AxisClient::Impl {
  bus::OutboundClient client;
  explicit Impl(const AxisSettings& s)
      : client(bus::OutboundTls{s.ca, {}, {}}, 1, 4 * static_cast<std::uint64_t>(s.max_document_bytes) / 3 + 65536) {}
};

AxisClient::AxisClient(AxisSettings settings)
    : settings_(std::move(settings)), impl_(std::make_unique<Impl>(settings_)) {}
AxisClient::~AxisClient() = default;

std::string AxisClient::sign(const std::string& secret, const std::string& sign_header) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(sign_header.data()), sign_header.size(), mac, &size))
    throw std::runtime_error("HMAC-SHA256 failed");
  return hex(mac, size);
}

bool AxisClient::is_doc_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':') return false;
  return true;
}

Envelope AxisClient::post(const std::string& operation, std::vector<std::pair<std::string, std::string>> parameters,
                          const std::string& content_type, std::string body) {
  Envelope a;
  // The SDK signs every header it sends: Content-Type, systemid, timestamp and the operation's parameters.
  std::vector<std::pair<std::string, std::string>> signed_headers = {
      {"Content-Type", content_type}, {"systemid", settings_.system_id}, {"timestamp", sdk_timestamp()}};
  for (auto& p : parameters) signed_headers.push_back(std::move(p));
  ordered_json sign_header = ordered_json::object();
  std::string keys;
  bus::OutboundRequest request;
  request.method = "POST";
  std::string base = settings_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/" + operation;
  request.timeout = settings_.timeout;
  request.headers.emplace_back("Content-Type", content_type);
  for (const auto& [name, value] : signed_headers) {
    if (has_control(value)) {
      a.outcome = {AxisOutcome::Kind::refused, 0, "", "a parameter (" + name + ") has a control character"};
      return a;
    }
    sign_header["XroadVnpt-" + name] = value;
    request.headers.emplace_back("XroadVnpt-" + name, value);
    keys += (keys.empty() ? "" : ";") + name;
  }
  const std::string sign_text = sign_header.dump();
  request.headers.emplace_back("XroadVnpt-sign-header-key", keys);
  request.headers.emplace_back("XroadVnpt-sign-header", sign_text);
  request.headers.emplace_back("XroadVnpt-hash-header", sign(settings_.secret, sign_text));
  request.headers.emplace_back("User-Agent", kUserAgent);
  request.headers.emplace_back("XroadVnpt-version", kVersion);
  request.body = std::move(body);

  auto r = impl_->client.send_sync(std::move(request));
  if (!r.ok()) {
    a.outcome = {AxisOutcome::Kind::unavailable, 0, "", one_line(r.error.empty() ? "no answer" : r.error)};
    return a;
  }
  return read_envelope(r.status, r.body);
}

namespace {

AxisOutcome malformed(const Envelope& a, std::string why) {
  return {AxisOutcome::Kind::malformed, a.outcome.http_status, "", std::move(why)};
}

AxisOutcome read_received(const Envelope& a, std::string_view message_type, AxisClient::Reading& out) {
  if (!a.outcome.ok()) return a.outcome;
  auto data = a.body.find("data");
  if (data == a.body.end() || data->is_null()) return a.outcome;  // nothing waiting
  if (!data->is_array() || data->size() > kMaxListItems)
    return malformed(a, "getReceivedEdocList: data is not an array of at most 10000 entries");
  // An entry without a usable docId is refused on its own (reported), so one bad entry never stops the others.
  for (const auto& item : *data) {
    if (!item.is_object()) {
      out.rejected.push_back("getReceivedEdocList: an entry is not an object");
      continue;
    }
    ReceivedEdoc e;
    e.doc_id = lenient(item, "docId");
    if (!AxisClient::is_doc_id(e.doc_id)) {
      out.rejected.push_back("getReceivedEdocList: an entry's docId is missing or not an id: '" + e.doc_id + "'");
      continue;
    }
    e.message_type = lenient(item, "messageType");
    if (e.message_type.empty()) e.message_type = std::string(message_type);
    e.from = lenient(item, "from");
    e.to = lenient(item, "to");
    e.status = lenient(item, "status");
    e.created_time = lenient(item, "created_time");
    out.received.push_back(std::move(e));
  }
  return a.outcome;
}

AxisOutcome read_edoc(const Envelope& a, std::size_t max_document_bytes, AxisClient::Reading& out) {
  if (!a.outcome.ok()) return a.outcome;
  auto data = a.body.find("data");
  if (data == a.body.end() || !data->is_string()) return malformed(a, "getEdoc: data is missing or not a string");
  if (data->get_ref<const std::string&>().size() > 4 * (max_document_bytes / 3) + 4)
    return malformed(a, "getEdoc: the package is larger than max_document_bytes");
  auto bytes = contracts::base64_decode(data->get_ref<const std::string&>());
  if (!bytes) return malformed(a, "getEdoc: data is not base64");
  if (bytes->empty()) return malformed(a, "getEdoc: data is empty");
  if (bytes->size() > max_document_bytes) return malformed(a, "getEdoc: the package is larger than max_document_bytes");
  out.edxml = std::move(*bytes);
  return a.outcome;
}

AxisOutcome read_sent(const Envelope& a, AxisClient::Reading& out) {
  if (!a.outcome.ok()) return a.outcome;
  bool wrong = false;
  auto id = text(a.body, "DocId", wrong);
  if (wrong || !id || !AxisClient::is_doc_id(*id)) return malformed(a, "sendEdoc: DocId is missing or not an id");
  out.doc_id = *id;
  return a.outcome;
}

AxisOutcome read_agencies(const Envelope& a, AxisClient::Reading& out) {
  if (!a.outcome.ok()) return a.outcome;
  auto data = a.body.find("data");
  if (data == a.body.end() || !data->is_array() || data->size() > 200000)
    return malformed(a, "getAgenciesList: data is not an array of at most 200000 entries");
  for (const auto& item : *data) {
    if (!item.is_object()) {
      out.agencies.clear();
      return malformed(a, "getAgenciesList: an entry is not an object");
    }
    Agency g{lenient(item, "id"), lenient(item, "code"), lenient(item, "name"), lenient(item, "pid"),
             lenient(item, "mail")};
    if (g.code.empty()) {
      out.agencies.clear();
      return malformed(a, "getAgenciesList: an entry has no code");
    }
    out.agencies.push_back(std::move(g));
  }
  return a.outcome;
}

}  // namespace

AxisOutcome AxisClient::read_answer(std::string_view operation, unsigned http_status, const std::string& body,
                                    std::size_t max_document_bytes, Reading& out) {
  out = Reading{};
  try {
    const auto a = read_envelope(http_status, body);
    if (operation == "getReceivedEdocList") return read_received(a, "edoc", out);
    if (operation == "getEdoc") return read_edoc(a, max_document_bytes, out);
    if (operation == "sendEdoc") return read_sent(a, out);
    if (operation == "getAgenciesList") return read_agencies(a, out);
    return a.outcome;
  } catch (const std::exception& e) {  // not expected (every access is checked): never let it out
    out = Reading{};
    return {AxisOutcome::Kind::malformed, http_status, "", std::string("unreadable answer: ") + one_line(e.what())};
  }
}

AxisOutcome AxisClient::list_received(std::string_view message_type, std::vector<ReceivedEdoc>& out,
                                      std::vector<std::string>& rejected) {
  Reading reading;
  const auto outcome =
      read_received(post("getReceivedEdocList", {{"servicetype", "eDoc"}, {"messagetype", std::string(message_type)}},
                         "application/json", ""),
                    message_type, reading);
  out = std::move(reading.received);
  rejected = std::move(reading.rejected);
  if (!outcome.ok()) out.clear();
  return outcome;
}

AxisOutcome AxisClient::get_edoc(const std::string& doc_id, std::string& edxml) {
  Reading reading;
  const auto outcome =
      read_edoc(post("getEdoc", {{"docId", doc_id}}, "application/json", ""), settings_.max_document_bytes, reading);
  edxml = std::move(reading.edxml);
  return outcome;
}

AxisOutcome AxisClient::send_edoc(const std::string& from, const std::vector<std::string>& to,
                                  std::string_view message_type, const std::string& edxml, std::string& doc_id) {
  // The SDK writes `to` as the JSON text of its array (toString of the element), the rest as plain strings.
  Reading reading;
  const auto outcome = read_sent(post("sendEdoc",
                                      {{"from", from},
                                       {"to", json(to).dump()},
                                       {"servicetype", "eDoc"},
                                       {"messagetype", std::string(message_type)},
                                       {"hash-file", sdk_hash_file(edxml)}},
                                      "application/octet-stream", edxml),
                                 reading);
  doc_id = std::move(reading.doc_id);
  return outcome;
}

AxisOutcome AxisClient::update_status(const std::string& doc_id, std::string_view status) {
  return post("updateStatus", {{"docId", doc_id}, {"status", std::string(status)}}, "application/json", "").outcome;
}

AxisOutcome AxisClient::agencies(std::vector<Agency>& out) {
  Reading reading;
  const auto outcome = read_agencies(post("getAgenciesList", {}, "application/json", ""), reading);
  out = std::move(reading.agencies);
  return outcome;
}

}  // namespace lgsp::adapters::vxp
