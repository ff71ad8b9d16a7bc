// The refusal recorder on a real SQLite store with the node's schema: a flood is counted but only
// sampled, values are cut short, and old or surplus events are deleted.
#include "lgsp/bus/refusal_recorder.hpp"

#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <future>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

class RefusalRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-refusals-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::make_unique<SqliteStore>(SqliteStoreOptions{dir_ / "lgsp.db"}, node_migrations());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // Waits until every write handed to the store before is durable (the writer keeps their order).
  void settle() {
    store_->write([](Transaction&) {}).get();
  }
  void prune(RefusalRecorder& r) {
    std::promise<void> done;
    r.prune([&] { done.set_value(); });
    done.get_future().get();
  }
  std::int64_t scalar(const std::string& sql) {
    std::int64_t n = -1;
    store_->read([&](Transaction& tx) {
      // The one column of a scalar query, whatever its name.
      auto row = tx.query(sql).at(0);
      n = row.optional_integer(row.columns().at(0)).value_or(0);
    });
    return n;
  }
  std::function<Store*()> store() {
    return [this] { return store_.get(); };
  }

  fs::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(RefusalRecorderTest, a_flood_is_counted_but_only_a_bounded_sample_is_stored) {
  Metrics metrics;
  RefusalRecorderOptions options;
  options.per_code_per_minute = 5;
  options.per_minute = 8;
  options.max_value_bytes = 64;
  RefusalRecorder recorder(store(), &metrics, options);
  const std::string big(15000, 'x');
  for (int i = 0; i < 3000; ++i)
    recorder.record(RefusalRecorder::kMessage, i % 2 ? "LGSP-401-AUTH" : "LGSP-400-HEADER", i % 2 ? 401 : 400,
                    {{"client", big}, {"service", big}, {"message_id", big}, {"remote", "10.0.0.1:1"}});
  settle();
  EXPECT_EQ(recorder.totals().counted, 3000u);
  EXPECT_EQ(recorder.totals().stored, 8u);
  EXPECT_EQ(scalar("SELECT count(*) FROM node_event"), 8);
  EXPECT_LE(scalar("SELECT count(*) FROM node_event WHERE detail LIKE '%LGSP-401-AUTH%'"), 5);
  EXPECT_LE(scalar("SELECT max(length(detail)) FROM node_event"), static_cast<std::int64_t>(4 * (64 + 10) + 100));
  const auto text = metrics.render();
  EXPECT_NE(text.find(R"(lgsp_refusals_total{code="LGSP-401-AUTH",kind="message.rejected"} 1500)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(lgsp_refusals_unrecorded_total{kind="message.rejected"} 2992)"), std::string::npos);
}

TEST_F(RefusalRecorderTest, values_are_cut_and_made_safe_and_never_break_the_json) {
  RefusalRecorder recorder(store(), nullptr);
  std::string hostile = "\xff\xfe\x01\"\\ok";
  hostile += std::string("\xc3\xa1", 2);  // á stays
  hostile += std::string("\xc0\xae", 2);  // an overlong '.' does not
  hostile += std::string(1000, '\x01');   // 6 bytes each once escaped, were they kept
  recorder.record(RefusalRecorder::kHttp, "LGSP-400-MALFORMED", 400, {{"remote", hostile}});
  settle();
  std::string detail;
  store_->read([&](Transaction& tx) { detail = tx.query("SELECT detail FROM node_event").at(0).text("detail"); });
  auto j = nlohmann::json::parse(detail);
  const auto remote = j["remote"].get<std::string>();
  EXPECT_EQ(remote.rfind(std::string(5, '?') + "ok\xc3\xa1" + "??", 0), 0u) << remote;
  EXPECT_LE(remote.size(), 256u + 3);
  EXPECT_EQ(j["code"], "LGSP-400-MALFORMED");
  EXPECT_EQ(j["status"], 400);
  EXPECT_LE(detail.size(), recorder.max_event_bytes());
}

TEST_F(RefusalRecorderTest, a_problem_answer_is_recorded_with_its_code_and_reason) {
  RefusalRecorder recorder(store(), nullptr);
  recorder.record(RefusalRecorder::kCall, problem(errors::kForbidden, "'A' is not granted 'B'"), {{"client", "A"}});
  settle();
  auto j = nlohmann::json::parse([&] {
    std::string d;
    store_->read([&](Transaction& tx) {
      d = tx.query("SELECT detail FROM node_event WHERE kind = 'call.rejected'").at(0).text("detail");
    });
    return d;
  }());
  EXPECT_EQ(j["code"], "LGSP-403-ACL");
  EXPECT_EQ(j["status"], 403);
  EXPECT_EQ(j["client"], "A");
  EXPECT_EQ(j["detail"], "'A' is not granted 'B'");
}

TEST_F(RefusalRecorderTest, pruning_deletes_expired_events_and_the_oldest_beyond_the_row_cap_only) {
  store_
      ->write([](Transaction& tx) {
        for (int i = 0; i < 30; ++i)
          tx.exec(
              "INSERT INTO node_event(kind, at, detail) VALUES ('http.rejected', '2001-01-01T00:00:00.000Z', '{}')");
        for (int i = 0; i < 20; ++i) {
          const Value p[] = {std::string(i % 2 ? "message.rejected" : "call.rejected"), std::to_string(i)};
          tx.exec("INSERT INTO node_event(kind, detail) VALUES (?, ?)", p);
        }
        tx.exec("INSERT INTO node_event(kind, at, detail) VALUES ('node.started', '2001-01-01T00:00:00.000Z', '{}')");
      })
      .get();
  RefusalRecorderOptions options;
  options.max_rows = 5;
  RefusalRecorder recorder(store(), nullptr, options);
  prune(recorder);
  EXPECT_EQ(scalar("SELECT count(*) FROM node_event WHERE kind = 'http.rejected'"), 0) << "expired";
  EXPECT_EQ(scalar("SELECT count(*) FROM node_event WHERE kind IN ('message.rejected', 'call.rejected')"), 5);
  EXPECT_EQ(scalar("SELECT min(CAST(detail AS INTEGER)) FROM node_event WHERE kind <> 'node.started'"), 15)
      << "the newest are kept";
  EXPECT_EQ(scalar("SELECT count(*) FROM node_event WHERE kind = 'node.started'"), 1) << "other kinds are not ours";
}

TEST_F(RefusalRecorderTest, recording_prunes_at_intervals) {
  RefusalRecorderOptions options;
  options.max_rows = 3;
  options.per_code_per_minute = 1000;
  options.per_minute = 1000;
  options.prune_every = std::chrono::seconds(0);
  RefusalRecorder recorder(store(), nullptr, options);
  for (int i = 0; i < 50; ++i) recorder.record(RefusalRecorder::kHttp, "LGSP-400-MALFORMED", 400, {});
  settle();
  EXPECT_LE(scalar("SELECT count(*) FROM node_event"), 4) << "at most one written after the last prune";
}

TEST_F(RefusalRecorderTest, without_a_store_refusals_are_still_counted) {
  RefusalRecorder recorder([]() -> Store* { return nullptr; }, nullptr);
  recorder.record(RefusalRecorder::kHttp, "LGSP-413-TOO-LARGE", 413, {});
  EXPECT_EQ(recorder.totals().counted, 1u);
  prune(recorder);
}

}  // namespace
