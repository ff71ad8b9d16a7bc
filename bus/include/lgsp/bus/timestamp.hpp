// Times as the node writes them: RFC 3339 in UTC with milliseconds ("2026-11-23T06:40:00.123Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace lgsp::bus {

std::string utc_rfc3339(std::chrono::system_clock::time_point t);
inline std::string utc_now_rfc3339() { return utc_rfc3339(std::chrono::system_clock::now()); }
// Whether every day of `year` fits system_clock, which counts nanoseconds in 64 bits (years 1678 to 2261): a date
// outside cannot become a time point without overflowing, so a parser refuses it (derived from the clock itself).
bool clock_holds_year(int year);
// Reads back what utc_rfc3339 writes; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc_rfc3339(const std::string& text);

}  // namespace lgsp::bus
