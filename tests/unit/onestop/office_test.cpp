// The office core in process, on a real SQLite store and a clock the test moves: profile validity, the pause
// stack (supplement, payment, withdrawal), the supplement clock, inter-agency deliveries, the report.
#include "lgsp/onestop/api_json.hpp"
#include "office_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using nlohmann::json;

namespace {

using namespace lgsp::onestop::test_support;

class Office : public OfficeFixture {
 protected:
  int status(const Dossier& d) { return static_cast<int>(d.status); }
};

TEST_F(Office, an_expired_e_profile_is_refused_until_renewed) {
  auto customer = profile("079188000001");
  EXPECT_EQ(format_local_rfc3339(office_->profile(desk_, customer).valid_until), "2031-11-23T08:00:00+07:00");
  now_ = at("2031-11-24T09:00:00+07:00");
  try {
    birth(customer);
    FAIL() << "filed on an expired e-profile";
  } catch (const OnestopError& e) {
    EXPECT_EQ(e.code().code, "LGSP-409-ONESTOP-PROFILE-EXPIRED");
  }
  office_->renew_profile(desk_, customer);
  EXPECT_TRUE(office_->profile(desk_, customer).valid);
  EXPECT_EQ(status(birth(customer)), 2);
}

TEST_F(Office, one_id_number_has_one_e_profile) {
  profile("079188000002");
  EXPECT_THROW(profile("079188000002"), OnestopError);
}

TEST_F(Office, a_withdrawal_asked_while_waiting_for_a_supplement_unwinds_in_order) {
  auto code = birth(profile("079188000003")).code;
  office_->hand_over(desk_, code);
  EXPECT_EQ(status(office_->act(clerk_, code, "request_supplement", ActionInput{.items = {"Giấy chứng sinh"}})), 5);
  EXPECT_EQ(status(office_->act(desk_, code, "request_withdrawal", {})), 7);
  EXPECT_EQ(status(office_->act(leader_, code, "reject_withdrawal", {})), 5) << "back to waiting";
  EXPECT_EQ(status(office_->act(desk_, code, "supplement_received", {})), 4) << "then to processing";
  EXPECT_EQ(status(office_->act(clerk_, code, "request_payment", ActionInput{.amount = 8000})), 6);
  EXPECT_EQ(status(office_->act(desk_, code, "payment_received", {})), 4);
  // A resume that names another status than the one paused from is refused.
  office_->act(clerk_, code, "request_supplement", ActionInput{.items = {"x"}});
  EXPECT_THROW(office_->act(leader_, code, "resume_accepted", {}), OnestopError);
  EXPECT_EQ(status(office_->act(leader_, code, "resume_processing", {})), 4);
}

TEST_F(Office, each_step_is_handed_over_by_its_own_role_or_a_leader) {
  auto code = birth(profile("079188000006")).code;
  EXPECT_THROW(office_->hand_over(clerk_, code), OnestopError) << "step 1 is the desk's";
  EXPECT_EQ(office_->hand_over(desk_, code).current_step, 2);
  try {
    office_->hand_over(desk_, code);
    FAIL() << "the desk handed over the specialist's step";
  } catch (const OnestopError& e) {
    EXPECT_EQ(e.code().code, "LGSP-403-ONESTOP-ROLE");
    EXPECT_NE(std::string(e.what()).find("processing"), std::string::npos) << e.what();
  }
  EXPECT_EQ(office_->hand_over(leader_, code).current_step, 3);
  EXPECT_THROW(office_->hand_over(leader_, code), OnestopError) << "the last step finishes instead";
}

TEST_F(Office, only_the_desk_creates_e_profiles_and_only_a_leader_rejects_a_withdrawal) {
  Actor citizen{"c", "C", "", Role::kCitizen, kWard, "KH-000.00.13.H29-0000001"};
  Actor admin{"a", "A", "", Role::kAdmin, kWard, ""};
  CitizenIdentity id{.full_name = "Lê Thị Mơ",
                     .id_number = "079188000099",
                     .date_of_birth = "1990-01-01",
                     .gender = "female",
                     .hometown = "Huế",
                     .ethnicity = "Kinh",
                     .nationality = "Việt Nam",
                     .permanent_address = "2 Lê Lợi"};
  EXPECT_THROW(office_->create_profile(citizen, id), OnestopError);
  EXPECT_THROW(office_->create_profile(admin, id), OnestopError);
  auto code = birth(profile("079188000007")).code;
  EXPECT_THROW(office_->profile(admin, office_->dossier(desk_, code).customer_code), OnestopError)
      << "an admin runs the system, not the citizens' data";
  office_->hand_over(desk_, code);
  office_->act(desk_, code, "request_withdrawal", {});
  for (const char* verb : {"resume_processing", "reject_withdrawal"}) {
    EXPECT_THROW(office_->act(desk_, code, verb, {}), OnestopError) << verb;
    EXPECT_THROW(office_->act(clerk_, code, verb, {}), OnestopError) << verb;
  }
  EXPECT_EQ(status(office_->act(leader_, code, "reject_withdrawal", {})), 4);
}

TEST_F(Office, extensions_are_bounded) {
  auto code = birth(profile("079188000008")).code;
  EXPECT_THROW(office_->extend(leader_, code, {.reason = "x", .extra_working_days = 1e9}), OnestopError);
  EXPECT_THROW(office_->extend(leader_, code, {.reason = "x", .new_due_at = at("9999-01-01T00:00:00+07:00")}),
               OnestopError);
  EXPECT_EQ(office_->extend(leader_, code, {.reason = "x", .extra_working_days = 60}).extensions, 1);
}

TEST_F(Office, an_inter_agency_result_does_not_move_a_dossier_stopped_meanwhile) {
  office_->set_bus_connected(true);
  auto customer = profile("079188000009");
  auto code = office_
                  ->file_dossier(desk_, {.procedure_code = "1.012788",
                                         .customer_code = customer,
                                         .channel = 2,
                                         .documents = {{"TKLT", pdf("tklt")}, {"GCS", pdf("gcs")}}})
                  .code;
  office_->hand_over(desk_, code);
  office_->hand_over(clerk_, code);
  EXPECT_EQ(office_->hand_over(leader_, code).current_unit, "000.00.21.H29");
  EXPECT_THROW(office_->act(leader_, code, "finish", {}), OnestopError) << "the police have the step";
  office_->act(leader_, code, "stop", ActionInput{.reasons = {"Người nộp đề nghị dừng"}});
  json notice = {
      {"dossier_code", code},
      {"outcome", "approved"},
      {"result_documents", json::array()},
      {"signed_by", {{"name", "Trung tá Vũ Hải Sơn"}, {"title", "Trưởng Công an phường"}, {"unit", "000.00.21.H29"}}},
      {"finished_at", "2026-11-23T10:00:00+07:00"}};
  EXPECT_THROW(office_->receive("status", "s-1", "000.00.55.H29/MOTCUA",
                                {{"dossier_code", code},
                                 {"status", 4},
                                 {"unit", "000.00.55.H29"},
                                 {"actor", {{"name", "?"}}},
                                 {"comment", ""},
                                 {"changed_at", "2026-11-23T10:00:00+07:00"}}),
               OnestopError)
      << "an agency with no step in the dossier may not report on it";
  office_->receive("result", "r-1", "000.00.21.H29/MOTCUA", notice);
  auto after = office_->dossier(desk_, code);
  EXPECT_EQ(after.status, DossierStatus::kStopped);
  EXPECT_EQ(after.current_step, 4) << "not sent on to social insurance";
  EXPECT_EQ(after.history.back().details["not_advanced"], "dossier is stopped");
  EXPECT_EQ(office_->bus_outbox(false).size(), 1u) << "only the submission to the police";
}

TEST_F(Office, an_online_dossier_never_accepted_may_be_refused_after_a_supplement_request) {
  auto customer = profile("079188000004");
  Actor citizen{"c", "Nguyễn Văn Bình", "", Role::kCitizen, kWard, customer};
  auto code =
      office_
          ->file_dossier(
              citizen,
              {.procedure_code = "1.001193",
               .documents = {{"TK", pdf("tk", citizen)}, {"GCS", pdf("gcs", citizen)}, {"GTTT", pdf("cccd", citizen)}}})
          .code;
  office_->act(desk_, code, "request_supplement", ActionInput{.items = {"Tờ khai ký tay"}});
  auto refused = office_->act(desk_, code, "refuse", ActionInput{.reasons = {"Không bổ sung trong thời hạn"}});
  EXPECT_EQ(status(refused), 3);
  EXPECT_TRUE(refused.finished_at.has_value());
}

TEST_F(Office, the_supplement_wait_moves_the_due_times_by_the_working_time_it_took) {
  auto filed = birth(profile("079188000005"));  // Monday 08:00 + half a day (4 h, over lunch) = 13:30
  const std::string code = filed.code;
  EXPECT_EQ(filed.due_at, at("2026-11-23T13:30:00+07:00"));
  now_ = at("2026-11-23T09:00:00+07:00");
  office_->act(clerk_, code, "request_supplement", ActionInput{.items = {"Giấy chứng sinh"}});  // 3 h left
  now_ = at("2026-11-25T10:00:00+07:00");                                                       // Wednesday
  auto back = office_->act(desk_, code, "supplement_received", {});
  EXPECT_EQ(back.due_at, at("2026-11-25T14:30:00+07:00"));  // 10:00 + 1 h 30 + lunch + 2 h
  EXPECT_EQ(back.original_due_at, back.due_at) << "the applicant's wait is not the office's delay";
}

TEST_F(Office, deliveries_from_the_bus_are_idempotent_and_speak_only_for_their_own_agency) {
  json submission = {
      {"dossier_code", "000.00.99.H29-261123-0007"},
      {"procedure", {{"code", "1.012788"}, {"version", 1}, {"name", "Liên thông"}}},
      {"step",
       {{"index", 4}, {"name", "Đăng ký thường trú"}, {"unit", kWard}, {"due_at", "2026-11-24T17:00:00+07:00"}}},
      {"applicant",
       {{"full_name", "Trương Thị Hạnh"},
        {"id_number", "079190012345"},
        {"customer_code", "KH-000.00.99.H29-0000001"}}},
      {"documents", json::array()},
      {"received_at", "2026-11-23T08:00:00+07:00"},
      {"due_at", "2026-11-26T17:00:00+07:00"},
      {"from_unit", "000.00.99.H29"},
      {"to_unit", kWard}};
  EXPECT_THROW(office_->receive("submission", "m-1", "000.00.55.H29/MOTCUA", submission), OnestopError)
      << "a subsystem of another agency may not send this agency's step";
  auto first = office_->receive("submission", "m-2", "000.00.99.H29/MOTCUA", submission);
  EXPECT_EQ(first.created, true);
  auto again = office_->receive("submission", "m-2", "000.00.99.H29/MOTCUA", submission);
  EXPECT_TRUE(again.duplicate);
  auto here = office_->dossier(desk_, "000.00.99.H29-261123-0007");
  EXPECT_EQ(here.origin_agency, "000.00.99.H29");
  EXPECT_EQ(here.current_step, 4);
  EXPECT_EQ(here.due_at, at("2026-11-24T17:00:00+07:00"));
  // The sender's customer code is another office's numbering: kept aside, never one of ours.
  EXPECT_EQ(here.customer_code, "");
  EXPECT_EQ(here.applicant["home_customer_code"], "KH-000.00.99.H29-0000001");
  Actor local_citizen{"x", "X", "", Role::kCitizen, kWard, "KH-000.00.99.H29-0000001"};
  EXPECT_THROW(office_->dossier(local_citizen, "000.00.99.H29-261123-0007"), OnestopError);
  // Its status went back to the origin agency over the bus (the outbox), ordered by the dossier code.
  auto out = office_->due_bus_messages(10);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.service, "000.00.99.H29/MOTCUA/onestop.status/v1");
  EXPECT_EQ(out[0].second.conversation_id, "000.00.99.H29-261123-0007");
  EXPECT_EQ(out[0].second.payload["status"], 2);
  EXPECT_TRUE(office_->portal_outbox(0, 100).empty()) << "the origin agency reports it to the portal, not us";

  // A message the bus refuses is tried again later and later, and stays listed until it is accepted.
  office_->mark_bus_message(out[0].first, false, "HTTP 503: not ready", std::chrono::seconds(5));
  EXPECT_TRUE(office_->due_bus_messages(10).empty());
  now_ += std::chrono::seconds(6);
  ASSERT_EQ(office_->due_bus_messages(10).size(), 1u);
  office_->mark_bus_message(out[0].first, false, "HTTP 503: not ready", std::chrono::seconds(5));
  now_ += std::chrono::seconds(6);
  EXPECT_TRUE(office_->due_bus_messages(10).empty()) << "the second wait is twice the first";
  auto pending = office_->bus_outbox(true);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 2);
  EXPECT_EQ(pending[0].last_error, "HTTP 503: not ready");
  now_ += std::chrono::seconds(5);
  ASSERT_EQ(office_->due_bus_messages(10).size(), 1u);
  office_->mark_bus_message(out[0].first, true, "", std::chrono::seconds(5));
  EXPECT_TRUE(office_->bus_outbox(true).empty());
  EXPECT_EQ(office_->bus_outbox(false).size(), 1u);
}

TEST_F(Office, the_outbox_poll_reads_only_unsent_messages_through_the_pending_index) {
  // The plan SQLite makes for the poll: the pending partial index, not a walk over every message the office
  // ever sent (they are kept for the record).
  std::string plan;
  store_->read([&](lgsp::bus::Transaction& tx) {
    const lgsp::bus::Value params[] = {std::string("2026-11-26T08:00:00+07:00"), std::int64_t{10}};
    for (const auto& row : tx.query(std::string("EXPLAIN QUERY PLAN ") + kDueBusMessagesSql, params))
      plan += row.text("detail") + "\n";
  });
  EXPECT_NE(plan.find("USING INDEX bus_outbox_pending"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN o\n"), std::string::npos) << plan;
}

// The check the API makes before a token signs a result is the rule add_result applies: one function, so the
// two cannot drift (a signed document with no record, or a record refused after the signature).
TEST_F(Office, a_result_is_checked_before_signing_by_the_rule_that_adds_it) {
  auto code = birth(profile("079188000013")).code;
  auto code_of_refusal = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const OnestopError& e) {
      return std::string(e.code().code);
    }
    return std::string();
  };
  DossierDocument result{.name = "KQ", .sha256 = pdf("kq"), .media_type = "application/pdf", .size = 10};
  EXPECT_EQ(office_->check_may_add_result(leader_, code).code, code);
  for (const auto& check : std::vector<std::function<void()>>{[&] { office_->check_may_add_result(desk_, code); },
                                                              [&] { office_->add_result(desk_, code, result); }})
    EXPECT_EQ(code_of_refusal(check), "LGSP-403-ONESTOP-ROLE") << "the desk neither signs nor adds results";
  office_->add_result(leader_, code, result);
  office_->act(leader_, code, "finish", {});
  for (const auto& check : std::vector<std::function<void()>>{[&] { office_->check_may_add_result(leader_, code); },
                                                              [&] { office_->add_result(leader_, code, result); }})
    EXPECT_EQ(code_of_refusal(check), "LGSP-409-ONESTOP-STATUS") << "a finished dossier takes no more results";
}

TEST_F(Office, the_report_judges_against_the_original_due_time) {
  // Filed on Monday after the 15:00 cut-off of 1.001193: counting starts on Tuesday, due Tuesday 11:30.
  now_ = at("2026-11-23T15:30:00+07:00");
  auto early = birth(profile("079188000010")).code;
  auto on_time = birth(profile("079188000011")).code;
  auto late = birth(profile("079188000012")).code;
  EXPECT_EQ(office_->dossier(desk_, late).due_at, at("2026-11-24T11:30:00+07:00"));
  auto finish = [&](const std::string& code) {
    office_->hand_over(desk_, code);
    office_->add_result(
        leader_, code,
        {.name = "KQ", .sha256 = pdf(code), .media_type = "application/pdf", .size = 10, .signature_format = "cades"});
    return office_->act(leader_, code, "finish", {});
  };
  now_ = at("2026-11-23T16:00:00+07:00");
  EXPECT_EQ(finish(early).timeliness, Timeliness::kEarly);  // a day before the due date
  now_ = at("2026-11-24T09:00:00+07:00");
  EXPECT_EQ(finish(on_time).timeliness, Timeliness::kOnTime);
  office_->extend(leader_, late, {.reason = "Chờ xác minh", .extra_working_days = 1});
  now_ = at("2026-11-24T16:00:00+07:00");
  auto finished_late = finish(late);
  EXPECT_FALSE(finished_late.due_at == finished_late.original_due_at);
  EXPECT_EQ(finished_late.timeliness, Timeliness::kLate) << "before the new appointment, after the original one";
  auto report = office_->report(at("2026-11-01T00:00:00+07:00"), at("2026-12-01T00:00:00+07:00"), "");
  ASSERT_EQ(report.lines.size(), 1u);
  const auto& l = report.lines[0];
  EXPECT_EQ(l.unit, kWard);
  EXPECT_EQ(l.received, 3);
  EXPECT_EQ(l.resolved(), 3);
  EXPECT_EQ(l.early, 1);
  EXPECT_EQ(l.on_time, 1);
  EXPECT_EQ(l.late, 1);
  EXPECT_EQ(l.overdue_now, 0);
  EXPECT_NEAR(*l.on_time_rate(), 2.0 / 3.0, 1e-9);
  // The API's JSON of it (the CLI's --format json too).
  EXPECT_EQ(to_json(report)["lines"][0]["resolved_on_time"], 1);
}

}  // namespace

// allowed_actions, as each role reads it on the dossier, is exactly what act() then accepts from that role, in
// each status an official meets (and 4 with a signed result, where finishing becomes possible).
TEST_F(Office, each_role_is_offered_exactly_the_actions_act_accepts) {
  // 252 dossiers of three uploads each, by one desk account: past the default upload quota.
  UploadConfig many;
  many.max_files = 10000;
  office_->set_upload_limits(many);
  const ActionInput input{.reasons = {"Lý do"}, .items = {"Giấy chứng sinh"}, .amount = 8000};
  const std::vector<std::string> actions = {"accept",
                                            "refuse",
                                            "request_supplement",
                                            "supplement_received",
                                            "start_processing",
                                            "request_payment",
                                            "payment_received",
                                            "request_withdrawal",
                                            "reject_withdrawal",
                                            "approve_withdrawal",
                                            "stop",
                                            "finish",
                                            "deliver_result",
                                            "resume_accepted"};
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> states = {
      {"2", [](const std::string&) {}},
      {"4", [&](const std::string& c) { office_->act(clerk_, c, "start_processing", {}); }},
      {"5 after 2",
       [&](const std::string& c) { office_->act(clerk_, c, "request_supplement", ActionInput{.items = {"x"}}); }},
      {"6 after 4",
       [&](const std::string& c) {
         office_->act(clerk_, c, "start_processing", {});
         office_->act(clerk_, c, "request_payment", ActionInput{.amount = 1000});
       }},
      {"7 after 4",
       [&](const std::string& c) {
         office_->act(clerk_, c, "start_processing", {});
         office_->act(desk_, c, "request_withdrawal", {});
       }},
      {"4 with a result",
       [&](const std::string& c) {
         office_->act(clerk_, c, "start_processing", {});
         office_->add_result(leader_, c,
                             {.code = "KQ",
                              .name = "Giấy khai sinh",
                              .sha256 = pdf("ket qua"),
                              .media_type = "application/pdf",
                              .size = 20});
       }},
  };
  int n = 0;
  for (const auto& [state, reach] : states)
    for (const Actor* who : {&desk_, &clerk_, &leader_})
      for (const auto& action : actions) {
        auto code = birth(profile("0791880" + std::to_string(10000 + ++n))).code;
        reach(code);
        auto offered = office_->dossier(*who, code).allowed_actions;
        bool listed = std::find(offered.begin(), offered.end(), action) != offered.end();
        bool accepted = true;
        try {
          office_->act(*who, code, action, input);
        } catch (const OnestopError& e) {
          accepted = false;
          EXPECT_NE(e.code().code, "LGSP-400-ONESTOP-INPUT") << action << ": " << e.what();
        }
        EXPECT_EQ(listed, accepted) << who->username << " in " << state << ": " << action << " offered "
                                    << json(offered).dump();
      }
  // The clerk of the issue: at status 2 never offered stop or finish.
  auto code = birth(profile("079188099999")).code;
  auto clerk = office_->dossier(clerk_, code).allowed_actions;
  EXPECT_EQ(clerk, std::vector<std::string>({"request_supplement", "start_processing", "request_payment"}))
      << json(clerk).dump();
}
