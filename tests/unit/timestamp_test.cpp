// parse_utc_rfc3339 reads back exactly what utc_rfc3339 writes, and nothing else (a seal's signed_at is
// checked with it). Found by fuzzing (tests/fuzz/regressions/ids/rfc3339-year-0226-overflow).
#include "lgsp/bus/timestamp.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono;
using lgsp::bus::clock_holds_year;
using lgsp::bus::parse_utc_rfc3339;
using lgsp::bus::utc_rfc3339;

TEST(Timestamp, reads_back_what_it_writes) {
  const auto t = sys_days(year{2026} / December / 4) + hours(6) + minutes(40) + seconds(1) + milliseconds(123);
  EXPECT_EQ(utc_rfc3339(t), "2026-12-04T06:40:01.123Z");
  ASSERT_TRUE(parse_utc_rfc3339("2026-12-04T06:40:01.123Z"));
  EXPECT_EQ(*parse_utc_rfc3339("2026-12-04T06:40:01.123Z"), t);
  EXPECT_EQ(*parse_utc_rfc3339("2024-02-29T23:59:59.999Z"),
            sys_days(year{2024} / February / 29) + hours(23) + minutes(59) + seconds(59) + milliseconds(999));
}

TEST(Timestamp, refuses_a_year_the_clock_cannot_hold) {
  // Year 226 in nanoseconds overflows a 64-bit count (undefined behaviour before the fix).
  EXPECT_FALSE(parse_utc_rfc3339("0226-12-03T06:40:00.123Z"));
  EXPECT_FALSE(parse_utc_rfc3339("9999-12-31T23:59:59.999Z"));
  EXPECT_FALSE(parse_utc_rfc3339("1969-12-31T23:59:59.999Z"));
}

TEST(Timestamp, the_years_the_clock_holds_are_derived_from_it) {
  // libstdc++'s system_clock: nanoseconds in 64 bits, from 1677-09-21 to 2262-04-11; only whole years count.
  EXPECT_FALSE(clock_holds_year(1677));
  EXPECT_TRUE(clock_holds_year(1678));
  EXPECT_TRUE(clock_holds_year(2261));
  EXPECT_FALSE(clock_holds_year(2262));
  EXPECT_FALSE(clock_holds_year(0));
  EXPECT_TRUE(parse_utc_rfc3339("2261-12-31T23:59:59.999Z"));
}

TEST(Timestamp, refuses_anything_but_the_exact_shape) {
  for (const char* text : {"2026-12-04T06:40:01.123Zjunk", "2026-12-04T06:40:01.123", "2026-12-04T06:40:01Z",
                           "2026-13-04T06:40:01.123Z", "2026-02-30T06:40:01.123Z", "2026-12-04T24:00:00.000Z",
                           "2026-12-04T06:60:01.123Z", "2026-12-04T06:40:60.123Z", "-026-12-04T06:40:01.123Z",
                           "2026-12-04t06:40:01.123Z", "2026-1-04T06:40:01.1234Z", " 2026-12-04T06:40:01.123Z", ""})
    EXPECT_FALSE(parse_utc_rfc3339(text)) << text;
}

}  // namespace
