#include "lgsp/portal/catalogue.hpp"

#include "lgsp/portal/dvcqg_client.hpp"
#include "lgsp/portal/office_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>

namespace lgsp::portal {
using nlohmann::json;

namespace {

std::string str(const json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  if (it == o.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

const json& first(const json& o, const char* key) {
  static const json kEmpty = json::object();
  if (!o.is_object()) return kEmpty;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array() || it->empty()) return kEmpty;
  return (*it)[0];
}

const json& list(const json& o, const char* key) {
  static const json kEmpty = json::array();
  if (!o.is_object()) return kEmpty;
  auto it = o.find(key);
  return it != o.end() && it->is_array() ? *it : kEmpty;
}

std::string today() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::hours(7));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// "5", "5 ngày", "0,5" -> days; nullopt when no number.
std::optional<double> days_of(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)))
      digits += c;
    else if ((c == ',' || c == '.') && !digits.empty() && digits.find('.') == std::string::npos)
      digits += '.';
    else if (!digits.empty())
      break;
  }
  if (digits.empty() || digits.back() == '.') return std::nullopt;
  return std::stod(digits);
}

// What must match for a procedure to be "unchanged" (the office adds its own fields).
json essence(const json& p) {
  json docs = json::array();
  for (const auto& d : list(p, "documents")) docs.push_back(str(d, "code") + "|" + str(d, "name"));
  return {{"name", p.value("name", "")},
          {"channels", p.value("channels", json::array())},
          {"documents", docs},
          {"processing_days", p.value("processing_days", 0.0)},
          {"steps", list(p, "steps").size()},
          {"result_name", p.value("result_name", "")},
          {"legal_basis", p.value("legal_basis", "")}};
}

}  // namespace

std::optional<json> map_procedure(const json& n, const std::string& national_code, const PortalConfig& config,
                                  std::string& why, bool& skip) {
  skip = false;
  const auto& cat = config.catalogue;
  std::string status = str(n, "TRANGTHAI");
  if (status.empty()) status = "1";  // the list call may omit it: a listed procedure is in force
  auto st = cat.statuses.find(status);
  if (st == cat.statuses.end()) {
    why = "TRANGTHAI '" + status.substr(0, 16) + "' is not in [catalogue] statuses";
    return std::nullopt;
  }
  if (st->second == "skip") {
    skip = true;
    return std::nullopt;
  }
  auto code_it = cat.codes.find(national_code);
  std::string code = code_it != cat.codes.end() ? code_it->second : national_code;
  std::string name = str(n, "TENTTHC");
  if (name.empty()) {
    why = "no TENTTHC";
    return std::nullopt;
  }
  const json& field = first(n, "LINHVUCTHUCHIEN");
  json channels = json::array();
  std::optional<double> days;
  for (const auto& way : list(n, "CACHTHUCTHUCHIEN")) {
    auto ch = cat.channels.find(str(way, "KENH"));
    if (ch == cat.channels.end()) {
      why = "KENH '" + str(way, "KENH").substr(0, 16) + "' is not in [catalogue] channels";
      return std::nullopt;
    }
    int c = std::stoi(ch->second);
    if (std::find(channels.begin(), channels.end(), json(c)) == channels.end()) channels.push_back(c);
    if (!days) days = days_of(str(first(way, "THOIGIAN"), "THOIGIANGIAIQUYET"));
  }
  if (channels.empty()) {
    why = "no CACHTHUCTHUCHIEN";
    return std::nullopt;
  }
  std::sort(channels.begin(), channels.end());
  if (!days) {
    why = "no THOIGIANGIAIQUYET in CACHTHUCTHUCHIEN";
    return std::nullopt;
  }
  json documents = json::array();
  int i = 0;
  for (const auto& d : list(first(n, "THANHPHANHOSO"), "GIAYTO")) {
    ++i;
    std::string dcode = str(d, "MAGIAYTO");
    if (dcode.empty()) dcode = "GT" + std::to_string(i);
    std::string dname = str(d, "TENGIAYTO");
    if (dname.empty()) continue;
    documents.push_back({{"code", dcode}, {"name", dname}, {"mandatory", true}, {"form", str(d, "TENMAUDON")}});
  }
  json fees = json::array();
  for (const auto& way : list(n, "CACHTHUCTHUCHIEN"))
    for (const auto& t : list(way, "THOIGIAN"))
      for (const auto& f : list(t, "PHILEPHI")) {
        auto amount = days_of(str(f, "SOTIEN"));
        std::string fname = str(f, "MOTA").empty() ? "Phí, lệ phí" : str(f, "MOTA");
        json fee = {{"name", fname.substr(0, 500)}, {"amount", amount ? std::llround(*amount) : 0}};
        if (std::find(fees.begin(), fees.end(), fee) == fees.end()) fees.push_back(fee);
      }
  std::vector<std::string> step_names;
  for (const auto& s : list(first(n, "TRINHTUTHUCHIEN"), "TRINHTU"))
    if (!str(s, "TENTRINHTU").empty()) step_names.push_back(str(s, "TENTRINHTU"));
  if (step_names.empty()) {
    why = "no TRINHTUTHUCHIEN[0].TRINHTU";
    return std::nullopt;
  }
  std::string unit_name = str(first(n, "COQUANTHUCHIEN"), "TENDONVI");
  if (unit_name.empty()) unit_name = config.portal.madonvi;
  json steps = json::array();
  // The national record has no per-step time: the days are shared evenly (the last step takes the rest, so
  // they add up exactly); the desk receives, the leader decides, specialists do what is between.
  double share = std::floor(*days / static_cast<double>(step_names.size()) * 1000) / 1000, used = 0;
  for (std::size_t k = 0; k < step_names.size(); ++k) {
    bool last = k + 1 == step_names.size();
    double d = last ? *days - used : share;
    used += d;
    std::string role = k == 0 ? "receiving" : last ? "leader" : "processing";
    steps.push_back({{"index", k + 1},
                     {"name", step_names[k].substr(0, 1000)},
                     {"unit", config.portal.madonvi},
                     {"unit_name", unit_name},
                     {"role", role},
                     {"working_days", std::round(d * 1000) / 1000}});
  }
  std::string result = str(first(n, "KETQUATHUCHIEN"), "TENKETQUA");
  if (result.empty()) {
    why = "no KETQUATHUCHIEN";
    return std::nullopt;
  }
  std::string basis;
  for (const auto& b : list(n, "CANCUPHAPLY")) {
    std::string one = str(b, "SOVANBAN");
    if (!str(b, "TENVANBAN").empty()) one += (one.empty() ? "" : " ") + str(b, "TENVANBAN");
    if (!one.empty()) basis += (basis.empty() ? "" : "; ") + one;
  }
  if (basis.empty()) {
    why = "no CANCUPHAPLY";
    return std::nullopt;
  }
  bool online = std::find(channels.begin(), channels.end(), json(2)) != channels.end();
  return json{{"code", code},
              {"version", 1},
              {"effective_from", cat.effective_from.empty() ? today() : cat.effective_from},
              {"name", name},
              {"field_code", str(field, "MALINHVUC").empty() ? "KHAC" : str(field, "MALINHVUC")},
              {"field_name", str(field, "TENLINHVUC").empty() ? "Khác" : str(field, "TENLINHVUC")},
              {"level", cat.level},
              {"channels", channels},
              {"online_level", online ? "partial" : "none"},
              {"processing_days", *days},
              {"documents", documents},
              {"fees", fees},
              {"steps", steps},
              {"result_sealed", true},
              {"result_name", result},
              {"legal_basis", basis}};
}

json import_catalogue(const PortalConfig& config) {
  DvcqgClient portal(config.portal);
  OfficeClient office(config.office);
  json summary = {{"listed", 0},  {"imported", 0}, {"unchanged", 0},
                  {"skipped", 0}, {"failed", 0},   {"errors", json::array()}};
  auto note = [&](const std::string& code, const std::string& why) {
    summary["failed"] = summary["failed"].get<int>() + 1;
    if (summary["errors"].size() < 100) summary["errors"].push_back({{"code", code.substr(0, 64)}, {"error", why}});
  };
  auto listed = portal.call("LayDanhSachTTHC", json::object(), true);
  if (listed.kind != PortalAnswer::Kind::success) throw std::runtime_error("LayDanhSachTTHC: " + listed.reason);
  auto result = listed.body.find("result");
  if (result == listed.body.end() || !result->is_array())
    throw std::runtime_error("LayDanhSachTTHC: the answer has no result[]");
  std::map<std::string, json> have;
  for (auto& p : office.procedures()) have[p.value("code", "")] = p;
  for (const auto& item : *result) {
    summary["listed"] = summary["listed"].get<int>() + 1;
    std::string ncode = str(item, "MATTHC");
    if (ncode.empty()) {
      note("", "a listed procedure has no MATTHC");
      continue;
    }
    auto detail = portal.call("LayThuTuc", {{"maTTHC", ncode}}, true);
    if (detail.kind != PortalAnswer::Kind::success) {
      note(ncode, "LayThuTuc: " + detail.reason);
      continue;
    }
    const json& n = first(detail.body, "result");
    if (n.empty()) {
      note(ncode, "LayThuTuc: the answer has no result[0]");
      continue;
    }
    std::string why;
    bool skip = false;
    auto mapped = map_procedure(n, ncode, config, why, skip);
    if (skip) {
      summary["skipped"] = summary["skipped"].get<int>() + 1;
      continue;
    }
    if (!mapped) {
      note(ncode, why);
      continue;
    }
    auto existing = have.find((*mapped)["code"].get<std::string>());
    if (existing != have.end()) {
      if (essence(existing->second) == essence(*mapped)) {
        summary["unchanged"] = summary["unchanged"].get<int>() + 1;
        continue;
      }
      (*mapped)["version"] = existing->second.value("version", 0) + 1;
    }
    try {
      office.import_procedures({{"procedures", json::array({*mapped})}});
      summary["imported"] = summary["imported"].get<int>() + 1;
    } catch (const OfficeError& e) {
      note(ncode, std::string("office refused: ") + e.what());
    }
  }
  return summary;
}

}  // namespace lgsp::portal
