// The runner's dead letters: one SQLite file, rows per adapter, bounded, kept across restarts.
#include "lgsp/adapters/dead_letters.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace fs = std::filesystem;
using lgsp::adapters::DeadLetterStore;

namespace {

class DeadLetterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-adapter-dlq-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file() const { return dir_ / "state" / "dead-letters.sqlite"; }
  fs::path dir_;
};

TEST_F(DeadLetterStoreTest, adds_lists_and_gets_a_letter_per_adapter) {
  DeadLetterStore store(file());
  auto& a = store.for_adapter("hotich-export");
  auto& b = store.for_adapter("soap-in");
  auto id = a.add("dossier-1.json", "400 LGSP-400-CONTRACT: /name: required", "{\"x\":1}", "{\"service\":\"S\"}");
  b.add("row-7", "legacy down", "", "{}");
  ASSERT_EQ(a.count(), 1);
  auto listed = a.list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, id);
  EXPECT_EQ(listed[0].adapter, "hotich-export");
  EXPECT_EQ(listed[0].key, "dossier-1.json");
  EXPECT_EQ(listed[0].payload, "{\"x\":1}");
  EXPECT_EQ(listed[0].detail, "{\"service\":\"S\"}");
  EXPECT_EQ(listed[0].attempts, 0);
  EXPECT_EQ(listed[0].created_at.size(), 20u) << listed[0].created_at;
  EXPECT_FALSE(b.get(id)) << "an adapter sees only its own letters";
  EXPECT_TRUE(store.get(id));
  EXPECT_EQ(store.list_all().size(), 2u);
}

TEST_F(DeadLetterStoreTest, keeps_binary_payloads_as_they_are) {
  DeadLetterStore store(file());
  std::string payload("a\0b\xff", 4);
  auto id = store.for_adapter("x").add("k", "r", payload, "{}");
  EXPECT_EQ(store.get(id)->payload, payload);
}

TEST_F(DeadLetterStoreTest, remove_and_failed_again) {
  DeadLetterStore store(file());
  auto& a = store.for_adapter("a");
  auto first = a.add("k1", "first reason", "p", "{}");
  auto second = a.add("k2", "r", "p", "{}");
  a.failed_again(first, "second reason");
  a.failed_again(first, "third reason");
  auto letter = a.get(first);
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->attempts, 2);
  EXPECT_EQ(letter->reason, "third reason");
  a.remove(second);
  EXPECT_FALSE(a.get(second));
  EXPECT_EQ(a.count(), 1);
  store.for_adapter("b").remove(first);
  EXPECT_TRUE(a.get(first)) << "another adapter's view cannot remove it";
}

TEST_F(DeadLetterStoreTest, keeps_the_newest_within_the_bound_and_counts_the_dropped) {
  DeadLetterStore store(file(), 3);
  auto& a = store.for_adapter("a");
  for (int i = 1; i <= 5; ++i) a.add("k" + std::to_string(i), "r", "", "{}");
  store.for_adapter("b").add("other", "r", "", "{}");
  auto listed = a.list();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed.front().key, "k3");
  EXPECT_EQ(listed.back().key, "k5");
  EXPECT_EQ(store.dropped("a"), 2);
  EXPECT_EQ(store.dropped("b"), 0);
  EXPECT_EQ(store.count("b"), 1) << "another adapter's letters are not dropped for it";
}

TEST_F(DeadLetterStoreTest, cuts_long_reasons_to_2_kb_and_refuses_oversized_payloads) {
  DeadLetterStore store(file());
  auto& a = store.for_adapter("a");
  auto id = a.add(std::string(5000, 'k'), std::string(10000, 'r'), "", "{}");
  auto letter = a.get(id);
  EXPECT_LE(letter->reason.size(), DeadLetterStore::kMaxReasonBytes);
  EXPECT_EQ(letter->reason.substr(letter->reason.size() - 4), " …");
  EXPECT_LE(letter->key.size(), DeadLetterStore::kMaxKeyBytes);
  EXPECT_THROW(a.add("k", "r", std::string(DeadLetterStore::kMaxPayloadBytes + 1, 'p'), "{}"), std::length_error);
  EXPECT_THROW(a.add("k", "r", "", std::string(DeadLetterStore::kMaxDetailBytes + 1, 'd')), std::length_error);
  EXPECT_EQ(a.count(), 1);
}

TEST_F(DeadLetterStoreTest, survives_a_reopen) {
  std::int64_t id = 0;
  {
    DeadLetterStore store(file());
    id = store.for_adapter("a").add("k", "why", "payload", "{}");
    store.for_adapter("a").failed_again(id, "again");
  }
  DeadLetterStore again(file());
  auto letter = again.for_adapter("a").get(id);
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->payload, "payload");
  EXPECT_EQ(letter->attempts, 1);
  auto next = again.for_adapter("a").add("k2", "r", "", "{}");
  EXPECT_GT(next, id) << "ids are never reused";
}

TEST_F(DeadLetterStoreTest, pages_with_after_and_limit) {
  DeadLetterStore store(file());
  auto& a = store.for_adapter("a");
  for (int i = 0; i < 5; ++i) a.add("k" + std::to_string(i), "r", "", "{}");
  auto first = a.list(0, 2);
  ASSERT_EQ(first.size(), 2u);
  auto rest = a.list(first.back().id, 100);
  EXPECT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest.front().key, "k2");
}

}  // namespace
