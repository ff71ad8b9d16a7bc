// LogRepository's and EventRepository's behaviour, on every backend.
#include "repository_test.hpp"

#include <thread>

namespace lgsp::bus::test {
namespace {

using LogRepositoryTest = RepositoryTest;
using EventRepositoryTest = RepositoryTest;

StoredLogRecord record(std::int64_t seq, const std::string& kind = "accepted") {
  return {seq,
          "2026-12-04T08:00:0" + std::to_string(seq % 10) + ".000Z",
          kind,
          "000.00.13.H29/MOTCUA m" + std::to_string(seq),
          R"({"n":)" + std::to_string(seq) + "}",
          seq == 1 ? std::string(64, '0') : "hash-" + std::to_string(seq - 1),
          "hash-" + std::to_string(seq)};
}

TEST_P(LogRepositoryTest, an_empty_log_has_no_last_record) {
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_FALSE(r.log.last(tx));
    EXPECT_FALSE(r.log.last_kind_and_subject(tx));
    EXPECT_FALSE(r.log.last_not_timestamp(tx));
    EXPECT_TRUE(r.log.range(tx, 1, INT64_MAX).empty());
    EXPECT_FALSE(r.log.hash_at(tx, 1));
  });
}

TEST_P(LogRepositoryTest, appended_records_are_read_back_whole_and_in_order) {
  write([](const Repositories& r, Transaction& tx) {
    for (std::int64_t seq = 1; seq <= 4; ++seq) r.log.append(tx, record(seq, seq == 4 ? "timestamp" : "attempt"));
  });
  read([](const Repositories& r, Transaction& tx) {
    auto last = r.log.last(tx);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->seq, 4);
    EXPECT_EQ(last->hash, "hash-4");
    auto kind_subject = r.log.last_kind_and_subject(tx);
    ASSERT_TRUE(kind_subject);
    EXPECT_EQ(kind_subject->first, "timestamp");
    EXPECT_EQ(kind_subject->second, "000.00.13.H29/MOTCUA m4");
    auto stamped = r.log.last_not_timestamp(tx);
    ASSERT_TRUE(stamped);
    EXPECT_EQ(stamped->seq, 3) << "a time stamp does not stamp itself";
    EXPECT_EQ(r.log.hash_at(tx, 2), "hash-2");
    EXPECT_EQ(r.log.range(tx, 2, 3), (std::vector<StoredLogRecord>{record(2, "attempt"), record(3, "attempt")}));
    EXPECT_EQ(r.log.range(tx, 1, INT64_MAX).size(), 4u);
  });
  EXPECT_THROW(write([](const Repositories& r, Transaction& tx) { r.log.append(tx, record(4)); }), StoreError)
      << "a seq is taken once";
}

TEST_P(LogRepositoryTest, sealed_heads_are_kept_oldest_first) {
  write([](const Repositories& r, Transaction& tx) {
    r.log.insert_sealed_head(tx, {3, "hash-3"}, "2026-12-04T08:00:00Z", R"({"sig":"a"})");
    r.log.insert_sealed_head(tx, {7, "hash-7"}, "2026-12-04T09:00:00Z", R"({"sig":"b"})");
  });
  read([](const Repositories& r, Transaction& tx) {
    auto heads = r.log.sealed_heads(tx);
    ASSERT_EQ(heads.size(), 2u);
    EXPECT_EQ(heads[0].head, (LogHead{3, "hash-3"}));
    EXPECT_EQ(heads[0].sealed_at, "2026-12-04T08:00:00Z");
    EXPECT_EQ(heads[1].seal, R"({"sig":"b"})");
    EXPECT_LT(heads[0].id, heads[1].id);
  });
}

TEST_P(LogRepositoryTest, a_seal_certificate_is_stored_once_and_only_its_chain_changes) {
  write([](const Repositories& r, Transaction& tx) {
    r.log.store_seal_certificate(tx, "sha-a", {"CERT-A", "[]"});
    r.log.store_seal_certificate(tx, "sha-a", {"CERT-A", "[]"});  // the same again: nothing changes
    r.log.store_seal_certificate(tx, "sha-b", {"CERT-B", "[]"});
  });
  read([](const Repositories& r, Transaction& tx) {
    auto held = r.log.seal_certificates(tx);
    ASSERT_EQ(held.size(), 2u);
    EXPECT_EQ(held.at("sha-a").cert, "CERT-A");
    EXPECT_EQ(held.at("sha-a").chain, "[]");
  });
  write([](const Repositories& r, Transaction& tx) {
    r.log.store_seal_certificate(tx, "sha-a", {"CERT-A", R"(["ISSUER"])"});
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(r.log.seal_certificates(tx).at("sha-a").chain, R"(["ISSUER"])") << "a chain given later is kept";
  });
}

TEST_P(EventRepositoryTest, events_are_kept_newest_first_and_pruned_by_age_and_count) {
  write([](const Repositories& r, Transaction& tx) {
    for (int i = 0; i < 5; ++i) r.events.insert(tx, "http.rejected", R"({"n":)" + std::to_string(i) + "}");
    r.events.insert(tx, "message.rejected", R"({"n":9})");
    r.events.insert(tx, "node.started", "{}");
  });
  read([](const Repositories& r, Transaction& tx) {
    auto latest = r.events.latest(tx, "http.rejected", 2);
    ASSERT_EQ(latest.size(), 2u);
    EXPECT_EQ(latest[0].detail, R"({"n":4})");
    EXPECT_EQ(latest[0].kind, "http.rejected");
    EXPECT_FALSE(latest[0].at.empty());
  });
  write([](const Repositories& r, Transaction& tx) {
    r.events.keep_newest(tx, {"http.rejected", "message.rejected"}, 3);
  });
  read([](const Repositories& r, Transaction& tx) {
    auto http = r.events.latest(tx, "http.rejected", 10);
    ASSERT_EQ(http.size(), 2u) << "the newest 3 of both kinds: 2 http, 1 message";
    EXPECT_EQ(http.back().detail, R"({"n":3})");
    EXPECT_EQ(r.events.latest(tx, "message.rejected", 10).size(), 1u);
    EXPECT_EQ(r.events.latest(tx, "node.started", 10).size(), 1u) << "other kinds are not counted or pruned";
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write([](const Repositories& r, Transaction& tx) {
    r.events.delete_older(tx, "http.rejected", std::chrono::hours(1));
  });
  read([](const Repositories& r, Transaction& tx) { EXPECT_EQ(r.events.latest(tx, "http.rejected", 10).size(), 2u); });
  write([](const Repositories& r, Transaction& tx) {
    r.events.delete_older(tx, "http.rejected", std::chrono::seconds(0));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.events.latest(tx, "http.rejected", 10).empty());
    EXPECT_EQ(r.events.latest(tx, "message.rejected", 10).size(), 1u) << "only the kind named";
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, LogRepositoryTest, all_backends(), [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Backends, EventRepositoryTest, all_backends(), [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lgsp::bus::test
