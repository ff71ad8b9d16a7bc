#include "lgsp/onestop/dossier_status.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

using namespace lgsp::onestop;
using S = DossierStatus;

namespace {

std::vector<S> all_statuses() {
  std::vector<S> all;
  for (int c = 1; c <= 10; ++c) all.push_back(*status_from_code(c));
  return all;
}

// The expected graph, written out independently of the table so that a wrong row fails the test.
const std::map<int, std::set<int>> kExpected = {
    {1, {2, 3, 5, 7}},
    {2, {4, 5, 6, 7, 8, 9}},
    {3, {}},
    {4, {5, 6, 7, 8, 9}},
    {5, {1, 2, 3, 4, 7, 8}},
    {6, {4, 7, 8}},
    {7, {1, 2, 4, 5, 6, 8}},
    {8, {}},
    {9, {10}},
    {10, {}},
};

}  // namespace

TEST(DossierStatus, codes_are_the_portals_one_to_ten) {
  for (int c = 1; c <= 10; ++c) {
    auto s = status_from_code(c);
    ASSERT_TRUE(s) << c;
    EXPECT_EQ(code(*s), c);
  }
  EXPECT_FALSE(status_from_code(0));
  EXPECT_FALSE(status_from_code(11));
  EXPECT_FALSE(status_from_code(-1));
}

TEST(DossierStatus, names_in_english_and_vietnamese) {
  EXPECT_EQ(name_en(S::kNew), "new");
  EXPECT_EQ(name_en(S::kSupplementRequested), "supplement_requested");
  EXPECT_EQ(name_en(S::kResultDelivered), "result_delivered");
  EXPECT_EQ(name_vi(S::kNew), "Mới đăng ký");
  EXPECT_EQ(name_vi(S::kNotAccepted), "Không được tiếp nhận");
  EXPECT_EQ(name_vi(S::kSupplementRequested), "Yêu cầu bổ sung giấy tờ");
  EXPECT_EQ(name_vi(S::kPaymentRequested), "Yêu cầu thực hiện nghĩa vụ tài chính");
  EXPECT_EQ(name_vi(S::kWithdrawalRequested), "Công dân yêu cầu rút hồ sơ");
  EXPECT_EQ(name_vi(S::kResultDelivered), "Đã trả kết quả");
  std::set<std::string_view> en, vi;
  for (S s : all_statuses()) {
    en.insert(name_en(s));
    vi.insert(name_vi(s));
  }
  EXPECT_EQ(en.size(), 10u);
  EXPECT_EQ(vi.size(), 10u);
}

TEST(DossierStatus, every_from_action_pair_names_one_row) {
  std::set<std::pair<int, std::string_view>> seen;
  for (const auto& t : transition_table()) {
    EXPECT_FALSE(t.action.empty());
    EXPECT_TRUE(seen.insert({code(t.from), t.action}).second) << code(t.from) << " " << t.action;
  }
}

TEST(DossierStatus, every_pair_of_statuses_is_legal_exactly_as_expected) {
  for (S from : all_statuses()) {
    const auto& expected = kExpected.at(code(from));
    std::vector<S> expected_next;
    for (S to : all_statuses()) {
      bool legal = expected.count(code(to)) != 0;
      EXPECT_EQ(is_allowed(from, to), legal) << code(from) << " -> " << code(to);
      if (legal) expected_next.push_back(to);
    }
    EXPECT_EQ(allowed_next(from), expected_next) << "from " << code(from);
  }
}

TEST(DossierStatus, terminal_statuses_have_no_way_out_and_others_do) {
  for (S s : all_statuses()) {
    bool terminal = s == S::kNotAccepted || s == S::kStopped || s == S::kResultDelivered;
    EXPECT_EQ(is_terminal(s), terminal) << code(s);
    EXPECT_EQ(allowed_next(s).empty(), terminal) << code(s);
  }
}

TEST(DossierStatus, every_status_is_reachable_from_new) {
  std::set<S> reached{S::kNew};
  std::vector<S> frontier{S::kNew};
  while (!frontier.empty()) {
    S s = frontier.back();
    frontier.pop_back();
    for (S next : allowed_next(s))
      if (reached.insert(next).second) frontier.push_back(next);
  }
  EXPECT_EQ(reached.size(), 10u);
}

TEST(DossierStatus, key_actions_make_the_expected_transition) {
  struct Row {
    S from;
    const char* action;
    S to;
  };
  const Row rows[] = {
      {S::kNew, "accept", S::kAccepted},
      {S::kNew, "refuse", S::kNotAccepted},
      {S::kNew, "request_supplement", S::kSupplementRequested},
      {S::kAccepted, "start_processing", S::kProcessing},
      {S::kAccepted, "finish", S::kFinished},
      {S::kProcessing, "request_payment", S::kPaymentRequested},
      {S::kProcessing, "stop", S::kStopped},
      {S::kSupplementRequested, "resume_new", S::kNew},
      {S::kSupplementRequested, "resume_accepted", S::kAccepted},
      {S::kSupplementRequested, "resume_processing", S::kProcessing},
      {S::kSupplementRequested, "refuse", S::kNotAccepted},
      {S::kSupplementRequested, "stop", S::kStopped},
      {S::kPaymentRequested, "payment_received", S::kProcessing},
      {S::kWithdrawalRequested, "approve_withdrawal", S::kStopped},
      {S::kWithdrawalRequested, "resume_processing", S::kProcessing},
      {S::kFinished, "deliver_result", S::kResultDelivered},
  };
  for (const auto& r : rows) {
    auto t = find_transition(r.from, r.action);
    ASSERT_TRUE(t) << code(r.from) << " " << r.action;
    EXPECT_EQ(t->from, r.from);
    EXPECT_EQ(t->to, r.to) << code(r.from) << " " << r.action;
    EXPECT_EQ(t->action, r.action);
  }
}

TEST(DossierStatus, actions_that_do_not_apply_are_refused) {
  EXPECT_FALSE(find_transition(S::kNew, "finish"));       // nothing is finished before acceptance
  EXPECT_FALSE(find_transition(S::kAccepted, "refuse"));  // an accepted dossier is stopped, not refused
  EXPECT_FALSE(find_transition(S::kNew, "payment_received"));
  EXPECT_FALSE(find_transition(S::kFinished, "stop"));
  EXPECT_FALSE(find_transition(S::kNotAccepted, "accept"));  // terminal
  EXPECT_FALSE(find_transition(S::kResultDelivered, "deliver_result"));
  EXPECT_FALSE(find_transition(S::kProcessing, "no_such_action"));
  EXPECT_FALSE(find_transition(S::kProcessing, ""));
}

TEST(DossierStatus, a_paused_dossier_can_resume_to_where_it_paused_from) {
  // For every way into a pause (5 or 7), resume_action(previous) leads back to previous.
  for (const auto& into : transition_table()) {
    if (into.to != S::kSupplementRequested && into.to != S::kWithdrawalRequested) continue;
    if (into.action.substr(0, 7) == "resume_") continue;  // returning to a pause is not pausing
    auto action = resume_action(into.from);
    ASSERT_TRUE(action) << code(into.from);
    auto back = find_transition(into.to, *action);
    ASSERT_TRUE(back) << code(into.to) << " " << *action;
    EXPECT_EQ(back->to, into.from);
  }
  EXPECT_FALSE(resume_action(S::kFinished));
  EXPECT_FALSE(resume_action(S::kStopped));
}
