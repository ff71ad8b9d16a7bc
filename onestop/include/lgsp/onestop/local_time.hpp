// Vietnam's civil time (UTC+07:00 all year, no daylight saving): the time every one-stop rule is stated in.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace lgsp::onestop {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using Date = std::chrono::year_month_day;

inline constexpr std::chrono::minutes kVietnamUtcOffset{7 * 60};

// The local (UTC+7) calendar date of an instant.
Date local_date(TimePoint t);
// Minutes since local midnight of an instant (0..1439).
std::chrono::minutes local_time_of_day(TimePoint t);
// The instant at `minutes` after local midnight of `day`.
TimePoint at_local(Date day, std::chrono::minutes minutes);

// "2025-11-20T09:31:12+07:00": what the contracts (onestop.*@v1) carry.
std::string format_local_rfc3339(TimePoint t);
// Reads any RFC 3339 time with an explicit offset ("Z" or ±hh:mm), fractional seconds allowed; nullopt otherwise.
std::optional<TimePoint> parse_rfc3339(const std::string& text);
// "2025-11-20"; and back (nullopt when not a valid date).
std::string format_date(Date d);
std::optional<Date> parse_date(const std::string& text);
// A date "2026-11-01" (its local midnight) or an RFC 3339 time: how periods are given to reports.
std::optional<TimePoint> parse_date_or_time(const std::string& text);
// "yyyyMMddHHmmss" in local time: the national portal's (DVCQG) date format.
std::string format_dvcqg(TimePoint t);

}  // namespace lgsp::onestop
