#include "lgsp/bus/timestamp.hpp"

#include <cstdio>
#include <ctime>
#include <string_view>

namespace lgsp::bus {

std::string utc_rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
  const std::time_t secs = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // generous: the compiler cannot bound tm fields
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return buf;
}

bool clock_holds_year(int y) {
  using namespace std::chrono;
  // The first and last years the clock holds whole (its ends fall inside 1677 and 2262).
  static const int first = int(year_month_day{ceil<days>(system_clock::time_point::min())}.year()) + 1;
  static const int last = int(year_month_day{floor<days>(system_clock::time_point::max())}.year()) - 1;
  return y >= first && y <= last;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_rfc3339(const std::string& text) {
  using namespace std::chrono;
  // Exactly the shape utc_rfc3339 writes: no sign, no trailing bytes, no field out of range (sscanf and timegm
  // took "-001-13-40T99:99:99.999Zjunk" and normalised it).
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto number = [&text](std::size_t at, std::size_t length) {
    unsigned n = 0;
    for (std::size_t i = at; i < at + length; ++i) n = n * 10 + static_cast<unsigned>(text[i] - '0');
    return n;
  };
  const year_month_day date{year{static_cast<int>(number(0, 4))}, month{number(5, 2)}, day{number(8, 2)}};
  const unsigned hh = number(11, 2), mm = number(14, 2), ss = number(17, 2), ms = number(20, 3);
  if (!date.ok() || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  // The node writes no time before 1970, and none beyond what the clock holds.
  if (date.year() < year{1970} || !clock_holds_year(int(date.year()))) return std::nullopt;
  return sys_days(date) + hours(hh) + minutes(mm) + seconds(ss) + milliseconds(ms);
}

}  // namespace lgsp::bus
