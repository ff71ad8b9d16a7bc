// WS-Security UsernameToken: the users file, PasswordText, PasswordDigest, the Created window and nonce reuse.
#include "username_token.hpp"

#include <gtest/gtest.h>

using namespace lgsp::adapters::soap;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(const std::string& text) { return *parse_utc_datetime(text); }

UsernameTokenVerifier verifier(TokenPolicy policy = {}) {
  // "hashed" has SHA-256("matkhau") only.
  return UsernameTokenVerifier(
      UserStore::parse("# users of the civil-status SOAP service\nmotcua:bí mật\n\nhashed:{SHA256}"
                       "6445e373d7fcde106bfcb897ee8f0bb28589bd7797f54f1ef4e5d5447cfbd011\n",
                       "users.txt"),
      policy);
}

UsernameTokenFields digest_token(const std::string& nonce, const std::string& created, const std::string& password) {
  UsernameTokenFields t;
  t.username = "motcua";
  t.digest = true;
  t.nonce = nonce;
  t.created = created;
  t.password = *password_digest(nonce, created, password);
  return t;
}

}  // namespace

TEST(SoapUsernameToken, digest_matches_the_profile_example_formula) {
  // Base64(SHA-1(nonce + created + password)) as computed independently by Python:
  // base64.b64encode(hashlib.sha1(b"nonce-123" + b"2026-12-04T20:00:00Z" + b"secret").digest())
  EXPECT_EQ(*password_digest("bm9uY2UtMTIz", "2026-12-04T20:00:00Z", "secret"), "ccb8ii35EJQ6Y3D03nZCF1UWxdU=");
  EXPECT_FALSE(password_digest("not base64!", "x", "y"));
}

TEST(SoapUsernameToken, accepts_a_fresh_digest_once) {
  auto v = verifier();
  const auto now = at("2026-12-04T20:00:30Z");
  auto token = digest_token("bm9uY2UtMTIz", "2026-12-04T20:00:00Z", "bí mật");
  EXPECT_EQ(v.verify(token, now), std::nullopt);
  auto again = v.verify(token, now + 1s);
  ASSERT_TRUE(again);
  EXPECT_NE(again->find("already used"), std::string::npos);
  EXPECT_EQ(v.remembered_nonces(), 1u);
}

TEST(SoapUsernameToken, refuses_a_wrong_digest_and_an_old_or_future_created) {
  auto v = verifier();
  const auto now = at("2026-12-04T20:00:30Z");
  EXPECT_TRUE(v.verify(digest_token("bm9uY2UtMTIz", "2026-12-04T20:00:00Z", "wrong"), now));
  EXPECT_TRUE(v.verify(digest_token("bm9uY2UtMTI0", "2026-12-04T19:50:00Z", "bí mật"), now));
  EXPECT_TRUE(v.verify(digest_token("bm9uY2UtMTI1", "2026-12-04T20:10:00Z", "bí mật"), now));
  EXPECT_TRUE(v.verify(digest_token("bm9uY2UtMTI2", "2026-12-04 20:00:00", "bí mật"), now));
  // A refused token does not spend its nonce.
  EXPECT_EQ(v.remembered_nonces(), 0u);
  // With an offset: 21:00+01:00 is 20:00Z.
  EXPECT_EQ(v.verify(digest_token("bm9uY2UtMTI3", "2026-12-04T21:00:00+01:00", "bí mật"), now), std::nullopt);
}

TEST(SoapUsernameToken, a_created_time_the_clock_cannot_hold_is_not_a_time) {
  // Year 0000 or 9999 would overflow system_clock's nanoseconds (and could wrap into the freshness window).
  for (const char* beyond : {"0000-01-01T00:00:00Z", "1226-01-01T00:00:00Z", "9999-12-31T23:59:59Z"})
    EXPECT_FALSE(parse_utc_datetime(beyond)) << beyond;
  EXPECT_TRUE(parse_utc_datetime("2261-12-31T23:59:59Z"));
}

TEST(SoapUsernameToken, password_text_against_a_secret_or_a_hash) {
  auto v = verifier();
  const auto now = std::chrono::system_clock::now();
  UsernameTokenFields t;
  t.username = "motcua";
  t.password = "bí mật";
  EXPECT_EQ(v.verify(t, now), std::nullopt);
  t.password = "bí mật ";
  EXPECT_TRUE(v.verify(t, now));
  t.username = "nobody";
  t.password = "bí mật";
  auto unknown = v.verify(t, now);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(*unknown, "unknown user or wrong password");
}

TEST(SoapUsernameToken, a_hashed_password_accepts_text_but_never_digest) {
  auto store = UserStore::parse(
      "h:{SHA256}" + std::string("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08") + "\n", "u");
  UsernameTokenVerifier v(store, {});
  UsernameTokenFields t;
  t.username = "h";
  t.password = "test";  // SHA-256("test") = 9f86...0a08
  EXPECT_EQ(v.verify(t, std::chrono::system_clock::now()), std::nullopt);
  auto d = digest_token("bm9uY2U=", "2026-12-04T20:00:00Z", "test");
  d.username = "h";
  EXPECT_TRUE(v.verify(d, at("2026-12-04T20:00:00Z")));
}

TEST(SoapUsernameToken, policy_can_refuse_password_text) {
  TokenPolicy p;
  p.allow_text = false;
  auto v = verifier(p);
  UsernameTokenFields t;
  t.username = "motcua";
  t.password = "bí mật";
  EXPECT_TRUE(v.verify(t, std::chrono::system_clock::now()));
}

TEST(SoapUsernameToken, the_nonce_cache_is_bounded) {
  TokenPolicy p;
  p.max_nonces = 3;
  auto v = verifier(p);
  const auto now = at("2026-12-04T20:00:00Z");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(v.verify(digest_token("bm9uY2Ut" + std::string(1, static_cast<char>('A' + i)) + "A==",
                                    "2026-12-04T20:00:00Z", "bí mật"),
                       now),
              std::nullopt);
  auto full = v.verify(digest_token("bm9uY2UtZA==", "2026-12-04T20:00:00Z", "bí mật"), now);
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("too many"), std::string::npos);
  // Once the window has passed the old nonces are forgotten and room is made.
  EXPECT_EQ(v.verify(digest_token("bm9uY2UtZA==", "2026-12-04T20:11:00Z", "bí mật"), now + 11min), std::nullopt);
  EXPECT_EQ(v.remembered_nonces(), 1u);
}

TEST(SoapUsernameToken, users_file_errors_name_the_line) {
  try {
    UserStore::parse("a:b\nbroken\n", "users.txt");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("users.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(UserStore::parse("a:b\na:c\n", "u"), std::runtime_error);
  EXPECT_THROW(UserStore::parse("a:{SHA256}12\n", "u"), std::runtime_error);
}
