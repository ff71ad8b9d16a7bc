// The unit boundary of the office core, the upload quota and the expiry of unused uploads, on a real SQLite
// store and a clock the test moves.
#include "office_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using nlohmann::json;

namespace {

using namespace lgsp::onestop::test_support;

const std::string kOtherWard = "000.00.14.H29";

// The code of the refusal `f` throws, "" if it throws none.
std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const OnestopError& e) {
    return std::string(e.code().code);
  }
  return "";
}

class Scoped : public OfficeFixture {
 protected:
  Actor other_leader_{"tuan", "Phan Văn Tuấn", "Chủ tịch", Role::kLeader, kOtherWard, ""};
  Actor other_desk_{"hoa", "Lý Thị Hoa", "Một cửa", Role::kReceiving, kOtherWard, ""};
  Actor other_admin_{"root14", "Quản trị", "", Role::kAdmin, kOtherWard, ""};
  Actor supervisor_{"so", "Sở Nội vụ", "Thanh tra", Role::kLeader, "000.00.00.H29", "", Scope::kProvince};
};

TEST_F(Scoped, another_units_leader_neither_reads_nor_acts_on_a_dossier_as_if_it_did_not_exist) {
  auto d = birth(profile("079188100001"));
  std::string code = d.code, customer = d.customer_code;
  const std::string not_found = "LGSP-404-ONESTOP";
  EXPECT_EQ(refusal([&] { office_->dossier(other_leader_, code); }), not_found);
  EXPECT_EQ(refusal([&] { office_->act(other_leader_, code, "stop", ActionInput{.reasons = {"x"}}); }), not_found);
  EXPECT_EQ(refusal([&] { office_->hand_over(other_leader_, code); }), not_found);
  EXPECT_EQ(refusal([&] { office_->extend(other_leader_, code, {.reason = "x", .extra_working_days = 1}); }),
            not_found);
  EXPECT_EQ(refusal([&] { office_->add_result(other_leader_, code, {.sha256 = "ab"}); }), not_found);
  EXPECT_EQ(refusal([&] { office_->add_form(other_leader_, code, {.sha256 = "ab"}); }), not_found);
  EXPECT_EQ(refusal([&] { office_->check_may_act(other_leader_, code); }), not_found);
  EXPECT_EQ(refusal([&] { office_->profile(other_leader_, customer); }), not_found);
  EXPECT_EQ(refusal([&] { office_->renew_profile(other_desk_, customer); }), not_found);
  EXPECT_TRUE(office_->list_dossiers(other_leader_).empty());
  EXPECT_TRUE(office_->list_dossiers(other_leader_, {.unit = kWard}).empty()) << "a filter never widens the scope";
  EXPECT_TRUE(office_->list_dossiers(other_leader_, {.customer_code = customer}).empty());
  auto sha = d.documents[0].sha256;
  EXPECT_FALSE(office_->may_read_file(other_leader_, sha)) << "a file of another unit's dossier";
  EXPECT_TRUE(office_->portal_outbox(0, 100, kOtherWard).empty());
  EXPECT_FALSE(office_->portal_outbox(0, 100, kWard).empty());
  EXPECT_EQ(office_->dossier(leader_, code).status, DossierStatus::kAccepted) << "nothing was changed";
}

TEST_F(Scoped, the_units_own_officials_work_as_before) {
  auto d = birth(profile("079188100002"));
  std::string code = d.code;
  EXPECT_EQ(office_->dossier(leader_, code).code, code);
  EXPECT_EQ(office_->list_dossiers(leader_).size(), 1u);
  EXPECT_TRUE(office_->may_read_file(leader_, d.documents[0].sha256));
  EXPECT_EQ(office_->hand_over(desk_, code).current_step, 2);
  EXPECT_EQ(office_->profile(desk_, d.customer_code).customer_code, d.customer_code);
}

TEST_F(Scoped, a_provincial_supervisor_reads_every_unit_but_acts_on_none) {
  auto d = birth(profile("079188100003"));
  std::string code = d.code;
  EXPECT_EQ(office_->dossier(supervisor_, code).code, code);
  EXPECT_EQ(office_->list_dossiers(supervisor_).size(), 1u);
  EXPECT_EQ(office_->profile(supervisor_, d.customer_code).customer_code, d.customer_code);
  EXPECT_TRUE(office_->may_read_file(supervisor_, d.documents[0].sha256));
  EXPECT_EQ(refusal([&] { office_->act(supervisor_, code, "stop", ActionInput{.reasons = {"x"}}); }),
            "LGSP-403-ONESTOP-ROLE");
  EXPECT_EQ(refusal([&] { office_->check_may_act(supervisor_, code); }), "LGSP-403-ONESTOP-ROLE");
}

TEST_F(Scoped, another_units_file_cannot_be_attached_to_pull_it_into_this_units_dossier) {
  auto theirs = pdf("giay to cua phuong khac", other_desk_);
  EXPECT_FALSE(office_->may_read_file(desk_, theirs));
  EXPECT_TRUE(office_->may_read_file(other_leader_, theirs)) << "their unit uploaded it";
  auto customer = profile("079188100004");
  EXPECT_EQ(refusal([&] {
              office_->file_dossier(
                  desk_, {.procedure_code = "1.001193",
                          .customer_code = customer,
                          .documents = {{"TK", theirs}, {"GCS", pdf("gcs", desk_)}, {"GTTT", pdf("cccd", desk_)}}});
            }),
            "LGSP-400-ONESTOP-INPUT");
  EXPECT_EQ(refusal([&] {
              office_->add_profile_document(desk_, customer, {.code = "GTTT", .name = "CCCD", .sha256 = theirs});
            }),
            "LGSP-404-ONESTOP");
  EXPECT_FALSE(office_->may_read_file(desk_, theirs));
}

TEST_F(Scoped, another_units_desk_files_no_dossier_and_makes_no_e_profile_here) {
  auto customer = profile("079188100005");
  EXPECT_EQ(
      refusal([&] { office_->file_dossier(other_desk_, {.procedure_code = "1.001193", .customer_code = customer}); }),
      "LGSP-403-ONESTOP-ROLE");
  EXPECT_EQ(refusal([&] {
              office_->create_profile(other_desk_, {.full_name = "A",
                                                    .id_number = "079188100006",
                                                    .date_of_birth = "1988-01-02",
                                                    .gender = "male",
                                                    .hometown = "Huế",
                                                    .ethnicity = "Kinh",
                                                    .nationality = "Việt Nam",
                                                    .permanent_address = "1 Lê Lợi"});
            }),
            "LGSP-403-ONESTOP-ROLE");
}

TEST_F(Scoped, an_account_past_its_upload_quota_gets_429_until_the_window_passes) {
  UploadConfig limits;
  limits.max_files = 3;
  limits.max_bytes = 1000;
  limits.window_seconds = 3600;
  office_->set_upload_limits(limits);
  for (int i = 0; i < 3; ++i) pdf("tep " + std::to_string(i), desk_);
  EXPECT_EQ(refusal([&] { pdf("tep 3", desk_); }), "LGSP-429-ONESTOP-QUOTA");
  EXPECT_EQ(refusal([&] { pdf("tep 0", desk_); }), "LGSP-429-ONESTOP-QUOTA") << "the same bytes again count too";
  EXPECT_EQ(refusal([&] { pdf("cua nguoi khac", leader_); }), "") << "the quota is per account";
  EXPECT_EQ(refusal([&] { office_->upload(leader_, "%PDF-1.4 " + std::string(1000, 'x'), "application/pdf"); }),
            "LGSP-429-ONESTOP-QUOTA")
      << "bytes count as well as files";
  now_ += std::chrono::seconds(3601);
  EXPECT_EQ(refusal([&] { pdf("tep 4", desk_); }), "");
}

TEST_F(Scoped, the_sweep_deletes_old_uploads_nobody_uses_and_never_one_a_dossier_or_profile_references) {
  auto d = birth(profile("079188100007"));
  auto in_dossier = d.documents[0].sha256;
  auto customer = profile("079188100008");
  auto kept = pdf("giu trong ho so cong dan", desk_);
  office_->add_profile_document(desk_, customer, {.code = "GTTT", .name = "CCCD", .sha256 = kept});
  auto unused = pdf("khong ai dung", desk_);
  auto recent = pdf("tai len gan day", desk_);
  ASSERT_TRUE(files_->get(unused));

  EXPECT_EQ(office_->sweep_unused_files(std::chrono::hours(24 * 7)), 0u) << "nothing is old yet";
  now_ += std::chrono::hours(24 * 8);
  pdf("tai len gan day", desk_);  // uploaded again: its age starts again
  EXPECT_EQ(office_->sweep_unused_files(std::chrono::hours(24 * 7)), 1u);
  EXPECT_FALSE(files_->get(unused)) << "the bytes are gone";
  EXPECT_FALSE(office_->may_read_file(desk_, unused) && files_->get(unused));
  EXPECT_TRUE(files_->get(in_dossier));
  EXPECT_TRUE(files_->get(kept));
  EXPECT_TRUE(files_->get(recent));
  // A swept file can no longer be attached; the kept ones still can.
  EXPECT_EQ(
      refusal([&] { office_->add_profile_document(desk_, customer, {.code = "X", .name = "X", .sha256 = unused}); }),
      "LGSP-404-ONESTOP");
  EXPECT_EQ(
      refusal([&] { office_->add_profile_document(desk_, customer, {.code = "Y", .name = "Y", .sha256 = recent}); }),
      "");
}

TEST_F(Scoped, a_short_second_factor_stored_with_a_dossier_from_another_agency_never_matches) {
  json submission = {
      {"dossier_code", "000.00.99.H29-261123-0009"},
      {"procedure", {{"code", "1.012788"}, {"version", 1}, {"name", "Liên thông"}}},
      {"step", {{"index", 4}, {"name", "Thường trú"}, {"unit", kWard}, {"due_at", "2026-11-24T17:00:00+07:00"}}},
      {"applicant", {{"full_name", "Trương Thị Hạnh"}, {"id_number", "7"}, {"phone", "12"}}},
      {"documents", json::array()},
      {"received_at", "2026-11-23T08:00:00+07:00"},
      {"due_at", "2026-11-26T17:00:00+07:00"},
      {"from_unit", "000.00.99.H29"},
      {"to_unit", kWard}};
  office_->receive("submission", "m-9", "000.00.99.H29/MOTCUA", submission);
  EXPECT_FALSE(office_->results_for("000.00.99.H29-261123-0009", "7")) << "one digit is guessed at once";
  EXPECT_FALSE(office_->results_for("000.00.99.H29-261123-0009", "12"));
  auto d = birth(profile("079188100009"));
  EXPECT_TRUE(office_->results_for(d.code, "079188100009")) << "a full ID number matches";
}

}  // namespace
