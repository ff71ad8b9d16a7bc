// Who may do what to a dossier: allowed_actions lists exactly what decide_action (which act() enforces) allows,
// for every role, status and pause history; the expected sets are written out by hand for the roles' daily work.
#include "lgsp/onestop/dossier_actions.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using namespace lgsp::onestop;
using S = DossierStatus;

namespace {

std::set<std::string> allowed(Role role, S status, std::optional<S> paused_from = std::nullopt,
                              bool has_result = true) {
  ActionContext c;
  c.status = status;
  c.paused_from = paused_from;
  c.has_result = has_result;
  auto v = allowed_actions(role, c);
  return {v.begin(), v.end()};
}

const std::vector<Role> kRoles = {Role::kCitizen, Role::kReceiving, Role::kProcessing, Role::kLeader,
                                  Role::kAdmin,   Role::kSystem,    Role::kRemote};

}  // namespace

TEST(DossierActions, allowed_actions_are_exactly_what_the_decision_accepts_for_every_role_and_status) {
  for (Role role : kRoles)
    for (int c = 1; c <= 10; ++c)
      for (std::optional<S> paused : {std::optional<S>{}, std::optional<S>{S::kNew}, std::optional<S>{S::kAccepted},
                                      std::optional<S>{S::kProcessing}, std::optional<S>{S::kSupplementRequested}})
        for (bool here : {true, false})
          for (bool result : {true, false}) {
            ActionContext ctx{*status_from_code(c), paused, here, result};
            auto list = allowed_actions(role, ctx);
            for (const auto& a : action_names()) {
              bool listed = std::find(list.begin(), list.end(), a) != list.end();
              auto d = decide_action(role, ctx, a);
              EXPECT_EQ(listed, d.allowed())
                  << to_string(role) << " status " << c << " action " << a << ": " << d.reason;
              if (!d.allowed()) {
                EXPECT_NE(d.refusal, nullptr);
                EXPECT_FALSE(d.reason.empty());
              }
            }
          }
}

TEST(DossierActions, a_clerk_is_offered_neither_stop_nor_finish) {
  for (int c = 1; c <= 10; ++c) {
    auto clerk = allowed(Role::kProcessing, *status_from_code(c), S::kAccepted);
    EXPECT_EQ(clerk.count("stop"), 0u) << c;
    EXPECT_EQ(clerk.count("finish"), 0u) << c;
    EXPECT_EQ(clerk.count("approve_withdrawal"), 0u) << c;
  }
  EXPECT_EQ(allowed(Role::kProcessing, S::kAccepted),
            (std::set<std::string>{"start_processing", "request_supplement", "request_payment"}));
  EXPECT_EQ(allowed(Role::kProcessing, S::kProcessing),
            (std::set<std::string>{"request_supplement", "request_payment"}));
  EXPECT_EQ(allowed(Role::kProcessing, S::kSupplementRequested, S::kProcessing),
            (std::set<std::string>{"supplement_received"}));
  EXPECT_EQ(allowed(Role::kProcessing, S::kPaymentRequested, S::kProcessing),
            (std::set<std::string>{"payment_received"}));
}

TEST(DossierActions, the_receiving_desk_takes_in_asks_and_hands_back) {
  EXPECT_EQ(allowed(Role::kReceiving, S::kNew),
            (std::set<std::string>{"accept", "refuse", "request_supplement", "request_withdrawal"}));
  EXPECT_EQ(allowed(Role::kReceiving, S::kAccepted),
            (std::set<std::string>{"start_processing", "request_supplement", "request_payment", "request_withdrawal"}));
  EXPECT_EQ(allowed(Role::kReceiving, S::kSupplementRequested, S::kNew),
            (std::set<std::string>{"refuse", "request_withdrawal", "supplement_received"}));
  EXPECT_EQ(allowed(Role::kReceiving, S::kSupplementRequested, S::kAccepted),
            (std::set<std::string>{"request_withdrawal", "supplement_received"}));
  EXPECT_EQ(allowed(Role::kReceiving, S::kWithdrawalRequested, S::kAccepted), (std::set<std::string>{}));
  EXPECT_EQ(allowed(Role::kReceiving, S::kFinished), (std::set<std::string>{"deliver_result"}));
}

TEST(DossierActions, the_leader_stops_finishes_and_decides_on_withdrawals) {
  EXPECT_EQ(allowed(Role::kLeader, S::kProcessing),
            (std::set<std::string>{"request_supplement", "request_payment", "request_withdrawal", "stop", "finish"}));
  EXPECT_EQ(allowed(Role::kLeader, S::kWithdrawalRequested, S::kProcessing),
            (std::set<std::string>{"resume_processing", "approve_withdrawal", "reject_withdrawal"}));
  // Finishing needs a signed result, and the current step done here.
  EXPECT_EQ(allowed(Role::kLeader, S::kProcessing, std::nullopt, false).count("finish"), 0u);
  ActionContext away{S::kProcessing, std::nullopt, false, true};
  EXPECT_EQ(decide_action(Role::kLeader, away, "finish").refusal, &errors::kConflict);
}

TEST(DossierActions, an_applicant_may_only_ask_to_withdraw_and_an_admin_nothing) {
  EXPECT_EQ(allowed(Role::kCitizen, S::kProcessing), (std::set<std::string>{"request_withdrawal"}));
  EXPECT_EQ(allowed(Role::kCitizen, S::kFinished), (std::set<std::string>{}));
  for (int c = 1; c <= 10; ++c) EXPECT_TRUE(allowed(Role::kAdmin, *status_from_code(c), S::kAccepted).empty()) << c;
  EXPECT_EQ(decide_action(Role::kAdmin, ActionContext{}, "accept").refusal, &errors::kForbidden);
}
