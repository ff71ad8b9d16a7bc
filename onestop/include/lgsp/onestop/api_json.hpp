// The /onestop/v1 API's JSON, mapped to and from the office's typed values (records.hpp): the one place that
// knows the shapes docs/onestop.md describes. Readers (from_json) refuse a value of the wrong JSON type with the
// office's input error (400 LGSP-400-ONESTOP-INPUT) and field errors; the rules on the values themselves are the
// office's (office.hpp), checked once there.
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/records.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace lgsp::onestop {

// --- views (to JSON) ---------------------------------------------------------------------------------------------
// {"code": 2, "name": "Accepted", "name_vi": "Được tiếp nhận"}
nlohmann::json status_json(DossierStatus s);
nlohmann::json to_json(const DossierDocument& d);
nlohmann::json to_json(const HistoryEntry& h);
nlohmann::json to_json(const DossierStep& s);
nlohmann::json to_json(const Dossier& d);
nlohmann::json to_json(const DossierSummary& d);
nlohmann::json to_json(const LookupView& v);
nlohmann::json to_json(const ResultFiles& r);
nlohmann::json to_json(const RegisterRow& r);
nlohmann::json to_json(const Report& r);
nlohmann::json to_json(const Profile& p);
nlohmann::json to_json(const UserAccount& u);
nlohmann::json to_json(const ImportSummary& s);
nlohmann::json to_json(const PortalRecord& r);
nlohmann::json to_json(const BusOutboxEntry& e);
nlohmann::json to_json(const ReceiveOutcome& o);
// The forms' data: the dossier, its procedure's rules and the issuing office.
nlohmann::json to_json(const FormData& f, const AgencyConfig& office);

// A JSON array of every item, in order.
template <typename T>
nlohmann::json to_json_array(const std::vector<T>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

// --- requests (from JSON) ----------------------------------------------------------------------------------------
// POST /dossiers: {procedure_code, customer_code, channel, documents: [{code, sha256, name?}], note?, received_at?}
FilingRequest filing_request_from_json(const nlohmann::json& j);
// POST /dossiers/{code}/actions/{action}: {comment?, reasons?, items?, reason?, amount?, documents?}
ActionInput action_input_from_json(const nlohmann::json& j);
// POST /dossiers/{code}/handover: {comment?}
HandOverInput hand_over_input_from_json(const nlohmann::json& j);
// POST /dossiers/{code}/extend: {reason, new_due_at? | extra_working_days?}
ExtensionRequest extension_request_from_json(const nlohmann::json& j);
// POST /profiles: the identity fields, each a string; unknown fields refused.
CitizenIdentity citizen_identity_from_json(const nlohmann::json& j);
// POST /profiles/{customer_code}/documents: {code, name, sha256}
ProfileDocument profile_document_from_json(const nlohmann::json& j);

}  // namespace lgsp::onestop
