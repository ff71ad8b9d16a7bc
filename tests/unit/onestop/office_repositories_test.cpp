// The definition of the office's repositories (repositories.hpp): what each one stores and returns, run once per
// backend (INSTANTIATE_TEST_SUITE_P over all_office_backends()). A backend is done when this suite is green on it.
#include "lgsp/onestop/procedure.hpp"
#include "office_repository_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace lgsp::onestop;
using lgsp::onestop::test_support::OfficeRepositoryTest;
using nlohmann::json;

namespace {

TimePoint at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

const std::string kWard = "000.00.13.H29";
const std::string kOther = "000.00.14.H29";

DossierRecord a_dossier(const std::string& code, const std::string& agency = kWard,
                        const char* received = "2026-11-23T08:00:00+07:00") {
  DossierRecord d;
  d.code = code;
  d.agency = d.origin_agency = agency;
  d.procedure_code = "1.001193";
  d.procedure_version = 1;
  d.procedure_name = "Đăng ký khai sinh";
  d.customer_code = "KH-" + agency + "-0000001";
  d.applicant = {{"full_name", "Nguyễn Văn Bình"}, {"id_number", "079188000001"}};
  d.channel = 1;
  d.status = DossierStatus::kAccepted;
  d.received_at = at(received);
  d.due_at = d.original_due_at = d.received_at + std::chrono::hours(5);
  d.current_step = 1;
  d.current_unit = agency;
  d.received_by = "Trần Thị Lan";
  d.id_number = "079188000001";
  d.phone = "0912345678";
  return d;
}

DossierDocument a_document(const std::string& kind, const std::string& sha256) {
  DossierDocument doc;
  doc.kind = kind;
  doc.code = "TK";
  doc.name = "Tờ khai";
  doc.sha256 = sha256;
  doc.media_type = "application/pdf";
  doc.size = 1234;
  doc.added_at = at("2026-11-23T08:01:00+07:00");
  return doc;
}

HistoryEntry an_entry(const std::string& action, json details = nullptr) {
  HistoryEntry h;
  h.at = at("2026-11-23T08:02:00+07:00");
  h.actor = "Trần Thị Lan";
  h.title = "Một cửa";
  h.role = "receiving";
  h.unit = kWard;
  h.action = action;
  h.comment = "ghi chú";
  h.to_status = 2;
  h.step = 1;
  h.details = std::move(details);
  return h;
}

std::vector<Procedure> sample_procedures() {
  std::ifstream in(LGSP_SOURCE_DIR "/onestop/samples/procedures.json");
  std::stringstream text;
  text << in.rdbuf();
  return catalogue_from_json(json::parse(text.str()));
}

class DossierRepositoryTest : public OfficeRepositoryTest {};

TEST_P(DossierRepositoryTest, a_dossier_reads_back_as_it_was_inserted) {
  DossierRecord d = a_dossier("D-1");
  d.pause_stack = {2, 4};
  d.finished_at = at("2026-11-24T10:00:00+07:00");
  d.extensions = 2;
  write([&](OfficeRepositories& r) { r.dossiers().insert(d, d.received_at); });
  read([&](OfficeRepositories& r) {
    auto back = r.dossiers().find("D-1");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->code, "D-1");
    EXPECT_EQ(back->agency, kWard);
    EXPECT_EQ(back->procedure_name, "Đăng ký khai sinh");
    EXPECT_EQ(back->applicant, d.applicant);
    EXPECT_EQ(back->status, DossierStatus::kAccepted);
    EXPECT_EQ(back->pause_stack, (std::vector<int>{2, 4}));
    EXPECT_EQ(back->received_at, d.received_at);
    EXPECT_EQ(back->due_at, d.due_at);
    EXPECT_EQ(back->finished_at, d.finished_at);
    EXPECT_FALSE(back->delivered_at);
    EXPECT_EQ(back->extensions, 2);
    EXPECT_EQ(back->id_number, "079188000001");
    EXPECT_EQ(back->phone, "0912345678");
    EXPECT_FALSE(back->incoming());
    EXPECT_FALSE(r.dossiers().find("D-2")) << "no such dossier";
  });
}

TEST_P(DossierRepositoryTest, a_dossier_code_is_inserted_once) {
  write([&](OfficeRepositories& r) { r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00")); });
  EXPECT_THROW(
      write([&](OfficeRepositories& r) { r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00")); }),
      lgsp::bus::StoreError);
}

TEST_P(DossierRepositoryTest, an_update_saves_what_a_dossiers_life_changes_and_keeps_the_rest) {
  write([&](OfficeRepositories& r) { r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00")); });
  write([&](OfficeRepositories& r) {
    auto d = *r.dossiers().find("D-1");
    d.status = DossierStatus::kFinished;
    d.finished_at = at("2026-11-23T11:00:00+07:00");
    d.current_step = 3;
    d.current_unit = kOther;
    d.procedure_name = "changed";  // not a life change: stays as filed
    r.dossiers().update(d, at("2026-11-23T11:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto d = *r.dossiers().find("D-1");
    EXPECT_EQ(d.status, DossierStatus::kFinished);
    EXPECT_EQ(d.finished_at, at("2026-11-23T11:00:00+07:00"));
    EXPECT_EQ(d.current_step, 3);
    EXPECT_EQ(d.current_unit, kOther);
    EXPECT_EQ(d.procedure_name, "Đăng ký khai sinh");
  });
}

TEST_P(DossierRepositoryTest, steps_come_in_order_and_saving_one_again_updates_it) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00"));
    for (int i : {2, 1}) {
      DossierStep s;
      s.index = i;
      s.name = "Bước " + std::to_string(i);
      s.unit = kWard;
      s.role = i == 1 ? "receiving" : "processing";
      s.due_at = at("2026-11-23T12:00:00+07:00");
      r.dossiers().save_step("D-1", s);
    }
    auto steps = r.dossiers().steps("D-1");
    steps[0].started_at = at("2026-11-23T08:00:00+07:00");
    steps[0].finished_at = at("2026-11-23T09:00:00+07:00");
    steps[0].handed_by = "Lan";
    steps[0].result = "early";
    r.dossiers().save_step("D-1", steps[0]);
  });
  read([&](OfficeRepositories& r) {
    auto steps = r.dossiers().steps("D-1");
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[0].index, 1);
    EXPECT_EQ(steps[0].role, "receiving");
    EXPECT_EQ(steps[0].finished_at, at("2026-11-23T09:00:00+07:00"));
    EXPECT_EQ(steps[0].result, "early");
    EXPECT_EQ(steps[1].index, 2);
    EXPECT_FALSE(steps[1].started_at);
    EXPECT_TRUE(r.dossiers().steps("D-2").empty());
  });
}

TEST_P(DossierRepositoryTest, documents_are_numbered_per_dossier_and_read_by_kind) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-2"), at("2026-11-23T08:00:00+07:00"));
    EXPECT_EQ(r.dossiers().add_document("D-1", a_document("submitted", "aa")), 1);
    auto result = a_document("result", "bb");
    result.signature_format = "cades";
    result.signature_sha256 = "cc";
    result.signer = "Đỗ Quang Minh";
    result.url = "";
    EXPECT_EQ(r.dossiers().add_document("D-1", result), 2);
    EXPECT_EQ(r.dossiers().add_document("D-2", a_document("submitted", "dd")), 1) << "numbered per dossier";
  });
  read([&](OfficeRepositories& r) {
    auto all = r.dossiers().documents("D-1");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].seq, 1);
    EXPECT_EQ(all[0].kind, "submitted");
    EXPECT_EQ(all[0].size, 1234);
    EXPECT_EQ(all[0].added_at, at("2026-11-23T08:01:00+07:00"));
    EXPECT_FALSE(all[0].signature_format) << "absent stays absent";
    auto results = r.dossiers().documents("D-1", "result");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].sha256, "bb");
    EXPECT_EQ(results[0].signature_format, "cades");
    EXPECT_EQ(results[0].signer, "Đỗ Quang Minh");
    EXPECT_EQ(results[0].url, "") << "an empty value is not an absent one";
    EXPECT_FALSE(results[0].seal_sha256);
  });
}

TEST_P(DossierRepositoryTest, only_documents_the_portal_lists_of_a_dossier_it_has_records_of_are_shared) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-2"), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().add_document("D-1", a_document("submitted", "aa"));
    r.dossiers().add_document("D-1", a_document("form", "ff"));
    r.dossiers().add_document("D-2", a_document("submitted", "bb"));
    r.portal_outbox().append("D-1", "DongBoHoSoMC", {{"MaHoSo", "D-1"}}, at("2026-11-23T08:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_EQ(r.dossiers().portal_document_type("aa"), "application/pdf");
    EXPECT_FALSE(r.dossiers().portal_document_type("ff")) << "a form is not shared";
    EXPECT_FALSE(r.dossiers().portal_document_type("bb")) << "a dossier with no portal record";
  });
}

TEST_P(DossierRepositoryTest, history_reads_oldest_first_and_the_newest_of_an_action) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1"), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().add_history("D-1", an_entry("file"));
    r.dossiers().add_history("D-1", an_entry("request_supplement", {{"working_minutes_left", 180}}));
    r.dossiers().add_history("D-1", an_entry("request_supplement", {{"working_minutes_left", 60}}));
  });
  read([&](OfficeRepositories& r) {
    auto h = r.dossiers().history("D-1");
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].action, "file");
    EXPECT_TRUE(h[0].details.is_null()) << "no details stays none";
    EXPECT_FALSE(h[0].from_status);
    EXPECT_EQ(h[0].to_status, 2);
    EXPECT_EQ(h[0].step, 1);
    EXPECT_EQ(h[0].title, "Một cửa");
    auto last = r.dossiers().last_history("D-1", "request_supplement");
    ASSERT_TRUE(last);
    EXPECT_EQ(last->details["working_minutes_left"], 60);
    EXPECT_FALSE(r.dossiers().last_history("D-1", "extend"));
  });
}

TEST_P(DossierRepositoryTest, a_list_is_newest_first_within_its_scope_and_narrowed_by_its_filter) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1", kWard, "2026-11-23T08:00:00+07:00"), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-2", kWard, "2026-11-24T08:00:00+07:00"), at("2026-11-24T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-3", kOther, "2026-11-25T08:00:00+07:00"), at("2026-11-25T08:00:00+07:00"));
    auto d = *r.dossiers().find("D-1");
    d.status = DossierStatus::kFinished;
    d.finished_at = at("2026-11-23T09:00:00+07:00");
    r.dossiers().update(d, at("2026-11-23T09:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto all = r.dossiers().list({}, {}, 500);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].code, "D-3");
    EXPECT_EQ(all[2].code, "D-1");
    EXPECT_EQ(all[2].applicant_name, "Nguyễn Văn Bình");
    EXPECT_EQ(all[2].finished_at, at("2026-11-23T09:00:00+07:00"));
    EXPECT_EQ(r.dossiers().list({.customer_code = "", .agency = kWard}, {}, 500).size(), 2u);
    EXPECT_EQ(r.dossiers().list({.customer_code = "KH-" + kOther + "-0000001", .agency = ""}, {}, 500).size(), 1u);
    EXPECT_EQ(r.dossiers().list({.customer_code = "", .agency = kWard}, {.status = 9}, 500).size(), 1u);
    EXPECT_TRUE(r.dossiers().list({}, {.status = 99}, 500).empty()) << "an unknown status matches nothing";
    EXPECT_TRUE(r.dossiers().list({.customer_code = "", .agency = kWard}, {.unit = kOther}, 500).empty())
        << "a filter narrows the scope, never widens it";
    EXPECT_EQ(r.dossiers().list({}, {}, 2).size(), 2u) << "at most the limit";
  });
}

TEST_P(DossierRepositoryTest, the_work_queue_filters_list_and_count_the_same_dossiers) {
  write([&](OfficeRepositories& r) {
    // D-1 due 13:00 and running; D-2 due 13:00 but waiting for a supplement; D-3 finished; D-4 due the next day,
    // at another agency, at a leader's step; D-5 at a step any official may act on.
    r.dossiers().insert(a_dossier("D-1", kWard, "2026-11-23T08:00:00+07:00"), at("2026-11-23T08:00:00+07:00"));
    auto paused = a_dossier("D-2", kWard, "2026-11-23T08:00:00+07:00");
    paused.status = DossierStatus::kSupplementRequested;
    r.dossiers().insert(paused, at("2026-11-23T08:00:00+07:00"));
    auto finished = a_dossier("D-3", kWard, "2026-11-23T08:00:00+07:00");
    finished.status = DossierStatus::kFinished;
    finished.finished_at = at("2026-11-23T09:00:00+07:00");
    r.dossiers().insert(finished, at("2026-11-23T09:00:00+07:00"));
    auto away = a_dossier("D-4", kWard, "2026-11-24T08:00:00+07:00");
    away.status = DossierStatus::kProcessing;
    away.current_step = 2;
    away.current_unit = kOther;
    r.dossiers().insert(away, at("2026-11-24T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-5", kWard, "2026-11-24T08:00:00+07:00"), at("2026-11-24T08:00:00+07:00"));
    auto step = [&](const std::string& code, int index, const std::string& role) {
      DossierStep s;
      s.index = index;
      s.name = "Bước " + std::to_string(index);
      s.unit = kWard;
      s.role = role;
      s.due_at = at("2026-11-25T12:00:00+07:00");
      r.dossiers().save_step(code, s);
    };
    step("D-1", 1, "receiving");
    step("D-4", 1, "receiving");
    step("D-4", 2, "leader");
    step("D-5", 1, "");
  });
  read([&](OfficeRepositories& r) {
    auto codes = [&](const DossierFilter& f) {
      std::set<std::string> out;
      for (const auto& d : r.dossiers().list({}, f, 500)) out.insert(d.code);
      EXPECT_EQ(r.dossiers().count({}, f), static_cast<int>(out.size())) << "count and list agree";
      return out;
    };
    EXPECT_EQ(codes({.overdue_at = at("2026-11-23T14:00:00+07:00")}), (std::set<std::string>{"D-1"}))
        << "open, running and past due: not paused, not finished";
    EXPECT_TRUE(codes({.overdue_at = at("2026-11-23T12:00:00+07:00")}).empty());
    EXPECT_EQ(codes({.away_from = kWard}), (std::set<std::string>{"D-4"}));
    EXPECT_EQ(codes({.step_role = "leader"}), (std::set<std::string>{"D-4", "D-5"}));
    EXPECT_EQ(codes({.step_role = "receiving"}), (std::set<std::string>{"D-1", "D-5"}));
    EXPECT_EQ(codes({.status = 4, .step_role = "leader"}), (std::set<std::string>{"D-4"}));
    EXPECT_EQ(r.dossiers().count({.customer_code = "", .agency = kOther}, {}), 0);
    EXPECT_EQ(r.dossiers().count({}, {}), 5);
  });
}

TEST_P(DossierRepositoryTest, the_register_report_and_e_profile_read_the_dossiers_they_cover) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1", kWard, "2026-10-30T08:00:00+07:00"), at("2026-10-30T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-2", kWard, "2026-11-02T08:00:00+07:00"), at("2026-11-02T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-3", kOther, "2026-11-03T08:00:00+07:00"), at("2026-11-03T08:00:00+07:00"));
    auto old = a_dossier("D-0", kWard, "2026-10-01T08:00:00+07:00");
    old.status = DossierStatus::kFinished;
    old.finished_at = at("2026-10-02T08:00:00+07:00");
    r.dossiers().insert(old, at("2026-10-02T08:00:00+07:00"));
  });
  const TimePoint from = at("2026-11-01T00:00:00+07:00"), to = at("2026-12-01T00:00:00+07:00");
  read([&](OfficeRepositories& r) {
    auto reg = r.dossiers().received_between(from, to, "");
    ASSERT_EQ(reg.size(), 2u);
    EXPECT_EQ(reg[0].code, "D-2");
    EXPECT_EQ(reg[0].applicant_name, "Nguyễn Văn Bình");
    EXPECT_EQ(reg[1].unit, kOther);
    EXPECT_EQ(r.dossiers().received_between(from, to, kWard).size(), 1u);
    // Received in the period, or still open from before it; a dossier finished before it is not counted.
    auto counted = r.dossiers().for_report(from, to, kWard);
    std::set<std::string> codes;
    for (const auto& d : counted) codes.insert(d.code);
    EXPECT_EQ(codes, (std::set<std::string>{"D-1", "D-2"}));
    auto mine = r.dossiers().of_customer("KH-" + kWard + "-0000001");
    ASSERT_EQ(mine.size(), 3u);
    EXPECT_EQ(mine[0].dossier_code, "D-0") << "oldest received first";
    EXPECT_EQ(mine[0].status, DossierStatus::kFinished);
  });
}

TEST_P(DossierRepositoryTest, dossier_codes_are_gap_free_per_agency_and_day) {
  DossierCodePattern pattern;
  std::vector<std::string> codes;
  write([&](OfficeRepositories& r) {
    codes.push_back(r.dossiers().allocate_code(pattern, kWard, at("2026-11-23T08:00:00+07:00")));
    codes.push_back(r.dossiers().allocate_code(pattern, kWard, at("2026-11-23T16:00:00+07:00")));
    codes.push_back(r.dossiers().allocate_code(pattern, kOther, at("2026-11-23T16:00:00+07:00")));
    codes.push_back(r.dossiers().allocate_code(pattern, kWard, at("2026-11-24T08:00:00+07:00")));
  });
  EXPECT_EQ(codes[0], kWard + "-261123-0001");
  EXPECT_EQ(codes[1], kWard + "-261123-0002");
  EXPECT_EQ(codes[2], kOther + "-261123-0001");
  EXPECT_EQ(codes[3], kWard + "-261124-0001");
}

TEST_P(DossierRepositoryTest, a_code_taken_by_a_unit_that_rolls_back_is_taken_again) {
  DossierCodePattern pattern;
  const TimePoint t = at("2026-11-23T08:00:00+07:00");
  std::string first, again;
  write([&](OfficeRepositories& r) { first = r.dossiers().allocate_code(pattern, kWard, t); });
  EXPECT_THROW(write([&](OfficeRepositories& r) {
                 r.dossiers().allocate_code(pattern, kWard, t);
                 throw std::runtime_error("the filing failed after its code was taken");
               }),
               std::runtime_error);
  write([&](OfficeRepositories& r) { again = r.dossiers().allocate_code(pattern, kWard, t); });
  EXPECT_EQ(first, kWard + "-261123-0001");
  EXPECT_EQ(again, kWard + "-261123-0002") << "no gap where the failed unit's code was";
}

class ProfileRepositoryTest : public OfficeRepositoryTest {};

Profile a_profile(const std::string& code, const std::string& id_number) {
  Profile p;
  p.customer_code = code;
  p.unit = kWard;
  p.identity.full_name = "Nguyễn Văn Bình";
  p.identity.id_number = id_number;
  p.identity.date_of_birth = "1988-01-02";
  p.identity.phone = "0912345678";
  p.created_at = at("2026-11-23T08:00:00+07:00");
  p.valid_until = at("2031-11-23T08:00:00+07:00");
  return p;
}

TEST_P(ProfileRepositoryTest, an_e_profile_reads_back_and_is_found_by_its_id_number) {
  write([&](OfficeRepositories& r) {
    r.profiles().insert(a_profile("KH-1", "079188000001"), at("2026-11-23T08:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto p = r.profiles().find("KH-1");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->unit, kWard);
    EXPECT_EQ(p->identity.full_name, "Nguyễn Văn Bình");
    EXPECT_EQ(p->identity.phone, "0912345678");
    EXPECT_EQ(p->identity.email, "");
    EXPECT_EQ(p->valid_until, at("2031-11-23T08:00:00+07:00"));
    EXPECT_EQ(r.profiles().code_of_id_number("079188000001"), "KH-1");
    EXPECT_FALSE(r.profiles().code_of_id_number("079188000002"));
    EXPECT_FALSE(r.profiles().find("KH-2"));
  });
  EXPECT_THROW(write([&](OfficeRepositories& r) {
                 r.profiles().insert(a_profile("KH-2", "079188000001"), at("2026-11-23T08:00:00+07:00"));
               }),
               lgsp::bus::StoreError)
      << "one ID number, one e-profile";
}

TEST_P(ProfileRepositoryTest, numbers_count_per_agency_and_renewal_needs_the_profile) {
  write([&](OfficeRepositories& r) {
    EXPECT_EQ(r.profiles().next_number(kWard), 1);
    EXPECT_EQ(r.profiles().next_number(kWard), 2);
    EXPECT_EQ(r.profiles().next_number(kOther), 1);
    r.profiles().insert(a_profile("KH-1", "079188000001"), at("2026-11-23T08:00:00+07:00"));
    EXPECT_TRUE(r.profiles().renew("KH-1", at("2036-11-23T08:00:00+07:00"), at("2031-11-23T08:00:00+07:00")));
    EXPECT_FALSE(r.profiles().renew("KH-9", at("2036-11-23T08:00:00+07:00"), at("2031-11-23T08:00:00+07:00")));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_EQ(r.profiles().find("KH-1")->valid_until, at("2036-11-23T08:00:00+07:00"));
  });
}

TEST_P(ProfileRepositoryTest, a_kept_document_is_kept_once_and_listed_in_order) {
  write([&](OfficeRepositories& r) {
    r.profiles().insert(a_profile("KH-1", "079188000001"), at("2026-11-23T08:00:00+07:00"));
    ProfileDocument d{"KH-1", "GTTT", "CCCD", "aa", "application/pdf", 10, at("2026-11-23T09:00:00+07:00")};
    r.profiles().add_document(d);
    r.profiles().add_document(d);
    r.profiles().add_document(
        {"KH-1", "GCS", "Giấy chứng sinh", "bb", "image/jpeg", 20, at("2026-11-23T08:30:00+07:00")});
  });
  read([&](OfficeRepositories& r) {
    auto docs = r.profiles().documents("KH-1");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].code, "GCS") << "oldest first";
    EXPECT_EQ(docs[1].sha256, "aa");
    EXPECT_EQ(docs[1].size, 10);
  });
}

class ProcedureRepositoryTest : public OfficeRepositoryTest {};

TEST_P(ProcedureRepositoryTest, the_version_in_force_is_the_latest_whose_day_has_come) {
  auto catalogue = sample_procedures();
  Procedure v1 = catalogue.front();
  Procedure v2 = v1;
  v2.version = v1.version + 1;
  v2.effective_from = Date{std::chrono::year{2027} / 1 / 1};
  v2.name = v1.name + " (2027)";
  write([&](OfficeRepositories& r) {
    r.procedures().insert(v1, at("2026-11-23T08:00:00+07:00"));
    r.procedures().insert(v2, at("2026-11-23T08:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_EQ(r.procedures().version(v1.code, v1.version), v1) << "the rules read back as imported";
    EXPECT_EQ(r.procedures().in_force(v1.code, Date{std::chrono::year{2026} / 12 / 31})->version, v1.version);
    EXPECT_EQ(r.procedures().in_force(v1.code, Date{std::chrono::year{2027} / 1 / 1})->version, v2.version);
    EXPECT_FALSE(r.procedures().in_force(v1.code, Date{std::chrono::year{2000} / 1 / 1}));
    auto latest = r.procedures().latest();
    ASSERT_EQ(latest.size(), 1u);
    EXPECT_EQ(latest[0].version, v2.version);
    EXPECT_FALSE(r.procedures().version("9.999999", 1));
  });
}

class UserRepositoryTest : public OfficeRepositoryTest {};

TEST_P(UserRepositoryTest, an_account_is_found_by_its_token_digest_and_listed_by_name) {
  write([&](OfficeRepositories& r) {
    r.users().insert({.username = "lan",
                      .role = Role::kReceiving,
                      .unit = kWard,
                      .name = "Trần Thị Lan",
                      .title = "Một cửa",
                      .customer_code = std::nullopt,
                      .scope = Scope::kUnit},
                     "digest-lan", at("2026-11-23T08:00:00+07:00"));
    r.users().insert({.username = "binh",
                      .role = Role::kCitizen,
                      .unit = kWard,
                      .name = "Bình",
                      .title = "",
                      .customer_code = "KH-1",
                      .scope = Scope::kUnit},
                     "digest-binh", at("2026-11-23T08:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_TRUE(r.users().exists("lan"));
    EXPECT_FALSE(r.users().exists("hung"));
    auto lan = r.users().by_token("digest-lan");
    ASSERT_TRUE(lan);
    EXPECT_EQ(lan->role, Role::kReceiving);
    EXPECT_EQ(lan->title, "Một cửa");
    EXPECT_FALSE(lan->customer_code);
    EXPECT_EQ(r.users().by_token("digest-binh")->customer_code, "KH-1");
    EXPECT_FALSE(r.users().by_token("digest-nobody"));
    auto all = r.users().all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].username, "binh");
  });
}

TEST_P(UserRepositoryTest, an_officials_certificate_and_cccd_are_bound_and_cleared) {
  write([&](OfficeRepositories& r) {
    r.users().insert({.username = "minh", .role = Role::kLeader, .unit = kWard, .name = "Đỗ Quang Minh"}, "digest-minh",
                     at("2026-11-23T08:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto minh = r.users().find("minh");
    ASSERT_TRUE(minh);
    EXPECT_FALSE(minh->certificate_sha256);
    EXPECT_FALSE(minh->cccd);
    EXPECT_FALSE(r.users().find("nobody"));
  });
  write([&](OfficeRepositories& r) { r.users().bind("minh", std::string(64, 'a'), std::string("079090000001")); });
  read([&](OfficeRepositories& r) {
    auto minh = r.users().by_token("digest-minh");
    EXPECT_EQ(minh->certificate_sha256, std::string(64, 'a'));
    EXPECT_EQ(minh->cccd, "079090000001");
  });
  write([&](OfficeRepositories& r) { r.users().bind("minh", std::nullopt, std::string("079090000001")); });
  read([&](OfficeRepositories& r) {
    auto minh = r.users().find("minh");
    EXPECT_FALSE(minh->certificate_sha256);
    EXPECT_EQ(minh->cccd, "079090000001");
  });
}

TEST_P(UserRepositoryTest, a_prepared_result_is_taken_once_counted_while_pending_and_purged_when_expired) {
  auto prepared = [&](const std::string& id, const std::string& user, const std::string& expires) {
    PreparedResult p;
    p.id = id;
    p.dossier_code = kWard + "-261123-0001";
    p.username = user;
    p.name = "Trích lục khai sinh";
    p.doc_code = "KQ";
    p.certificate_sha256 = std::string(64, 'b');
    p.prepared = "UFJFUA==";
    p.created_at = at("2026-11-23T08:00:00+07:00");
    p.expires_at = at(expires.c_str());
    return p;
  };
  write([&](OfficeRepositories& r) {
    r.users().add_prepared(prepared("p1", "minh", "2026-11-23T08:15:00+07:00"));
    r.users().add_prepared(prepared("p2", "minh", "2026-11-23T08:05:00+07:00"));
    r.users().add_prepared(prepared("p3", "an", "2026-11-23T08:15:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto p1 = r.users().prepared("p1");
    ASSERT_TRUE(p1);
    EXPECT_EQ(p1->username, "minh");
    EXPECT_EQ(p1->dossier_code, kWard + "-261123-0001");
    EXPECT_EQ(p1->prepared, "UFJFUA==");
    EXPECT_EQ(p1->expires_at, at("2026-11-23T08:15:00+07:00"));
    EXPECT_EQ(r.users().pending_prepared("minh", at("2026-11-23T08:01:00+07:00")), 2);
    EXPECT_EQ(r.users().pending_prepared("minh", at("2026-11-23T08:10:00+07:00")), 1);
  });
  write([&](OfficeRepositories& r) {
    EXPECT_TRUE(r.users().take_prepared("p1"));
    EXPECT_FALSE(r.users().take_prepared("p1")) << "a prepare completes once";
    r.users().purge_expired_prepared(at("2026-11-23T08:10:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_FALSE(r.users().prepared("p1"));
    EXPECT_FALSE(r.users().prepared("p2")) << "expired";
    EXPECT_TRUE(r.users().prepared("p3"));
  });
}

class UploadRepositoryTest : public OfficeRepositoryTest {};

TEST_P(UploadRepositoryTest, a_file_is_recorded_once_and_every_upload_counts) {
  write([&](OfficeRepositories& r) {
    r.uploads().record_upload("aa", "application/pdf", 100, "lan", kWard, at("2026-11-23T08:00:00+07:00"));
    r.uploads().record_upload("aa", "application/pdf", 100, "lan", kWard, at("2026-11-23T09:00:00+07:00"));
    r.uploads().record_upload("bb", "image/jpeg", 50, "hoa", kOther, at("2026-11-23T09:00:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto f = r.uploads().file("aa");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->media_type, "application/pdf");
    EXPECT_EQ(f->size, 100);
    EXPECT_FALSE(r.uploads().file("cc"));
    auto usage = r.uploads().uploaded_since("lan", at("2026-11-23T07:00:00+07:00"));
    EXPECT_EQ(usage.files, 2);
    EXPECT_EQ(usage.bytes, 200);
    EXPECT_EQ(r.uploads().uploaded_since("lan", at("2026-11-23T08:30:00+07:00")).files, 1) << "only the window";
  });
}

TEST_P(UploadRepositoryTest, a_file_is_seen_by_its_uploader_unit_and_by_units_and_citizens_that_keep_it) {
  write([&](OfficeRepositories& r) {
    r.uploads().record_upload("aa", "application/pdf", 100, "lan", kWard, at("2026-11-23T08:00:00+07:00"));
    r.uploads().record_upload("bb", "application/pdf", 100, "hoa", kOther, at("2026-11-23T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-1", kWard), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().add_document("D-1", a_document("submitted", "bb"));  // the other unit's file, now in our dossier
    r.profiles().insert(a_profile("KH-1", "079188000001"), at("2026-11-23T08:00:00+07:00"));
    r.profiles().add_document({"KH-1", "GTTT", "CCCD", "cc", "application/pdf", 1, at("2026-11-23T08:00:00+07:00")});
  });
  read([&](OfficeRepositories& r) {
    EXPECT_TRUE(r.uploads().unit_may_see("aa", kWard));
    EXPECT_FALSE(r.uploads().unit_may_see("aa", kOther));
    EXPECT_TRUE(r.uploads().unit_may_see("bb", kWard)) << "referenced by a dossier of the unit";
    EXPECT_TRUE(r.uploads().unit_may_see("cc", kWard)) << "kept in an e-profile of the unit";
    EXPECT_TRUE(r.uploads().citizen_may_see("aa", "lan", "KH-9"));
    EXPECT_TRUE(r.uploads().citizen_may_see("cc", "binh", "KH-1"));
    EXPECT_FALSE(r.uploads().citizen_may_see("aa", "binh", "KH-1"));
  });
}

TEST_P(UploadRepositoryTest, only_old_files_nobody_references_or_uploaded_again_are_forgotten) {
  write([&](OfficeRepositories& r) {
    for (const char* sha : {"old", "again", "in-dossier", "in-profile"})
      r.uploads().record_upload(sha, "application/pdf", 1, "lan", kWard, at("2026-11-01T08:00:00+07:00"));
    r.uploads().record_upload("again", "application/pdf", 1, "lan", kWard, at("2026-11-20T08:00:00+07:00"));
    r.uploads().record_upload("new", "application/pdf", 1, "lan", kWard, at("2026-11-20T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-1"), at("2026-11-01T08:00:00+07:00"));
    r.dossiers().add_document("D-1", a_document("submitted", "in-dossier"));
    r.profiles().insert(a_profile("KH-1", "079188000001"), at("2026-11-01T08:00:00+07:00"));
    r.profiles().add_document({"KH-1", "X", "X", "in-profile", "application/pdf", 1, at("2026-11-01T08:00:00+07:00")});
  });
  std::vector<std::string> gone;
  write([&](OfficeRepositories& r) {
    gone = r.uploads().forget_unused(at("2026-11-15T08:00:00+07:00"), at("2026-11-15T08:00:00+07:00"));
  });
  EXPECT_EQ(gone, std::vector<std::string>{"old"});
  read([&](OfficeRepositories& r) {
    EXPECT_FALSE(r.uploads().file("old"));
    EXPECT_TRUE(r.uploads().file("again"));
    EXPECT_EQ(r.uploads().uploaded_since("lan", at("2026-10-01T00:00:00+07:00")).files, 2)
        << "uploads before the cut are forgotten too";
  });
}

class OutboxRepositoryTest : public OfficeRepositoryTest {};

TEST_P(OutboxRepositoryTest, portal_records_page_by_id_and_narrow_to_an_agencys_dossiers) {
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1", kWard), at("2026-11-23T08:00:00+07:00"));
    r.dossiers().insert(a_dossier("D-2", kOther), at("2026-11-23T08:00:00+07:00"));
    r.portal_outbox().append("D-1", "DongBoHoSoMC", {{"MaHoSo", "D-1"}}, at("2026-11-23T08:00:00+07:00"));
    r.portal_outbox().append("D-2", "DongBoHoSoMC", {{"MaHoSo", "D-2"}}, at("2026-11-23T08:01:00+07:00"));
    r.portal_outbox().append("D-1", "CapNhatTienDoHoSoMC", {{"MaHoSo", "D-1"}}, at("2026-11-23T08:02:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    auto all = r.portal_outbox().after(0, 100, "");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].record["MaHoSo"], "D-1");
    EXPECT_EQ(all[0].at, at("2026-11-23T08:00:00+07:00"));
    EXPECT_FALSE(all[0].synced_at);
    auto next = r.portal_outbox().after(all[0].id, 1, "");
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].dossier_code, "D-2");
    auto ours = r.portal_outbox().after(0, 100, kWard);
    ASSERT_EQ(ours.size(), 2u);
    EXPECT_EQ(ours[1].service, "CapNhatTienDoHoSoMC");
  });
}

TEST_P(OutboxRepositoryTest, bus_messages_go_oldest_first_per_conversation_and_are_retried_until_sent) {
  const TimePoint t0 = at("2026-11-23T08:00:00+07:00");
  write([&](OfficeRepositories& r) {
    r.dossiers().insert(a_dossier("D-1", kWard), t0);
    EXPECT_EQ(r.bus_outbox().next_id(), 1);
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-1", "D-1", {{"n", 1}}, t0);
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-1", "D-1", {{"n", 99}}, t0);  // the same id: ignored
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-2", "D-1", {{"n", 2}}, t0);
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-3", "D-9", {{"n", 3}}, t0);
    auto queued = r.bus_outbox().after(false, 0, 100, "");
    ASSERT_EQ(queued.size(), 3u) << "m-1 once";
    EXPECT_EQ(r.bus_outbox().next_id(), queued.back().id + 1);
  });
  std::vector<BusOutboxEntry> due;
  read([&](OfficeRepositories& r) { due = r.bus_outbox().due(t0, 10); });
  ASSERT_EQ(due.size(), 2u) << "one per conversation: m-2 waits for m-1";
  EXPECT_EQ(due[0].message_id, "m-1");
  EXPECT_EQ(due[0].payload["n"], 1);
  EXPECT_EQ(due[1].message_id, "m-3");
  write([&](OfficeRepositories& r) {
    r.bus_outbox().mark_failed(due[0].id, "HTTP 503", t0 + std::chrono::minutes(1));
    r.bus_outbox().mark_sent(due[1].id, t0);
  });
  read([&](OfficeRepositories& r) {
    EXPECT_TRUE(r.bus_outbox().due(t0, 10).empty()) << "m-1 waits; m-3 is sent";
    auto m1 = r.bus_outbox().find(due[0].id);
    ASSERT_TRUE(m1);
    EXPECT_EQ(m1->attempts, 1);
    EXPECT_EQ(m1->last_error, "HTTP 503");
    EXPECT_EQ(m1->next_attempt_at, t0 + std::chrono::minutes(1));
    EXPECT_FALSE(m1->sent_at);
    EXPECT_EQ(r.bus_outbox().due(t0 + std::chrono::minutes(1), 10).size(), 1u);
    EXPECT_EQ(r.bus_outbox().after(true, 0, 100, "").size(), 2u) << "pending: m-1 and m-2";
    EXPECT_EQ(r.bus_outbox().after(false, 0, 100, "").size(), 3u);
    EXPECT_EQ(r.bus_outbox().after(false, 0, 100, kWard).size(), 2u) << "D-9 is no dossier of the ward";
    EXPECT_EQ(r.bus_outbox().after(false, due[0].id, 1, "").size(), 1u);
  });
}

TEST_P(OutboxRepositoryTest, a_claimed_message_is_not_claimed_again_until_marked_or_its_claim_lapses) {
  const TimePoint t0 = at("2026-11-23T08:00:00+07:00");
  const auto lease = std::chrono::seconds(90);
  write([&](OfficeRepositories& r) {
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-1", "D-1", {{"n", 1}}, t0);
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-2", "D-1", {{"n", 2}}, t0);
    r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-3", "D-2", {{"n", 3}}, t0);
  });
  std::vector<BusOutboxEntry> a, b;
  write([&](OfficeRepositories& r) { a = r.bus_outbox().claim_due(t0, 1, "instance-a", t0 + lease); });
  write([&](OfficeRepositories& r) { b = r.bus_outbox().claim_due(t0, 10, "instance-b", t0 + lease); });
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].message_id, "m-1");
  ASSERT_EQ(b.size(), 1u) << "m-1 is a's; m-2 waits behind it in its conversation";
  EXPECT_EQ(b[0].message_id, "m-3");
  write([&](OfficeRepositories& r) {
    EXPECT_TRUE(
        r.bus_outbox().claim_due(t0 + lease - std::chrono::seconds(1), 10, "instance-b", t0 + 2 * lease).empty())
        << "claims hold until they lapse";
    r.bus_outbox().mark_sent(a[0].id, t0);
  });
  write([&](OfficeRepositories& r) {
    auto next = r.bus_outbox().claim_due(t0, 10, "instance-b", t0 + lease);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].message_id, "m-2") << "marking m-1 sent lets the conversation's next go";
  });
  // instance-b dies holding m-2 and m-3: once their claims lapse another instance takes them over.
  write([&](OfficeRepositories& r) {
    auto taken = r.bus_outbox().claim_due(t0 + lease, 10, "instance-c", t0 + 2 * lease);
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[0].message_id, "m-2");
    EXPECT_EQ(taken[1].message_id, "m-3");
    r.bus_outbox().mark_failed(taken[1].id, "HTTP 503", t0 + lease);
  });
  write([&](OfficeRepositories& r) {
    auto retried = r.bus_outbox().claim_due(t0 + lease, 10, "instance-a", t0 + 2 * lease);
    ASSERT_EQ(retried.size(), 1u) << "a failed send ends its claim: due again at its next attempt";
    EXPECT_EQ(retried[0].message_id, "m-3");
    EXPECT_EQ(retried[0].attempts, 1);
  });
}

TEST_P(OutboxRepositoryTest, a_delivery_from_the_bus_is_recorded_once) {
  write([&](OfficeRepositories& r) {
    EXPECT_FALSE(r.bus_outbox().received("m-1"));
    r.bus_outbox().record_received("m-1", "status", "X/MOTCUA", at("2026-11-23T08:00:00+07:00"), {{"a", 1}},
                                   {{"recorded", true}});
  });
  read([&](OfficeRepositories& r) { EXPECT_TRUE(r.bus_outbox().received("m-1")); });
  EXPECT_THROW(write([&](OfficeRepositories& r) {
                 r.bus_outbox().record_received("m-1", "status", "X/MOTCUA", at("2026-11-23T08:00:00+07:00"), {}, {});
               }),
               lgsp::bus::StoreError);
}

// Two office instances on one PostgreSQL database: two stores, each with its own writer and pool, the way two
// `lgsp onestop serve` processes share one (only PostgreSQL can be shared: a SQLite file has one writer).
class TwoInstancesTest : public OfficeRepositoryTest {};

TEST_P(TwoInstancesTest, codes_filed_concurrently_on_both_are_unique_and_gap_free_even_with_failed_filings) {
  auto second = lgsp::onestop::test_support::open_office_pg(conninfo_);
  DossierCodePattern pattern;
  const TimePoint t = at("2026-11-23T08:00:00+07:00");
  constexpr int kPerThread = 40;
  std::mutex mutex;
  std::vector<std::string> filed;
  int failed = 0;
  auto file = [&](lgsp::bus::Store& store, int thread) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string code;
      try {
        write_on(store, [&](OfficeRepositories& r) {
          code = r.dossiers().allocate_code(pattern, kWard, t);
          r.dossiers().insert(a_dossier(code), t);
          if ((thread * kPerThread + i) % 7 == 3) throw std::runtime_error("this filing fails: its code is not used");
        });
      } catch (const std::runtime_error&) {
        std::lock_guard lock(mutex);
        ++failed;
        continue;
      }
      std::lock_guard lock(mutex);
      filed.push_back(code);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(file, std::ref(i % 2 ? *second : *store_), i);
  for (auto& th : threads) th.join();
  EXPECT_GT(failed, 0);
  ASSERT_EQ(filed.size() + failed, 4u * kPerThread);
  std::set<std::string> unique(filed.begin(), filed.end());
  EXPECT_EQ(unique.size(), filed.size()) << "no code given twice";
  std::set<std::string> expected;
  char buf[8];
  for (std::size_t n = 1; n <= filed.size(); ++n) {
    std::snprintf(buf, sizeof buf, "%04zu", n);
    expected.insert(kWard + "-261123-" + buf);
  }
  EXPECT_EQ(unique, expected) << "1..n without a gap: failed filings gave their numbers back";
  read([&](OfficeRepositories& r) {
    EXPECT_EQ(r.dossiers().received_between(t, t + std::chrono::hours(1), kWard).size(), filed.size());
  });
}

TEST_P(TwoInstancesTest, two_senders_claiming_at_once_hold_each_message_once) {
  auto second = lgsp::onestop::test_support::open_office_pg(conninfo_);
  const TimePoint t0 = at("2026-11-23T08:00:00+07:00");
  write([&](OfficeRepositories& r) {
    for (int i = 0; i < 60; ++i)
      r.bus_outbox().enqueue("X/MOTCUA/onestop.status/v1", "m-" + std::to_string(i), "D-" + std::to_string(i % 20),
                             {{"n", i}}, t0);
  });
  std::mutex mutex;
  std::vector<std::string> sent;
  auto drain = [&](lgsp::bus::Store& store, const std::string& owner) {
    for (int round = 0; round < 200; ++round) {
      std::vector<BusOutboxEntry> mine;
      write_on(store, [&](OfficeRepositories& r) {
        mine = r.bus_outbox().claim_due(t0, 4, owner, t0 + std::chrono::seconds(90));
      });
      for (const auto& e : mine) {
        {
          std::lock_guard lock(mutex);
          sent.push_back(e.message_id);
        }
        write_on(store, [&](OfficeRepositories& r) { r.bus_outbox().mark_sent(e.id, t0); });
      }
      std::lock_guard lock(mutex);
      if (sent.size() >= 60) return;
    }
  };
  std::thread a(drain, std::ref(*store_), "instance-a"), b(drain, std::ref(*second), "instance-b");
  a.join();
  b.join();
  std::set<std::string> unique(sent.begin(), sent.end());
  EXPECT_EQ(sent.size(), 60u) << "every message sent, none twice";
  EXPECT_EQ(unique.size(), 60u);
  read([&](OfficeRepositories& r) { EXPECT_TRUE(r.bus_outbox().after(true, 0, 100, "").empty()); });
}

INSTANTIATE_TEST_SUITE_P(Backends, TwoInstancesTest, ::testing::Values(std::string("postgresql")),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, DossierRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ProfileRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ProcedureRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, UserRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, UploadRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, OutboxRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);

}  // namespace
