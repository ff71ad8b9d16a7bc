#include "lgsp/onestop/local_time.hpp"

#include <gtest/gtest.h>

using namespace lgsp::onestop;
using namespace std::chrono;

TEST(LocalTime, formats_in_vietnam_time_whatever_the_instant) {
  auto t = parse_rfc3339("2025-11-20T02:31:12Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_local_rfc3339(*t), "2025-11-20T09:31:12+07:00");
  EXPECT_EQ(format_dvcqg(*t), "20251120093112");
  EXPECT_EQ(format_date(local_date(*t)), "2025-11-20");
  EXPECT_EQ(local_time_of_day(*t), minutes(9 * 60 + 31));
}

TEST(LocalTime, local_midnight_belongs_to_the_new_day) {
  auto t = parse_rfc3339("2025-12-31T17:00:00Z");  // 00:00 on 1 January in Hanoi
  ASSERT_TRUE(t);
  EXPECT_EQ(format_date(local_date(*t)), "2026-01-01");
  EXPECT_EQ(at_local(year(2026) / 1 / 1, minutes(0)), *t);
}

TEST(LocalTime, parses_offsets_and_fractions) {
  auto a = parse_rfc3339("2025-11-20T09:31:12+07:00");
  auto b = parse_rfc3339("2025-11-20T02:31:12.000Z");
  auto c = parse_rfc3339("2025-11-19T21:31:12.5-05:00");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*c - *a, milliseconds(500));
}

TEST(LocalTime, refuses_times_without_offset_or_with_bad_fields) {
  for (const char* bad : {"2025-11-20T09:31:12", "2025-11-20 09:31:12+07:00", "2025-02-30T09:31:12Z",
                          "2025-11-20T24:00:00Z", "2025-11-20T09:31:12+0700", "2025-11-20T09:31:12Zjunk", ""})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  EXPECT_FALSE(parse_date("2025-13-01"));
  EXPECT_FALSE(parse_date("2025-1-01"));
}

TEST(LocalTime, refuses_dates_the_clock_cannot_hold) {
  // TimePoint counts nanoseconds in 64 bits: 0001 or 9999 would overflow it (undefined, wrapping to 1700s).
  for (const char* beyond : {"0001-01-01", "1677-12-31", "2262-01-01", "9999-12-31"}) {
    EXPECT_FALSE(parse_date(beyond)) << beyond;
    EXPECT_FALSE(parse_date_or_time(beyond)) << beyond;
    EXPECT_FALSE(parse_rfc3339(std::string(beyond) + "T00:00:00Z")) << beyond;
  }
  ASSERT_TRUE(parse_date("1678-01-01"));
  ASSERT_TRUE(parse_date_or_time("2261-12-31"));
  EXPECT_EQ(format_date(local_date(*parse_date_or_time("2261-12-31"))), "2261-12-31");
  EXPECT_EQ(format_date(local_date(*parse_date_or_time("1930-05-02"))), "1930-05-02");
}

TEST(LocalTime, a_period_bound_is_a_date_at_local_midnight_or_a_time) {
  EXPECT_EQ(parse_date_or_time("2026-11-01"), parse_rfc3339("2026-10-31T17:00:00Z"));
  EXPECT_EQ(parse_date_or_time("2026-11-01T08:00:00+07:00"), parse_rfc3339("2026-11-01T01:00:00Z"));
  EXPECT_FALSE(parse_date_or_time("01/11/2026"));
}
