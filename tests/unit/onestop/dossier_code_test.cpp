#include "lgsp/onestop/dossier_code.hpp"

#include "lgsp/bus/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using namespace std::chrono;
using lgsp::bus::Migration;
using lgsp::bus::SqliteStore;
using lgsp::bus::SqliteStoreOptions;
using lgsp::bus::Transaction;

namespace {

Date ymd(const char* text) { return *parse_date(text); }
TimePoint at(const char* date, int hour, int minute) { return at_local(ymd(date), minutes(hour * 60 + minute)); }

const std::vector<Migration> kMigrations = {{1, "dossier sequences", kDossierSequenceTableSql}};

class DossierCodeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-dossier-code-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  SqliteStoreOptions options(int delay_ms = 2) { return {dir_ / "lgsp.db", 512, milliseconds(delay_ms)}; }

  // One allocation in its own unit of work, waited for.
  static std::string allocate(SqliteStore& store, const std::string& agency, TimePoint t,
                              const DossierCodePattern& pattern = DossierCodePattern()) {
    std::string code;
    store.write([&](Transaction& tx) { code = allocate_dossier_code(tx, pattern, agency, t); }).get();
    return code;
  }
  fs::path dir_;
};

}  // namespace

TEST(DossierCodePattern, default_is_agency_day_and_four_digit_sequence) {
  DossierCodePattern pattern;
  EXPECT_EQ(pattern.text(), "{agency}-{yymmdd}-{seq}");
  EXPECT_EQ(pattern.format("000.00.13.H29", ymd("2026-02-23"), 7), "000.00.13.H29-260223-0007");
}

TEST(DossierCodePattern, seq_width_pads_to_at_least_n_digits) {
  // The shape of a real Ministry of Industry and Trade dossier code.
  DossierCodePattern pattern("{agency}-{yymmdd}-{seq:6}");
  EXPECT_EQ(pattern.format("G22.99", ymd("2025-12-25"), 20175), "G22.99-251225-020175");
  EXPECT_EQ(pattern.format("G22.99", ymd("2025-12-25"), 1234567), "G22.99-251225-1234567");
  EXPECT_EQ(DossierCodePattern().format("H29", ymd("2026-01-05"), 12345), "H29-260105-12345");
}

TEST(DossierCodePattern, formats_every_placeholder) {
  DossierCodePattern pattern("HS/{yyyy}/{mm}/{dd}/{agency}.{yy}#{seq:1}");
  EXPECT_EQ(pattern.format("H29", ymd("2026-03-04"), 9), "HS/2026/03/04/H29.26#9");
}

TEST(DossierCodePattern, rejects_malformed_patterns) {
  for (const char* bad : {
           "",                                 // no sequence
           "{agency}-{yymmdd}",                // no sequence
           "{agency}-{yymmdd}-{seq}-{seq:6}",  // two sequences
           "{agency}-{yymmdd}-{seq:0}",        // zero width
           "{agency}-{yymmdd}-{seq:19}",       // wider than any int64
           "{agency}-{yymmdd}-{seq:}",         // missing width
           "{agency}-{yymmdd}-{seq:x}",        // not a number
           "{agency}-{yymmdd}-{seq:-3}",       // not a number
           "{agency}-{yymmdd}-{sequence}",     // unknown placeholder
           "{agency}-{YYMMDD}-{seq}",          // placeholders are lower case
           "{agency}-{yymmdd}-{seq",           // never closed
           "{agency}-{yymmdd}-seq}",           // stray closing brace
           "{agency}-{yy{mm}dd}-{seq}",        // nested
           "{yymmdd}-{seq}",                   // no agency: two agencies would clash
           "{agency}-{seq}",                   // no day: codes would repeat the next day
           "{agency}-{yy}{mm}-{seq}",          // month only: repeats every day of the month
       }) {
    EXPECT_THROW(DossierCodePattern{bad}, DossierCodeError) << '"' << bad << '"';
  }
}

TEST(DossierCodePattern, refuses_to_format_an_empty_agency_or_a_non_positive_sequence) {
  DossierCodePattern pattern;
  EXPECT_THROW(pattern.format("", ymd("2026-01-05"), 1), DossierCodeError);
  EXPECT_THROW(pattern.format("H29", ymd("2026-01-05"), 0), DossierCodeError);
}

TEST_F(DossierCodeStoreTest, counts_per_agency_and_per_local_day) {
  SqliteStore store(options(), kMigrations);
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 9, 0)), "H29-261201-0001");
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 9, 1)), "H29-261201-0002");
  EXPECT_EQ(allocate(store, "H30", at("2026-12-01", 9, 2)), "H30-261201-0001");
  EXPECT_EQ(allocate(store, "H29", at("2026-12-02", 8, 0)), "H29-261202-0001");
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 16, 0)), "H29-261201-0003");
}

TEST_F(DossierCodeStoreTest, the_day_is_the_vietnamese_local_day) {
  SqliteStore store(options(), kMigrations);
  // 23:59 in Hanoi is 16:59 UTC on the same date; 00:00 is 17:00 UTC of the date before.
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 23, 59)), "H29-261201-0001");
  EXPECT_EQ(allocate(store, "H29", at("2026-12-02", 0, 0)), "H29-261202-0001");
}

TEST_F(DossierCodeStoreTest, allocates_with_a_custom_pattern) {
  SqliteStore store(options(), kMigrations);
  DossierCodePattern pattern("{agency}-{yymmdd}-{seq:6}");
  EXPECT_EQ(allocate(store, "G22.99", at("2025-12-25", 10, 0), pattern), "G22.99-251225-000001");
}

TEST_F(DossierCodeStoreTest, codes_are_not_reused_after_reopening_the_store) {
  {
    SqliteStore store(options(), kMigrations);
    EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 9, 0)), "H29-261201-0001");
  }
  SqliteStore store(options(), kMigrations);
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 9, 5)), "H29-261201-0002");
}

TEST_F(DossierCodeStoreTest, a_rolled_back_unit_gives_its_number_back_because_no_code_was_issued) {
  SqliteStore store(options(), kMigrations);
  auto failed = store.write([&](Transaction& tx) {
    allocate_dossier_code(tx, DossierCodePattern(), "H29", at("2026-12-01", 9, 0));
    throw std::runtime_error("the dossier insert failed");
  });
  EXPECT_ANY_THROW(failed.get());
  EXPECT_EQ(allocate(store, "H29", at("2026-12-01", 9, 1)), "H29-261201-0001");
}

TEST_F(DossierCodeStoreTest, concurrent_allocations_give_distinct_consecutive_codes) {
  SqliteStore store(options(5), kMigrations);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  const DossierCodePattern pattern("{agency}-{yymmdd}-{seq:6}");
  const TimePoint t = at("2026-12-01", 10, 0);
  std::vector<std::vector<std::string>> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::vector<std::shared_ptr<std::string>> slots;
      std::vector<std::future<void>> pending;
      for (int n = 0; n < kPerThread; ++n) {
        auto slot = std::make_shared<std::string>();
        slots.push_back(slot);
        pending.push_back(
            store.write([&, slot](Transaction& tx) { *slot = allocate_dossier_code(tx, pattern, "H29", t); }));
      }
      for (auto& f : pending) f.get();
      for (auto& s : slots) codes[i].push_back(*s);
    });
  }
  for (auto& th : threads) th.join();

  std::set<std::string> distinct;
  for (const auto& per_thread : codes) distinct.insert(per_thread.begin(), per_thread.end());
  ASSERT_EQ(distinct.size(), std::size_t(kThreads * kPerThread));
  // Consecutive: exactly 000001..001600, no gap and no duplicate.
  std::set<std::string> expected;
  for (int n = 1; n <= kThreads * kPerThread; ++n) expected.insert(pattern.format("H29", ymd("2026-12-01"), n));
  EXPECT_EQ(distinct, expected);
  EXPECT_LT(store.stats().commits, store.stats().units) << "the allocations did not share commits";
}
