// Dates as a legacy system writes them ("dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss") and as contracts write them
// (ISO 8601 / RFC 3339: "2026-12-25", "2026-12-25T08:30:00+07:00"), converted both ways.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters::rest {

// One calendar moment as written: a date, and a time of day with a UTC offset when `has_time`.
struct CivilTime {
  int year = 0, month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  bool has_time = false;
  int offset_minutes = 0;  // east of UTC; meaningful with has_time
};

// A legacy pattern: yyyy, MM, dd, HH, mm, ss (fixed width, digits only) and any other character taken
// literally. Letters other than these tokens are refused, so a typo ("DD/MM/yyyy") fails at load.
class DateFormat {
 public:
  // Throws std::invalid_argument saying what is wrong with the pattern.
  // `offset` ("+07:00") is the legacy system's local time zone: a legacy time carries none.
  static DateFormat parse(std::string_view pattern, std::string_view offset = "+07:00");

  const std::string& pattern() const { return pattern_; }
  bool has_time() const { return has_time_; }

  // Legacy text -> ISO text: "yyyy-MM-dd", or RFC 3339 with the legacy offset when the pattern has a time.
  // nullopt when `text` does not match the pattern or is not a real date.
  std::optional<std::string> to_iso(std::string_view text) const;
  // ISO text (a date, or an RFC 3339 date-time in any offset, moved to the legacy offset) -> legacy text.
  std::optional<std::string> from_iso(std::string_view text) const;

 private:
  enum class Kind { literal, year, month, day, hour, minute, second };
  struct Token {
    Kind kind;
    char literal = 0;
  };
  std::string pattern_;
  std::vector<Token> tokens_;
  bool has_time_ = false;
  int offset_minutes_ = 0;
};

// "2026-12-25" or RFC 3339 ("2026-12-25T08:30:00.5+07:00", "…Z"); nullopt when malformed or not a real date.
std::optional<CivilTime> parse_iso(std::string_view text);
// Parses "+07:00" / "-03:30" / "Z"; nullopt otherwise.
std::optional<int> parse_offset(std::string_view text);
bool is_real_date(int year, int month, int day);

}  // namespace lgsp::adapters::rest
