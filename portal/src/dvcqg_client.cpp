#include "lgsp/portal/dvcqg_client.hpp"

#include "lgsp/bus/outbound_client.hpp"

#include <algorithm>

namespace lgsp::portal {
using nlohmann::json;

namespace {

// Reasons end up in the state store, the log and the dead letters: one line, bounded.
std::string bounded(std::string s, std::size_t max = 500) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > max) s = s.substr(0, max) + " ...";
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// error_code comes as a number (0) or a string ("00") depending on the portal's version.
std::optional<std::string> code_text(const json& body) {
  auto it = body.find("error_code");
  if (it == body.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return std::nullopt;
}

}  // namespace

const char* kind_name(PortalAnswer::Kind k) {
  switch (k) {
    case PortalAnswer::Kind::success:
      return "success";
    case PortalAnswer::Kind::refused:
      return "refused";
    case PortalAnswer::Kind::unavailable:
      return "unavailable";
    case PortalAnswer::Kind::malformed:
      return "malformed";
  }
  return "unknown";
}

DvcqgClient::DvcqgClient(const PortalSettings& settings)
    : settings_(settings), http_(std::make_unique<bus::OutboundClient>(bus::OutboundTls{}, 1, 16 * 1024 * 1024)) {}

DvcqgClient::~DvcqgClient() = default;

PortalAnswer DvcqgClient::post(const std::string& path, const json& body) {
  bus::OutboundRequest req;
  req.method = "POST";
  req.url = settings_.url + path;
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}, {"Charset", "utf-8"}};
  if (!settings_.dstcode.empty()) req.headers.emplace_back("dstcode", settings_.dstcode);
  req.body = body.dump();
  req.timeout = settings_.timeout;
  auto res = http_->send_sync(std::move(req));
  PortalAnswer a;
  if (!res.ok()) {
    a.kind = PortalAnswer::Kind::unavailable;
    a.reason = bounded("no answer from the portal: " + res.error);
    return a;
  }
  if (res.status >= 500 || res.status == 429 || res.status == 408) {
    a.kind = PortalAnswer::Kind::unavailable;
    a.reason = bounded("portal answered HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 200));
    return a;
  }
  if (res.status != 200) {
    a.kind = PortalAnswer::Kind::malformed;
    a.reason = bounded("portal answered HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 200));
    return a;
  }
  json parsed = json::parse(res.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    a.kind = PortalAnswer::Kind::malformed;
    a.reason = bounded("portal answer is not a JSON object: " + res.body.substr(0, 200));
    return a;
  }
  return classify(parsed);
}

PortalAnswer DvcqgClient::classify(const json& body) const {
  PortalAnswer a;
  a.body = body;
  auto code = code_text(body);
  std::string message =
      body.contains("message") && body["message"].is_string() ? body["message"].get<std::string>() : std::string();
  if (!code) {
    a.kind = PortalAnswer::Kind::malformed;
    a.reason = bounded("portal answer has no error_code: " + body.dump().substr(0, 200));
    return a;
  }
  a.error_code = *code;
  if (contains(settings_.success_codes, *code)) {
    a.kind = PortalAnswer::Kind::success;
  } else if (contains(settings_.refusal_codes, *code)) {
    a.kind = PortalAnswer::Kind::refused;
    a.reason = bounded("error_code " + *code + ": " + message);
  } else if (contains(settings_.session_codes, *code)) {
    a.kind = PortalAnswer::Kind::unavailable;  // the caller logs in again
    a.reason = bounded("session: error_code " + *code + ": " + message);
  } else {
    a.kind = PortalAnswer::Kind::malformed;
    a.reason = bounded("unexpected error_code " + *code + ": " + message);
  }
  return a;
}

PortalAnswer DvcqgClient::login() {
  session_.clear();
  auto a = post(settings_.auth_path, {{"username", settings_.username}, {"password", settings_.password}});
  if (a.kind != PortalAnswer::Kind::success) {
    // A refused login is not the record's fault: the record waits, the reason says why.
    if (a.kind == PortalAnswer::Kind::refused) a.kind = PortalAnswer::Kind::unavailable;
    a.reason = "login: " + a.reason;
    return a;
  }
  auto it = a.body.find("session");
  if (it == a.body.end() || !it->is_string() || it->get<std::string>().empty() ||
      it->get<std::string>().size() > 4096) {
    a.kind = PortalAnswer::Kind::malformed;
    a.reason = "login: the answer carries no session";
    return a;
  }
  session_ = it->get<std::string>();
  ++logins_;
  return a;
}

PortalAnswer DvcqgClient::call(const std::string& service, const json& params, bool share) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (session_.empty()) {
      auto l = login();
      if (l.kind != PortalAnswer::Kind::success) return l;
    }
    json body = params;
    body["session"] = session_;
    body["madonvi"] = settings_.madonvi;
    body["service"] = service;
    auto a = post(share ? settings_.share_path : settings_.integration_path, body);
    if (!a.error_code.empty() && contains(settings_.session_codes, a.error_code)) {
      session_.clear();  // expired or revoked: log in again and repeat the call once
      if (attempt == 0) continue;
    }
    return a;
  }
  PortalAnswer a;
  a.kind = PortalAnswer::Kind::unavailable;
  a.reason = "the portal refused a fresh session";
  return a;
}

}  // namespace lgsp::portal
