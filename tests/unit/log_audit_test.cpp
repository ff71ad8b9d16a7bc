// The stored messages against the message log, and heads kept elsewhere, on a real node store (no
// token: the seals themselves are checked by the integration tests).
#include "lgsp/bus/log_audit.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const std::string kClient = "000.00.13.H29/MOTCUA";
const std::string kService = "000.00.13.H29/HOTICH/hoso/v1";

class LogAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-log-audit-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Config config;
    config.store.data_dir = dir_;
    store_ = open_embedded_store(config);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // A message as PersistStage stores it: the row, its body and the `accepted` record.
  void accept(const std::string& id, const std::string& payload) {
    store_
        ->write([&](Transaction& tx) {
          const json seal = {{"v", 1}, {"root", std::string(64, 'b')}, {"cert_sha256", std::string(64, 'c')}};
          const std::string at = "2026-12-04T08:00:00.000Z";
          const Value m[] = {id, kClient, kService, std::string("application/json"), sha256_hex(payload), at};
          tx.exec(
              "INSERT INTO message(id, client, service, conversation, content_type, payload_sha256, accepted_at,"
              " state, next_attempt_ms) VALUES (?, ?, ?, NULL, ?, ?, ?, 'accepted', 0)",
              m);
          const Value b[] = {tx.last_insert_id(), Blob{std::vector<std::uint8_t>(payload.begin(), payload.end())},
                             seal.dump()};
          tx.exec("INSERT INTO message_body(seq, payload, seal) VALUES (?, ?, ?)", b);
          MessageLog::append(tx, "accepted", kClient + " " + id,
                             {{"message_id", id},
                              {"service", kService},
                              {"client", kClient},
                              {"accepted_at", at},
                              {"payload_sha256", sha256_hex(payload)},
                              {"signature", seal}});
        })
        .get();
  }
  // A delivery outcome as Exchange records it.
  void outcome(const std::string& id, const std::string& state, int attempt, bool drop_payload = false) {
    store_
        ->write([&](Transaction& tx) {
          const Value u[] = {state, std::int64_t{attempt}, kClient, id};
          tx.exec("UPDATE message SET state = ?, attempts = ? WHERE client = ? AND id = ?", u);
          json body = {{"attempt", attempt}, {"status", 200}, {"state", state}};
          if (drop_payload) {
            const Value d[] = {kClient, id};
            tx.exec(
                "UPDATE message_body SET payload = NULL WHERE seq = (SELECT seq FROM message WHERE client = ? AND id = "
                "?)",
                d);
            body["payload"] = "dropped";
          }
          MessageLog::append(tx, state == "delivering" ? "attempt" : state, kClient + " " + id, body);
        })
        .get();
  }
  void sql(const std::string& statement) {
    store_->write([&](Transaction& tx) { tx.exec(statement); }).get();
  }
  // What check_messages_against_log says about the store now (empty: they agree).
  std::string check() {
    std::string why;
    store_->read([&](Transaction& tx) {
      std::string prev;
      auto records = MessageLog::read(tx, std::nullopt, std::nullopt, prev);
      std::size_t checked = 0;
      why = check_messages_against_log(tx, records, checked);
    });
    return why;
  }
  LogHead head() {
    LogHead h;
    store_->read([&](Transaction& tx) { h = read_log_head(tx); });
    return h;
  }
  std::string expect(const LogHead& expected) {
    std::string why;
    store_->read([&](Transaction& tx) { why = check_expected_head(tx, expected, read_log_head(tx)); });
    return why;
  }
  void three_messages() {
    accept("m-1", R"({"a":1})");
    accept("m-2", R"({"a":2})");
    accept("m-3", R"({"a":3})");
    outcome("m-1", "delivering", 1);
    outcome("m-1", "delivered", 2);
    outcome("m-2", "dead", 1);
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LogAuditTest, an_untouched_store_agrees_with_its_log) {
  three_messages();
  outcome("m-3", "delivered", 1, /*drop_payload=*/true);
  EXPECT_EQ(check(), "");
}

TEST_F(LogAuditTest, names_a_changed_payload) {
  three_messages();
  sql("UPDATE message_body SET payload = CAST('{\"a\":9}' AS BLOB) WHERE seq = 2");
  EXPECT_NE(check().find("the stored payload is not the one the log recorded"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_payload_changed_with_its_digest) {
  three_messages();
  sql("UPDATE message SET payload_sha256 = '" + sha256_hex("{\"a\":9}") + "' WHERE seq = 2");
  EXPECT_NE(check().find("payload_sha256 is not the one the log recorded"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_payload_removed_that_the_log_never_dropped) {
  three_messages();
  sql("UPDATE message_body SET payload = NULL WHERE seq = 3");
  EXPECT_NE(check().find("the log never dropped it"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_payload_replaced_by_something_that_is_not_a_blob) {
  three_messages();
  sql("UPDATE message_body SET payload = 'text' WHERE seq = 2");
  EXPECT_NE(check().find("the stored payload is not a blob"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_message_whose_body_was_removed) {
  three_messages();
  sql("DELETE FROM message_body WHERE seq = 1");
  EXPECT_NE(check().find("its body (payload and seal) is missing"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_changed_client) {
  three_messages();
  sql("UPDATE message SET client = '000.00.13.H29/OTHER' WHERE seq = 1");
  EXPECT_NE(check().find("has no accepted record in the log"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_changed_service) {
  three_messages();
  sql("UPDATE message SET service = '000.00.13.H29/HOTICH/other/v1' WHERE seq = 1");
  EXPECT_NE(check().find("its service is not the one"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_changed_state_or_attempt_count) {
  three_messages();
  sql("UPDATE message SET state = 'accepted' WHERE seq = 2");  // a dead message put back behind the log's back
  EXPECT_NE(check().find("its state is 'accepted' but the log's last record for it says 'dead'"), std::string::npos)
      << check();
  sql("UPDATE message SET state = 'dead', attempts = 0 WHERE seq = 2");
  EXPECT_NE(check().find("delivery attempts"), std::string::npos) << check();
}

TEST_F(LogAuditTest, names_a_deleted_message_and_a_changed_seal) {
  three_messages();
  sql("UPDATE message_body SET seal = '{}' WHERE seq = 3");
  EXPECT_NE(check().find("stored seal is not the one the log recorded"), std::string::npos) << check();
  sql("DELETE FROM message_body WHERE seq = 3");
  sql("DELETE FROM message WHERE seq = 3");
  EXPECT_NE(check().find("which the store no longer holds"), std::string::npos) << check();
}

TEST_F(LogAuditTest, a_replayed_message_is_accepted_again) {
  three_messages();
  store_
      ->write([&](Transaction& tx) {
        tx.exec("UPDATE message SET state = 'accepted' WHERE id = 'm-2'");
        MessageLog::append(tx, "replay", kClient + " m-2", {{"after_attempts", 1}});
      })
      .get();
  EXPECT_EQ(check(), "");
}

TEST_F(LogAuditTest, an_expected_head_shows_records_removed_from_the_end) {
  three_messages();
  const LogHead kept = head();
  EXPECT_EQ(kept.count, 6);
  EXPECT_EQ(expect(kept), "");
  outcome("m-3", "delivered", 1);
  EXPECT_EQ(expect(kept), "") << "a log that grew still holds the head";
  sql("DELETE FROM message_log WHERE seq >= 6");
  EXPECT_NE(expect(kept).find("records were removed from its end"), std::string::npos) << expect(kept);
}

TEST_F(LogAuditTest, an_expected_head_shows_a_rewritten_log) {
  three_messages();
  const LogHead kept = head();
  sql("UPDATE message_log SET hash = '" + std::string(64, 'e') + "' WHERE seq = 6");
  EXPECT_NE(expect(kept).find("is not the one the expected head"), std::string::npos) << expect(kept);
}

TEST(LogHead, parses_what_it_prints_and_refuses_anything_else) {
  const LogHead h{42, std::string(64, 'a')};
  EXPECT_EQ(h.text(), "42:" + std::string(64, 'a'));
  EXPECT_EQ(LogHead::parse(h.text()), h);
  for (const std::string& bad :
       std::vector<std::string>{"", ":", "42", "42:", "x:" + std::string(64, 'a'), "42:" + std::string(63, 'a'),
                                "42:" + std::string(64, 'A'), "-1:" + std::string(64, 'a'),
                                "42:" + std::string(64, 'a') + "0", "99999999999999999999:" + std::string(64, 'a')})
    EXPECT_FALSE(LogHead::parse(bad)) << bad;
}

TEST(LogHead, the_leaf_covers_count_and_hash) {
  const LogHead h{7, std::string(64, 'a')};
  EXPECT_NE(log_head_leaf(h), log_head_leaf(LogHead{8, h.hash}));
  EXPECT_NE(log_head_leaf(h), log_head_leaf(LogHead{7, std::string(64, 'b')}));
}

}  // namespace
