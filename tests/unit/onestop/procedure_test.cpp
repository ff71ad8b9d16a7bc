#include "lgsp/onestop/procedure.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using namespace lgsp::onestop;
using nlohmann::json;

namespace {

json load_sample_file() {
  std::ifstream in(LGSP_SOURCE_DIR "/onestop/samples/procedures.json");
  EXPECT_TRUE(in) << "cannot open the sample catalogue";
  return json::parse(in);
}

const Procedure* find(const std::vector<Procedure>& catalogue, const std::string& code) {
  for (const auto& p : catalogue)
    if (p.code == code) return &p;
  return nullptr;
}

// A small valid procedure; each bad-input test breaks one thing in it.
json valid_procedure() {
  return json::parse(R"({
    "code": "1.001193", "version": 1, "effective_from": "2020-07-16",
    "name": "Thủ tục đăng ký khai sinh", "field_code": "HTCH", "field_name": "Hộ tịch", "level": "commune",
    "channels": [1, 2], "online_level": "full", "processing_days": 0.5, "cut_off": "15:00",
    "documents": [
      {"code": "TK", "name": "Tờ khai đăng ký khai sinh", "mandatory": true, "form": "Tờ khai", "originals": 1, "copies": 0},
      {"code": "GCS", "name": "Giấy chứng sinh", "mandatory": true, "form": "", "originals": 1, "copies": 0}
    ],
    "fees": [{"name": "Lệ phí đăng ký khai sinh", "amount": 0, "note": "Miễn"}],
    "steps": [
      {"index": 1, "name": "Tiếp nhận", "unit": "000.00.13.H29", "unit_name": "UBND phường Bến Thành", "role": "receiving", "working_days": 0.125},
      {"index": 2, "name": "Xử lý", "unit": "000.00.13.H29", "unit_name": "UBND phường Bến Thành", "role": "processing", "working_days": 0.25},
      {"index": 3, "name": "Ký", "unit": "000.00.13.H29", "unit_name": "UBND phường Bến Thành", "role": "leader", "working_days": 0.125}
    ],
    "result_sealed": true, "result_name": "Giấy khai sinh", "legal_basis": "Luật Hộ tịch 2014"
  })");
}

// The message of the ProcedureError that `j` raises ("" when it loads).
std::string error_of(const json& j) {
  try {
    procedure_from_json(j);
  } catch (const ProcedureError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ProcedureCatalogue, sample_catalogue_holds_the_six_procedures) {
  auto catalogue = catalogue_from_json(load_sample_file());
  ASSERT_EQ(catalogue.size(), 6u);
  for (const char* code : {"1.001193", "1.000656", "1.001022", "2.000635", "1.001612"})
    EXPECT_TRUE(find(catalogue, code)) << code;
  const auto* birth = find(catalogue, "1.001193");
  ASSERT_TRUE(birth);
  EXPECT_EQ(birth->level, "commune");
  ASSERT_TRUE(birth->cut_off);
  EXPECT_EQ(*birth->cut_off, std::chrono::minutes(15 * 60));
  EXPECT_EQ(find(catalogue, "1.001612")->level, "district");
}

TEST(ProcedureCatalogue, inter_agency_sample_runs_steps_at_police_and_social_insurance) {
  auto catalogue = catalogue_from_json(load_sample_file());
  const Procedure* linked = nullptr;
  for (const auto& p : catalogue)
    if (p.name.find("Liên thông") != std::string::npos) linked = &p;
  ASSERT_TRUE(linked);
  const auto& home = linked->steps.front().unit;
  EXPECT_EQ(linked->steps.back().unit, home) << "the result goes back through the ward";
  auto others = linked->other_units(home);
  ASSERT_EQ(others.size(), 2u);
  EXPECT_NE(others[0], home);
  EXPECT_NE(others[1], home);
  // Every other procedure is done by one agency.
  for (const auto& p : catalogue) {
    if (&p != linked) {
      EXPECT_TRUE(p.other_units(p.steps.front().unit).empty()) << p.code;
    }
  }
}

TEST(ProcedureCatalogue, every_sample_round_trips_through_json) {
  auto catalogue = catalogue_from_json(load_sample_file());
  for (const auto& p : catalogue) {
    auto again = procedure_from_json(to_json(p));
    EXPECT_EQ(again, p) << p.code;
    // And through text, as the file is written and read.
    EXPECT_EQ(procedure_from_json(json::parse(to_json(p).dump())), p) << p.code;
  }
  EXPECT_EQ(catalogue_from_json(catalogue_to_json(catalogue)), catalogue);
}

TEST(ProcedureCatalogue, round_trip_keeps_every_field) {
  auto p = procedure_from_json(valid_procedure());
  EXPECT_EQ(p.channels, (std::set<Channel>{Channel::kInPerson, Channel::kOnline}));
  EXPECT_EQ(p.online_level, OnlineLevel::kFull);
  EXPECT_EQ(format_date(p.effective_from), "2020-07-16");
  EXPECT_EQ(p.documents[1].code, "GCS");
  EXPECT_EQ(p.steps[2].role, "leader");
  auto j = to_json(p);
  EXPECT_EQ(j["cut_off"], "15:00");
  EXPECT_EQ(j["channels"], json::array({1, 2}));
  EXPECT_FALSE(j.contains("processing_note")) << "an empty optional field is omitted";
  EXPECT_EQ(procedure_from_json(j), p);
}

TEST(ProcedureCatalogue, other_units_lists_distinct_units_in_step_order) {
  auto p = procedure_from_json(valid_procedure());
  p.steps[1].unit = "000.00.31.H29";
  p.steps.push_back(p.steps[1]);
  p.steps.back().index = 4;
  p.steps.insert(p.steps.begin() + 1, p.steps[0]);
  p.steps[1].unit = "000.00.21.H29";
  EXPECT_EQ(p.other_units("000.00.13.H29"), (std::vector<std::string>{"000.00.21.H29", "000.00.31.H29"}));
}

TEST(ProcedureValidation, refuses_missing_required_field) {
  auto j = valid_procedure();
  j.erase("name");
  EXPECT_EQ(error_of(j), "procedure 1.001193: name: required");
  j = valid_procedure();
  j["steps"][1].erase("unit");
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[1].unit: required");
  j = valid_procedure();
  j.erase("code");
  EXPECT_EQ(error_of(j), "procedure (no code): code: required");
}

TEST(ProcedureValidation, refuses_code_that_is_not_a_matthc) {
  for (const char* bad : {"1-001193", "1.", ".001193", "1.001193.000.00.00.H29", "A.001193"}) {
    auto j = valid_procedure();
    j["code"] = bad;
    EXPECT_NE(error_of(j).find(std::string(": code: '") + bad + "' is not a MaTTHC code"), std::string::npos)
        << error_of(j);
  }
  auto j = valid_procedure();
  j["code"] = "2.000748";
  EXPECT_EQ(error_of(j), "");
}

TEST(ProcedureValidation, refuses_version_below_one) {
  auto j = valid_procedure();
  j["version"] = 0;
  EXPECT_EQ(error_of(j), "procedure 1.001193: version: must be 1 or more, got 0");
}

TEST(ProcedureValidation, refuses_bad_effective_date) {
  auto j = valid_procedure();
  j["effective_from"] = "16/07/2020";
  EXPECT_EQ(error_of(j), "procedure 1.001193: effective_from: '16/07/2020' is not a date YYYY-MM-DD");
}

TEST(ProcedureValidation, refuses_misnumbered_steps) {
  auto j = valid_procedure();
  j["steps"][2]["index"] = 4;
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[2].index: expected 3 (steps are numbered 1..n in order), got 4");
  j = valid_procedure();
  j["steps"][0]["index"] = 0;
  EXPECT_NE(error_of(j).find("steps[0].index"), std::string::npos);
}

TEST(ProcedureValidation, refuses_step_days_not_adding_up_to_processing_days) {
  auto j = valid_procedure();
  j["steps"][1]["working_days"] = 0.5;
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps: working_days add up to 0.75, processing_days is 0.5");
}

TEST(ProcedureValidation, accepts_step_days_that_add_up_within_rounding) {
  auto j = valid_procedure();
  j["processing_days"] = 0.6;
  j["steps"][0]["working_days"] = 0.1;
  j["steps"][1]["working_days"] = 0.2;
  j["steps"][2]["working_days"] = 0.3;
  EXPECT_EQ(error_of(j), "");
}

TEST(ProcedureValidation, refuses_negative_step_days) {
  auto j = valid_procedure();
  j["steps"][1]["working_days"] = -0.25;
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[1].working_days: must be >= 0, got -0.25");
}

TEST(ProcedureValidation, refuses_unknown_keys_at_every_level) {
  auto j = valid_procedure();
  j["procesing_days"] = 1;
  EXPECT_EQ(error_of(j), "procedure 1.001193: procesing_days: unknown key");
  j = valid_procedure();
  j["documents"][0]["mandatroy"] = false;
  EXPECT_EQ(error_of(j), "procedure 1.001193: documents[0].mandatroy: unknown key");
  j = valid_procedure();
  j["steps"][2]["days"] = 1;
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[2].days: unknown key");
  j = valid_procedure();
  j["fees"][0]["currency"] = "VND";
  EXPECT_EQ(error_of(j), "procedure 1.001193: fees[0].currency: unknown key");
}

TEST(ProcedureValidation, refuses_bad_channel) {
  auto j = valid_procedure();
  j["channels"] = json::array({1, 4});
  EXPECT_EQ(error_of(j), "procedure 1.001193: channels[1]: 4 is not a channel (1 in person, 2 online, 3 postal)");
  j["channels"] = json::array({"2"});
  EXPECT_NE(error_of(j).find("channels[0]"), std::string::npos);
  j["channels"] = json::array();
  EXPECT_EQ(error_of(j), "procedure 1.001193: channels: at least one channel is required");
  j["channels"] = json::array({2, 2});
  EXPECT_EQ(error_of(j), "procedure 1.001193: channels[1]: 2 is listed twice");
}

TEST(ProcedureValidation, refuses_full_online_without_online_channel) {
  auto j = valid_procedure();
  j["channels"] = json::array({1, 3});
  EXPECT_EQ(error_of(j), "procedure 1.001193: online_level: 'full' requires channel 2 (online)");
  j["online_level"] = "none";
  EXPECT_EQ(error_of(j), "");
}

TEST(ProcedureValidation, refuses_online_channel_without_online_level) {
  auto j = valid_procedure();
  j["online_level"] = "none";
  EXPECT_NE(error_of(j).find("online_level: 'none' contradicts channel 2"), std::string::npos);
  j["online_level"] = "level4";
  EXPECT_EQ(error_of(j), "procedure 1.001193: online_level: 'level4' is not one of none, partial, full");
}

TEST(ProcedureValidation, refuses_duplicate_document_code) {
  auto j = valid_procedure();
  j["documents"][1]["code"] = "TK";
  EXPECT_EQ(error_of(j), "procedure 1.001193: documents[1].code: 'TK' is listed twice");
}

TEST(ProcedureValidation, refuses_document_asking_for_nothing) {
  auto j = valid_procedure();
  j["documents"][0]["originals"] = 0;
  EXPECT_EQ(error_of(j), "procedure 1.001193: documents[0]: asks for neither an original nor a copy");
}

TEST(ProcedureValidation, refuses_bad_agency_code) {
  auto j = valid_procedure();
  j["steps"][2]["unit"] = "000.00.1.H29";
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[2].unit: '000.00.1.H29' is not an agency code NNN.NN.NN.XNN");
  for (const char* bad : {"000.00.13.h29", "000.00.13.H2", "000.00.13.H290", "000-00-13-H29", "G22.99"}) {
    j["steps"][2]["unit"] = bad;
    EXPECT_NE(error_of(j).find("steps[2].unit"), std::string::npos) << bad;
  }
}

TEST(ProcedureValidation, refuses_unknown_step_role) {
  auto j = valid_procedure();
  j["steps"][1]["role"] = "approver";
  EXPECT_EQ(error_of(j), "procedure 1.001193: steps[1].role: 'approver' is not one of receiving, processing, leader");
}

TEST(ProcedureValidation, refuses_negative_fee) {
  auto j = valid_procedure();
  j["fees"][0]["amount"] = -8000;
  EXPECT_EQ(error_of(j), "procedure 1.001193: fees[0].amount: must be >= 0 VND, got -8000");
  j["fees"][0]["amount"] = 8000.5;
  EXPECT_EQ(error_of(j), "procedure 1.001193: fees[0].amount: expected an integer");
}

TEST(ProcedureValidation, refuses_wrong_types_and_bad_cut_off) {
  auto j = valid_procedure();
  j["processing_days"] = "3";
  EXPECT_EQ(error_of(j), "procedure 1.001193: processing_days: expected a number");
  j = valid_procedure();
  j["cut_off"] = "15h";
  EXPECT_EQ(error_of(j), "procedure 1.001193: cut_off: '15h' is not a time HH:MM");
  j = valid_procedure();
  j["level"] = "ward";
  EXPECT_EQ(error_of(j), "procedure 1.001193: level: 'ward' is not one of commune, district, province");
  j = valid_procedure();
  j["result_sealed"] = "yes";
  EXPECT_EQ(error_of(j), "procedure 1.001193: result_sealed: expected true or false");
}

TEST(ProcedureValidation, validate_checks_procedures_built_in_code) {
  auto p = procedure_from_json(valid_procedure());
  p.steps[0].unit = "H29";
  EXPECT_THROW(validate(p), ProcedureError);
  p = procedure_from_json(valid_procedure());
  p.channels.insert(static_cast<Channel>(7));
  try {
    validate(p);
    FAIL() << "channel 7 accepted";
  } catch (const ProcedureError& e) {
    EXPECT_EQ(std::string(e.what()),
              "procedure 1.001193: channels: 7 is not a channel (1 in person, 2 online, 3 postal)");
  }
}

TEST(ProcedureCatalogue, catalogue_error_names_the_position_and_the_procedure) {
  json bad = {{"procedures", json::array({valid_procedure(), valid_procedure()})}};
  bad["procedures"][1]["code"] = "1.000656";
  bad["procedures"][1]["steps"][0]["unit"] = "000.00.1.H29";
  try {
    catalogue_from_json(bad);
    FAIL() << "bad catalogue accepted";
  } catch (const ProcedureError& e) {
    EXPECT_EQ(std::string(e.what()),
              "catalogue procedures[1]: procedure 1.000656: steps[0].unit: '000.00.1.H29' is not an agency code "
              "NNN.NN.NN.XNN");
  }
  EXPECT_THROW(catalogue_from_json(json::array()), ProcedureError);
  EXPECT_THROW(catalogue_from_json({{"procedures", json::array()}, {"procedure", 1}}), ProcedureError);
}

TEST(ProcedureCatalogue, refuses_the_same_code_and_version_twice) {
  json twice = {{"procedures", json::array({valid_procedure(), valid_procedure()})}};
  try {
    catalogue_from_json(twice);
    FAIL() << "duplicate accepted";
  } catch (const ProcedureError& e) {
    EXPECT_EQ(std::string(e.what()),
              "catalogue procedures[1]: procedure 1.001193: version: 1 is already defined by procedures[0]");
  }
}

TEST(ProcedureCatalogue, dossier_falls_under_the_version_in_force_on_its_receipt_date) {
  auto v1 = procedure_from_json(valid_procedure());
  auto later = valid_procedure();
  later["version"] = 2;
  later["effective_from"] = "2025-07-01";
  auto v2 = procedure_from_json(later);
  std::vector<Procedure> catalogue{v2, v1};
  using namespace std::chrono;
  EXPECT_EQ(version_in_force(catalogue, "1.001193", year(2020) / 7 / 15), nullptr);
  EXPECT_EQ(version_in_force(catalogue, "1.001193", year(2020) / 7 / 16)->version, 1);
  EXPECT_EQ(version_in_force(catalogue, "1.001193", year(2025) / 6 / 30)->version, 1);
  EXPECT_EQ(version_in_force(catalogue, "1.001193", year(2025) / 7 / 1)->version, 2);
  EXPECT_EQ(version_in_force(catalogue, "1.000656", year(2025) / 7 / 1), nullptr);
}
