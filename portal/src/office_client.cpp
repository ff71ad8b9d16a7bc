#include "lgsp/portal/office_client.hpp"

#include "lgsp/bus/outbound_client.hpp"

namespace lgsp::portal {
using nlohmann::json;

OfficeClient::OfficeClient(const OfficeSettings& settings)
    : settings_(settings), http_(std::make_unique<bus::OutboundClient>(bus::OutboundTls{}, 1, 64 * 1024 * 1024)) {}

OfficeClient::~OfficeClient() = default;

json OfficeClient::request(const std::string& method, const std::string& path, const std::string& body) {
  bus::OutboundRequest req;
  req.method = method;
  req.url = settings_.url + "/onestop/v1" + path;
  req.headers = {{"Authorization", "Bearer " + settings_.token}, {"Accept", "application/json"}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  req.timeout = std::chrono::seconds(60);
  auto res = http_->send_sync(std::move(req));
  if (!res.ok()) throw OfficeError("office " + settings_.url + ": " + res.error);
  json parsed = json::parse(res.body, nullptr, false);
  if (res.status != 200) {
    std::string code = parsed.is_object() ? parsed.value("code", "") : "";
    throw OfficeError("office answered " + std::to_string(res.status) + (code.empty() ? "" : " " + code) + ": " +
                      res.body.substr(0, 300));
  }
  if (parsed.is_discarded()) throw OfficeError("office answer is not JSON");
  return parsed;
}

std::vector<OutboxRecord> OfficeClient::outbox(std::int64_t after_id, int limit) {
  std::string path = "/outbox?after=" + std::to_string(after_id) + "&limit=" + std::to_string(limit);
  if (!settings_.unit.empty()) path += "&unit=" + settings_.unit;
  auto body = request("GET", path, "");
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array())
    throw OfficeError("office outbox answer has no records[]");
  std::vector<OutboxRecord> out;
  for (const auto& r : body["records"]) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer() || !r.contains("record") ||
        !r["record"].is_object())
      throw OfficeError("office outbox record without id or record");
    out.push_back(OutboxRecord{r["id"].get<std::int64_t>(), r.value("at", ""), r.value("dossier_code", ""),
                               r.value("service", ""), r["record"]});
  }
  return out;
}

std::vector<json> OfficeClient::procedures() {
  auto body = request("GET", "/procedures", "");
  if (!body.is_object() || !body.contains("procedures") || !body["procedures"].is_array())
    throw OfficeError("office procedures answer has no procedures[]");
  return body["procedures"].get<std::vector<json>>();
}

json OfficeClient::import_procedures(const json& catalogue) { return request("POST", "/procedures", catalogue.dump()); }

}  // namespace lgsp::portal
