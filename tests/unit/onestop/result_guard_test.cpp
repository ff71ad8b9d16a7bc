// The result download's guard: whose X-Forwarded-For is believed, and that guessing stays limited per source
// while the applicant's right answer gets through whatever strangers do.
#include "lgsp/onestop/result_guard.hpp"

#include <gtest/gtest.h>

using namespace lgsp::onestop;

namespace {

const std::set<std::string> kProxy = {"127.0.0.1"};

TEST(ClientAddress, ignores_x_forwarded_for_from_a_peer_that_is_not_a_configured_proxy) {
  EXPECT_EQ(client_address("203.0.113.9:40000", std::string("198.51.100.1"), kProxy), "203.0.113.9");
  EXPECT_EQ(client_address("127.0.0.1:40000", std::string("198.51.100.1"), {}), "127.0.0.1")
      << "no trusted proxies configured: the header is never believed";
  EXPECT_EQ(client_address("[::1]:40000", std::string("198.51.100.1"), kProxy), "::1");
}

TEST(ClientAddress, takes_the_rightmost_address_that_is_not_a_trusted_proxy) {
  EXPECT_EQ(client_address("127.0.0.1:1", std::string("198.51.100.1"), kProxy), "198.51.100.1");
  // The client wrote "1.2.3.4" itself; the proxy appended what it saw.
  EXPECT_EQ(client_address("127.0.0.1:1", std::string("1.2.3.4, 198.51.100.1"), kProxy), "198.51.100.1");
  // Two proxies: the inner one's entry is skipped.
  std::set<std::string> two = {"127.0.0.1", "10.0.0.5"};
  EXPECT_EQ(client_address("127.0.0.1:1", std::string("1.2.3.4,198.51.100.1, 10.0.0.5"), two), "198.51.100.1");
  // Garbage where an address should be: the last hop we can vouch for.
  EXPECT_EQ(client_address("127.0.0.1:1", std::string("1.2.3.4, not-an-ip"), kProxy), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1:1", std::string(""), kProxy), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1:1", std::nullopt, kProxy), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1:1", std::string("::ffff:198.51.100.1"), kProxy), "198.51.100.1");
}

TEST(SourceKey, groups_an_ipv6_64_and_keeps_ipv4_addresses_apart) {
  EXPECT_EQ(source_key("2001:db8:1:2:aaaa::1"), source_key("2001:db8:1:2:bbbb::2"));
  EXPECT_NE(source_key("2001:db8:1:2::1"), source_key("2001:db8:1:3::1"));
  EXPECT_NE(source_key("198.51.100.1"), source_key("198.51.100.2"));
}

class Guard : public ::testing::Test {
 protected:
  LookupConfig config() {
    LookupConfig c;
    c.max_failures = 10;
    c.window_seconds = 900;
    c.dossier_max_failures = 30;
    c.dossier_window_seconds = 86400;
    return c;
  }
  // One wrong try from `source`; false when it was refused before being looked at (429).
  bool wrong(ResultGuard& g, const std::string& source, const std::string& dossier) {
    return g.begin(source, dossier, now_).has_value();
  }
  bool right(ResultGuard& g, const std::string& source, const std::string& dossier) {
    auto t = g.begin(source, dossier, now_);
    if (!t) return false;
    g.succeeded(*t);
    return true;
  }
  TimePoint now_ = *parse_rfc3339("2026-12-01T09:00:00+07:00");
};

TEST_F(Guard, one_source_guessing_is_cut_off_after_its_allowed_wrong_tries) {
  ResultGuard g(config());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(wrong(g, "203.0.113.9", "D-" + std::to_string(i)));
  EXPECT_FALSE(wrong(g, "203.0.113.9", "D-99")) << "across dossiers: sequential codes do not help";
  EXPECT_FALSE(right(g, "203.0.113.9", "D-1")) << "a limited source is refused before its answer is looked at";
  EXPECT_TRUE(right(g, "198.51.100.7", "D-1")) << "other sources are not affected";
  now_ += std::chrono::seconds(901);
  EXPECT_TRUE(wrong(g, "203.0.113.9", "D-100")) << "the window has passed";
}

TEST_F(Guard, strangers_many_wrong_tries_never_stop_the_applicants_right_answer) {
  ResultGuard g(config());
  // 500 addresses, 3 wrong tries each on the applicant's dossier (more are refused once it is under attack).
  int refused = 0;
  for (int s = 0; s < 500; ++s)
    for (int i = 0; i < 5; ++i) refused += wrong(g, "203.0.113." + std::to_string(s), "D-1") ? 0 : 1;
  // The first 30 wrong tries (6 sources x 5) put the dossier under attack; from then on each further source
  // has 3 tries on it.
  EXPECT_EQ(refused, (500 - 6) * 2) << "under attack, each source has 3 tries on this dossier";
  EXPECT_GE(g.dossier_failures("D-1", now_), 30u) << "the dossier is under attack";
  EXPECT_TRUE(right(g, "198.51.100.7", "D-1")) << "the applicant, from their own address";
  // Even an applicant who mistyped twice gets in.
  EXPECT_TRUE(wrong(g, "198.51.100.8", "D-1"));
  EXPECT_TRUE(wrong(g, "198.51.100.8", "D-1"));
  EXPECT_TRUE(right(g, "198.51.100.8", "D-1"));
}

TEST_F(Guard, a_right_answer_is_not_counted) {
  ResultGuard g(config());
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(right(g, "198.51.100.7", "D-1"));
  EXPECT_EQ(g.dossier_failures("D-1", now_), 0u);
}

}  // namespace
