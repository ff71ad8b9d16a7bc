#include "lgsp/onestop/local_time.hpp"

#include "lgsp/bus/timestamp.hpp"

#include <cstdio>

namespace lgsp::onestop {

using namespace std::chrono;

Date local_date(TimePoint t) { return Date{floor<days>(t + kVietnamUtcOffset)}; }

minutes local_time_of_day(TimePoint t) {
  auto local = t + kVietnamUtcOffset;
  return duration_cast<minutes>(local - floor<days>(local));
}

TimePoint at_local(Date day, minutes m) { return TimePoint(sys_days(day).time_since_epoch()) + m - kVietnamUtcOffset; }

namespace {
struct Fields {
  int year, month, day, hour, minute, second;
};
Fields local_fields(TimePoint t) {
  auto local = t + kVietnamUtcOffset;
  auto d = floor<days>(local);
  Date ymd{d};
  hh_mm_ss hms{floor<seconds>(local - d)};
  return {int(ymd.year()),          int(unsigned(ymd.month())), int(unsigned(ymd.day())),
          int(hms.hours().count()), int(hms.minutes().count()), int(hms.seconds().count())};
}
}  // namespace

std::string format_local_rfc3339(TimePoint t) {
  auto f = local_fields(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", f.year, f.month, f.day, f.hour, f.minute,
                f.second);
  return buf;
}

std::string format_dvcqg(TimePoint t) {
  auto f = local_fields(t);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", f.year, f.month, f.day, f.hour, f.minute, f.second);
  return buf;
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()), unsigned(d.day()));
  return buf;
}

namespace {
bool digits(const std::string& s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<Date> parse_date(const std::string& text) {
  int y, m, d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) || !digits(text, 5, 2, m) ||
      !digits(text, 8, 2, d))
    return std::nullopt;
  Date date{year(y), month(unsigned(m)), day(unsigned(d))};
  // A date the clock cannot hold (before 1678, after 2261) would overflow it as a time, and none is a real date of
  // birth, deadline or search bound.
  if (!date.ok() || !bus::clock_holds_year(y)) return std::nullopt;
  return date;
}

std::optional<TimePoint> parse_rfc3339(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  if (text.size() < 20) return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  if (!date || (text[10] != 'T' && text[10] != 't')) return std::nullopt;
  int hh, mm, ss;
  if (!digits(text, 11, 2, hh) || text[13] != ':' || !digits(text, 14, 2, mm) || text[16] != ':' ||
      !digits(text, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  std::size_t pos = 19;
  nanoseconds frac{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000, value = 0;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale > 0) value += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    frac = nanoseconds(value);
  }
  if (pos >= text.size()) return std::nullopt;
  minutes offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh, om;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = minutes(oh * 60 + om);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  auto t = TimePoint(sys_days(*date).time_since_epoch()) + hours(hh) + minutes(mm) + seconds(ss) - offset;
  return t + duration_cast<Clock::duration>(frac);
}

std::optional<TimePoint> parse_date_or_time(const std::string& text) {
  if (auto d = parse_date(text)) return at_local(*d, minutes(0));
  return parse_rfc3339(text);
}

}  // namespace lgsp::onestop
