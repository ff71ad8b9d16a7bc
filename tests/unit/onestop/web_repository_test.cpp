// The web repository (repositories.hpp, WebRepository) on every office backend: sessions, challenges, the
// notification outbox and request ids, as web.cpp and notify.cpp rely on them (migration 7 on both engines).
#include "office_repository_fixture.hpp"

#include <gtest/gtest.h>

using namespace lgsp::onestop;
using lgsp::onestop::test_support::OfficeRepositoryTest;

namespace {

TimePoint at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

class WebRepositoryTest : public OfficeRepositoryTest {};

WebSession a_session(const std::string& id, const std::string& user, const char* created) {
  WebSession s;
  s.id_sha256 = id;
  s.username = user;
  s.csrf = "csrf-" + id;
  s.created_at = s.last_seen_at = at(created);
  return s;
}

TEST_P(WebRepositoryTest, sessions_are_found_touched_capped_ended_and_swept) {
  write([&](OfficeRepositories& r) {
    r.web().add_session(a_session("s1", "0912345678", "2026-12-05T08:00:00+07:00"));
    r.web().add_session(a_session("s2", "0912345678", "2026-12-05T08:01:00+07:00"));
    r.web().add_session(a_session("s3", "0912345678", "2026-12-05T08:02:00+07:00"));
    r.web().add_session(a_session("o1", "minh", "2026-12-05T08:00:00+07:00"));
    r.web().touch_session("s2", at("2026-12-05T08:20:00+07:00"));
    r.web().cap_sessions("0912345678", 2);  // the oldest ends
  });
  read([&](OfficeRepositories& r) {
    EXPECT_FALSE(r.web().session("s1"));
    auto s2 = r.web().session("s2");
    ASSERT_TRUE(s2);
    EXPECT_EQ(s2->csrf, "csrf-s2");
    EXPECT_EQ(s2->username, "0912345678");
    EXPECT_EQ(s2->last_seen_at, at("2026-12-05T08:20:00+07:00"));
    EXPECT_EQ(s2->created_at, at("2026-12-05T08:01:00+07:00"));
    EXPECT_TRUE(r.web().session("s3"));
  });
  write([&](OfficeRepositories& r) {
    // Idle since before 08:10: s3 and o1 go; s2 was seen at 08:20.
    EXPECT_EQ(r.web().sweep_sessions(at("2026-12-05T08:10:00+07:00"), at("2026-12-04T20:00:00+07:00")), 2);
    EXPECT_TRUE(r.web().end_session("s2"));
    EXPECT_FALSE(r.web().end_session("s2"));
    r.web().add_session(a_session("s4", "0912345678", "2026-12-05T09:00:00+07:00"));
    r.web().add_session(a_session("s5", "0912345678", "2026-12-05T09:00:00+07:00"));
    EXPECT_EQ(r.web().end_sessions_of("0912345678"), 2);
  });
}

TEST_P(WebRepositoryTest, a_challenge_is_taken_once_counted_while_open_and_swept_when_expired) {
  write([&](OfficeRepositories& r) {
    r.web().add_challenge({"c1", "ZGlnZXN0", "https://motcua.example.vn", at("2026-12-05T08:05:00+07:00")});
    r.web().add_challenge({"c2", "ZGlnZXN0", "https://motcua.example.vn", at("2026-12-05T08:01:00+07:00")});
    EXPECT_EQ(r.web().count_challenges(at("2026-12-05T08:02:00+07:00")), 1);
    auto c = r.web().take_challenge("c1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->origin, "https://motcua.example.vn");
    EXPECT_EQ(c->expires_at, at("2026-12-05T08:05:00+07:00"));
    EXPECT_FALSE(r.web().take_challenge("c1")) << "used once";
    r.web().sweep_challenges(at("2026-12-05T08:02:00+07:00"));
    EXPECT_FALSE(r.web().take_challenge("c2")) << "expired";
  });
}

TEST_P(WebRepositoryTest, a_notification_is_claimed_by_one_sender_retried_and_marked) {
  Notification n;
  n.dossier_code = "000.00.13.H29-261205-0001";
  n.unit = "000.00.13.H29";
  n.kind = "received";
  n.channel = "sms";
  n.recipient = "0912345678";
  n.subject = "Đã tiếp nhận hồ sơ";
  n.body = "Hồ sơ 000.00.13.H29-261205-0001 đã được tiếp nhận.";
  n.created_at = n.next_attempt_at = at("2026-12-05T08:00:00+07:00");
  std::int64_t id = 0;
  write([&](OfficeRepositories& r) { id = r.web().add_notification(n); });
  EXPECT_GT(id, 0);
  write([&](OfficeRepositories& r) {
    auto claimed =
        r.web().claim_notifications(at("2026-12-05T08:00:01+07:00"), 10, "a", at("2026-12-05T08:01:00+07:00"));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].body, n.body);
    // Another sender finds it held until the claim lapses.
    EXPECT_TRUE(
        r.web().claim_notifications(at("2026-12-05T08:00:30+07:00"), 10, "b", at("2026-12-05T08:02:00+07:00")).empty());
    r.web().mark_notification_failed(id, "sms gateway: HTTP 500", at("2026-12-05T08:00:40+07:00"), false);
    EXPECT_TRUE(
        r.web().claim_notifications(at("2026-12-05T08:00:35+07:00"), 10, "b", at("2026-12-05T08:02:00+07:00")).empty())
        << "not due before its next attempt";
    ASSERT_EQ(
        r.web().claim_notifications(at("2026-12-05T08:00:41+07:00"), 10, "b", at("2026-12-05T08:02:00+07:00")).size(),
        1u);
    r.web().mark_notification_sent(id, at("2026-12-05T08:00:42+07:00"));
    EXPECT_TRUE(
        r.web().claim_notifications(at("2026-12-05T09:00:00+07:00"), 10, "c", at("2026-12-05T09:01:00+07:00")).empty())
        << "sent once";
  });
  read([&](OfficeRepositories& r) {
    auto rows = r.web().notifications(n.dossier_code, 10);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, "sent");
    EXPECT_EQ(rows[0].attempts, 2);
    EXPECT_FALSE(rows[0].last_error);
    EXPECT_EQ(rows[0].sent_at, at("2026-12-05T08:00:42+07:00"));
  });
}

TEST_P(WebRepositoryTest, a_request_id_names_the_dossier_it_filed_and_a_password_hash_is_replaced) {
  write([&](OfficeRepositories& r) {
    EXPECT_FALSE(r.web().dossier_of_request("0912345678\nform-1"));
    r.web().record_request("0912345678\nform-1", "000.00.13.H29-261205-0001", at("2026-12-05T08:00:00+07:00"));
    r.web().set_password("minh", "$argon2id$old", at("2026-12-05T08:00:00+07:00"));
    r.web().set_password("minh", "$argon2id$new", at("2026-12-05T08:01:00+07:00"));
  });
  read([&](OfficeRepositories& r) {
    EXPECT_EQ(r.web().dossier_of_request("0912345678\nform-1"), "000.00.13.H29-261205-0001");
    EXPECT_EQ(r.web().password_hash("minh"), "$argon2id$new");
    EXPECT_FALSE(r.web().password_hash("an"));
  });
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, WebRepositoryTest, lgsp::onestop::test_support::all_office_backends(),
                         lgsp::onestop::test_support::backend_name);
