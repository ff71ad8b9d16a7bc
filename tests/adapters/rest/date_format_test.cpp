#include "date_format.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using lgsp::adapters::rest::DateFormat;
using lgsp::adapters::rest::parse_iso;

TEST(DateFormat, legacy_date_becomes_iso_date) {
  const auto f = DateFormat::parse("dd/MM/yyyy");
  EXPECT_EQ(f.to_iso("25/12/1990"), "1990-12-25");
  EXPECT_EQ(f.from_iso("1990-12-25"), "25/12/1990");
}

TEST(DateFormat, legacy_time_gets_the_legacy_offset) {
  const auto f = DateFormat::parse("dd/MM/yyyy HH:mm:ss", "+07:00");
  EXPECT_EQ(f.to_iso("01/03/2026 08:30:05"), "2026-03-01T08:30:05+07:00");
}

TEST(DateFormat, contract_time_in_utc_moves_to_legacy_clock_across_midnight) {
  const auto f = DateFormat::parse("yyyyMMddHHmm", "+07:00");
  EXPECT_EQ(f.from_iso("2026-12-31T20:15:00Z"), "202701010315");
  EXPECT_EQ(f.from_iso("2026-12-31T20:15:00.123+00:00"), "202701010315");
}

TEST(DateFormat, refuses_what_is_not_a_real_date) {
  const auto f = DateFormat::parse("dd/MM/yyyy");
  EXPECT_FALSE(f.to_iso("31/02/2026"));
  EXPECT_FALSE(f.to_iso("29/02/2025"));
  EXPECT_TRUE(f.to_iso("29/02/2024"));
  EXPECT_FALSE(f.to_iso("1/2/2026"));
  EXPECT_FALSE(f.to_iso("01/02/2026 "));
  EXPECT_FALSE(f.to_iso("2026-02-01"));
  EXPECT_FALSE(f.from_iso("25/12/1990"));
  EXPECT_FALSE(parse_iso("2026-12-25T10:00:00"));  // a time without a zone is ambiguous
}

TEST(DateFormat, refuses_a_pattern_with_unknown_letters_or_missing_parts) {
  EXPECT_THROW(DateFormat::parse("DD/MM/yyyy"), std::invalid_argument);
  EXPECT_THROW(DateFormat::parse("dd/MM"), std::invalid_argument);
  EXPECT_THROW(DateFormat::parse("dd/MM/yyyy HH"), std::invalid_argument);
  EXPECT_THROW(DateFormat::parse("dd/MM/yyyy/dd"), std::invalid_argument);
  EXPECT_THROW(DateFormat::parse("dd/MM/yyyy", "7"), std::invalid_argument);
}
