#include "date_format.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace lgsp::adapters::rest {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::string two(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

std::string four(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04d", v);
  return b;
}

std::string offset_text(int minutes) {
  const char sign = minutes < 0 ? '-' : '+';
  const int m = minutes < 0 ? -minutes : minutes;
  return std::string(1, sign) + two(m / 60) + ":" + two(m % 60);
}

// Moves `t` (with its own offset) to `offset_minutes`, across day, month and year boundaries.
CivilTime shift_to(const CivilTime& t, int offset_minutes) {
  using namespace std::chrono;
  const sys_days day = year_month_day{year{t.year}, month{static_cast<unsigned>(t.month)},
                                      std::chrono::day{static_cast<unsigned>(t.day)}};
  const auto utc = day + hours{t.hour} + minutes{t.minute - t.offset_minutes} + seconds{t.second};
  const auto local = utc + minutes{offset_minutes};
  const auto local_day = floor<days>(local);
  const year_month_day ymd{local_day};
  const hh_mm_ss<seconds> tod{duration_cast<seconds>(local - local_day)};
  CivilTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(tod.hours().count());
  out.minute = static_cast<int>(tod.minutes().count());
  out.second = static_cast<int>(tod.seconds().count());
  out.has_time = true;
  out.offset_minutes = offset_minutes;
  return out;
}

}  // namespace

bool is_real_date(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::optional<int> parse_offset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  int h = 0, m = 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' || !digits(text, 1, 2, h) ||
      !digits(text, 4, 2, m) || h > 23 || m > 59)
    return std::nullopt;
  return (text[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::optional<CivilTime> parse_iso(std::string_view s) {
  CivilTime t;
  if (!digits(s, 0, 4, t.year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, t.month) || s[7] != '-' ||
      !digits(s, 8, 2, t.day) || !is_real_date(t.year, t.month, t.day))
    return std::nullopt;
  if (s.size() == 10) return t;
  if (s[10] != 'T' && s[10] != 't') return std::nullopt;
  if (!digits(s, 11, 2, t.hour) || s.size() < 19 || s[13] != ':' || !digits(s, 14, 2, t.minute) || s[16] != ':' ||
      !digits(s, 17, 2, t.second) || t.hour > 23 || t.minute > 59 || t.second > 60)
    return std::nullopt;
  std::size_t at = 19;
  if (at < s.size() && s[at] == '.') {  // fractions of a second: legacy formats have none, so they are dropped
    ++at;
    const std::size_t first = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
    if (at == first || at - first > 9) return std::nullopt;
  }
  const auto offset = parse_offset(s.substr(at));
  if (!offset) return std::nullopt;
  if (t.second == 60) t.second = 59;  // a leap second has no place in a legacy clock
  t.has_time = true;
  t.offset_minutes = *offset;
  return t;
}

DateFormat DateFormat::parse(std::string_view pattern, std::string_view offset) {
  DateFormat f;
  f.pattern_ = std::string(pattern);
  const auto off = parse_offset(offset);
  if (!off || offset == "Z" || offset == "z")
    throw std::invalid_argument("the time zone '" + std::string(offset) + "' is not an offset like +07:00");
  f.offset_minutes_ = *off;
  if (pattern.empty() || pattern.size() > 64) throw std::invalid_argument("a date format has 1 to 64 characters");
  bool seen[7] = {};
  for (std::size_t i = 0; i < pattern.size();) {
    auto take = [&](std::string_view token, Kind kind) {
      if (pattern.substr(i, token.size()) != token) return false;
      if (seen[static_cast<int>(kind)])
        throw std::invalid_argument("'" + std::string(token) + "' appears twice in '" + f.pattern_ + "'");
      seen[static_cast<int>(kind)] = true;
      f.tokens_.push_back({kind});
      i += token.size();
      return true;
    };
    if (take("yyyy", Kind::year) || take("MM", Kind::month) || take("dd", Kind::day) || take("HH", Kind::hour) ||
        take("mm", Kind::minute) || take("ss", Kind::second))
      continue;
    const char c = pattern[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      throw std::invalid_argument("'" + f.pattern_ + "' has '" + std::string(1, c) +
                                  "' where yyyy, MM, dd, HH, mm, ss or punctuation was expected");
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      throw std::invalid_argument("a date format holds printable ASCII only");
    f.tokens_.push_back({Kind::literal, c});
    ++i;
  }
  const bool y = seen[static_cast<int>(Kind::year)], mo = seen[static_cast<int>(Kind::month)],
             d = seen[static_cast<int>(Kind::day)], h = seen[static_cast<int>(Kind::hour)],
             mi = seen[static_cast<int>(Kind::minute)];
  if (!y || !mo || !d) throw std::invalid_argument("'" + f.pattern_ + "' needs yyyy, MM and dd");
  if (h != mi) throw std::invalid_argument("'" + f.pattern_ + "' needs both HH and mm, or neither");
  if (seen[static_cast<int>(Kind::second)] && !h) throw std::invalid_argument("'" + f.pattern_ + "' has ss without HH");
  f.has_time_ = h;
  return f;
}

std::optional<std::string> DateFormat::to_iso(std::string_view text) const {
  CivilTime t;
  std::size_t at = 0;
  for (const Token& token : tokens_) {
    bool ok = true;
    switch (token.kind) {
      case Kind::literal:
        ok = at < text.size() && text[at] == token.literal;
        at += 1;
        break;
      case Kind::year:
        ok = digits(text, at, 4, t.year);
        at += 4;
        break;
      case Kind::month:
        ok = digits(text, at, 2, t.month);
        at += 2;
        break;
      case Kind::day:
        ok = digits(text, at, 2, t.day);
        at += 2;
        break;
      case Kind::hour:
        ok = digits(text, at, 2, t.hour) && t.hour <= 23;
        at += 2;
        break;
      case Kind::minute:
        ok = digits(text, at, 2, t.minute) && t.minute <= 59;
        at += 2;
        break;
      case Kind::second:
        ok = digits(text, at, 2, t.second) && t.second <= 59;
        at += 2;
        break;
    }
    if (!ok) return std::nullopt;
  }
  if (at != text.size() || !is_real_date(t.year, t.month, t.day)) return std::nullopt;
  std::string out = four(t.year) + "-" + two(t.month) + "-" + two(t.day);
  if (has_time_) out += "T" + two(t.hour) + ":" + two(t.minute) + ":" + two(t.second) + offset_text(offset_minutes_);
  return out;
}

std::optional<std::string> DateFormat::from_iso(std::string_view text) const {
  auto t = parse_iso(text);
  if (!t) return std::nullopt;
  // A contract time in another zone is the legacy system's local time once moved to its offset; a date alone
  // has no zone and stays the date it is.
  if (t->has_time) t = shift_to(*t, offset_minutes_);
  std::string out;
  for (const Token& token : tokens_) {
    switch (token.kind) {
      case Kind::literal:
        out += token.literal;
        break;
      case Kind::year:
        out += four(t->year);
        break;
      case Kind::month:
        out += two(t->month);
        break;
      case Kind::day:
        out += two(t->day);
        break;
      case Kind::hour:
        out += two(t->hour);
        break;
      case Kind::minute:
        out += two(t->minute);
        break;
      case Kind::second:
        out += two(t->second);
        break;
    }
  }
  return out;
}

}  // namespace lgsp::adapters::rest
