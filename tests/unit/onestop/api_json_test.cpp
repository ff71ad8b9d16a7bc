// The /onestop/v1 JSON mapping (api_json.hpp): the keys each view has in each state, and what a request of the
// wrong JSON shape is refused with. The integration tests drive the same shapes over HTTP; these pin them where
// they are made.
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/errors.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace lgsp::onestop;
using nlohmann::json;

namespace {

TimePoint at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

json refusal_errors(const std::function<void()>& f) {
  try {
    f();
  } catch (const OnestopError& e) {
    EXPECT_EQ(std::string(e.code().code), "LGSP-400-ONESTOP-INPUT") << e.what();
    return e.errors();
  }
  ADD_FAILURE() << "not refused";
  return nullptr;
}

Dossier a_dossier() {
  Dossier d;
  d.code = "000.00.13.H29-261123-0001";
  d.agency = d.origin_agency = "000.00.13.H29";
  d.procedure_code = "1.001193";
  d.procedure_version = 1;
  d.procedure_name = "Đăng ký khai sinh";
  d.status = DossierStatus::kProcessing;
  d.received_at = at("2026-11-23T08:00:00+07:00");
  d.due_at = d.original_due_at = at("2026-11-23T13:30:00+07:00");
  d.allowed_actions = {"request_supplement"};
  d.overdue = true;
  return d;
}

TEST(ApiJson, a_dossier_in_progress_says_overdue_and_a_finished_one_its_timeliness) {
  auto d = a_dossier();
  json open = to_json(d);
  EXPECT_EQ(keys(open),
            (std::set<std::string>{
                "code",         "agency",       "origin_agency", "procedure",  "customer_code",   "applicant",
                "channel",      "status",       "received_at",   "due_at",     "original_due_at", "finished_at",
                "delivered_at", "current_step", "current_unit",  "extensions", "allowed_actions", "overdue",
                "steps",        "documents",    "history"}));
  EXPECT_TRUE(open["finished_at"].is_null());
  EXPECT_EQ(open["status"], json({{"code", 4},
                                  {"name", std::string(name_en(DossierStatus::kProcessing))},
                                  {"name_vi", std::string(name_vi(DossierStatus::kProcessing))}}));
  EXPECT_EQ(open["due_at"], "2026-11-23T13:30:00+07:00");
  EXPECT_EQ(open["procedure"], json({{"code", "1.001193"}, {"version", 1}, {"name", "Đăng ký khai sinh"}}));
  d.finished_at = at("2026-11-23T12:00:00+07:00");
  d.timeliness = Timeliness::kEarly;
  json done = to_json(d);
  EXPECT_FALSE(done.contains("overdue"));
  EXPECT_EQ(done["timeliness"], "early");
  EXPECT_EQ(done["finished_at"], "2026-11-23T12:00:00+07:00");
}

TEST(ApiJson, a_step_shows_overdue_while_started_and_its_record_once_finished) {
  DossierStep s;
  s.index = 2;
  s.due_at = at("2026-11-23T12:00:00+07:00");
  EXPECT_EQ(keys(to_json(s)), (std::set<std::string>{"index", "name", "unit", "unit_name", "due_at"}));
  s.started_at = at("2026-11-23T08:00:00+07:00");
  s.overdue = true;
  EXPECT_EQ(to_json(s)["overdue"], true);
  s.finished_at = at("2026-11-23T09:00:00+07:00");
  s.result = "early";
  s.handed_by = "Lan";
  json finished = to_json(s);
  EXPECT_FALSE(finished.contains("overdue"));
  EXPECT_EQ(finished["timeliness"], "early");
  EXPECT_EQ(finished["handed_by"], "Lan");
}

TEST(ApiJson, a_document_lists_only_the_signature_fields_it_has) {
  DossierDocument doc;
  doc.seq = 1;
  doc.kind = "result";
  doc.added_at = at("2026-11-23T08:00:00+07:00");
  EXPECT_EQ(keys(to_json(doc)),
            (std::set<std::string>{"seq", "kind", "code", "name", "sha256", "media_type", "size", "added_at"}));
  doc.signature_format = "cades";
  doc.url = "";
  json signed_doc = to_json(doc);
  EXPECT_EQ(signed_doc["signature_format"], "cades");
  EXPECT_EQ(signed_doc["url"], "");
  EXPECT_FALSE(signed_doc.contains("seal_sha256"));
}

TEST(ApiJson, each_bus_outcome_has_its_own_keys) {
  EXPECT_EQ(to_json(ReceiveOutcome{.duplicate = true}), json({{"duplicate", true}}));
  EXPECT_EQ(to_json(ReceiveOutcome{.dossier_code = "D", .created = false}),
            json({{"dossier_code", "D"}, {"created", false}}));
  EXPECT_EQ(to_json(ReceiveOutcome{.dossier_code = "D", .recorded = true}),
            json({{"dossier_code", "D"}, {"recorded", true}}));
  EXPECT_EQ(to_json(ReceiveOutcome{.dossier_code = "D", .step = 2, .outcome = "approved"}),
            json({{"dossier_code", "D"}, {"step", 2}, {"outcome", "approved"}}));
}

TEST(ApiJson, a_report_without_resolved_dossiers_has_no_on_time_rate_and_names_no_unit_for_all) {
  Report r{at("2026-11-01T00:00:00+07:00"), at("2026-12-01T00:00:00+07:00"), "", {ReportLine{.unit = "U"}}};
  json j = to_json(r);
  EXPECT_TRUE(j["unit"].is_null());
  EXPECT_TRUE(j["lines"][0]["on_time_rate"].is_null());
  EXPECT_EQ(j["lines"][0]["resolved"], 0);
}

TEST(ApiJson, an_identity_of_the_wrong_shape_is_refused_with_every_problem_in_field_order) {
  auto errors = refusal_errors([] {
    citizen_identity_from_json({{"full_name", 3}, {"zz", 1}, {"id_number", "12"}, {"gender", "x"}});
  });
  ASSERT_TRUE(errors.is_array());
  ASSERT_GE(errors.size(), 4u);
  EXPECT_EQ(errors[0], json({{"path", "/zz"}, {"message", "unknown field"}}));
  EXPECT_EQ(errors[1], json({{"path", "/full_name"}, {"message", "must be a non-empty string"}}));
  EXPECT_EQ(errors[2]["path"], "/id_number") << "the office's rule, in its field's place";
  EXPECT_EQ(errors[3], json({{"path", "/date_of_birth"}, {"message", "required"}}));
  EXPECT_EQ(refusal_errors([] { citizen_identity_from_json(json::array()); }), json::array());
}

TEST(ApiJson, request_fields_of_the_wrong_type_are_refused_and_unreadable_ones_carried_to_the_office) {
  EXPECT_EQ(refusal_errors([] { filing_request_from_json({{"procedure_code", 5}}); })[0]["path"], "/procedure_code");
  EXPECT_EQ(refusal_errors([] { action_input_from_json({{"comment", 5}}); })[0]["path"], "/comment");
  auto filing = filing_request_from_json({{"procedure_code", "1.001193"},
                                          {"received_at", "yesterday"},
                                          {"documents", {5, {{"code", "TK"}, {"sha256", "a"}}}}});
  EXPECT_TRUE(filing.received_at_unreadable) << "the office refuses it after its role check";
  ASSERT_EQ(filing.documents.size(), 2u);
  EXPECT_TRUE(filing.documents[0].malformed);
  EXPECT_EQ(filing.documents[1].code, "TK");
  auto action = action_input_from_json({{"items", {"a", {{"name", "b"}, {"reason", "r"}}, 7}}, {"documents", 5}});
  EXPECT_EQ(action.items, (std::vector<std::string>{"a", "b: r"}));
  EXPECT_EQ(action.documents_problem, "documents must be an array") << "only an action that reads them refuses";
  auto extension = extension_request_from_json({{"reason", "x"}, {"new_due_at", "soon"}});
  EXPECT_TRUE(extension.new_due_at_unreadable);
}

}  // namespace
