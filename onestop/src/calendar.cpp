#include "lgsp/onestop/calendar.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace lgsp::onestop {

using namespace std::chrono;
using nlohmann::json;

std::string to_string(Timeliness t) {
  switch (t) {
    case Timeliness::kEarly:
      return "early";
    case Timeliness::kOnTime:
      return "on_time";
    case Timeliness::kLate:
      return "late";
  }
  return "unknown";
}

namespace {

constexpr minutes kDay{24 * 60};
// Index = C++ weekday encoding (0 Sunday .. 6 Saturday).
constexpr std::array<const char*, 7> kWeekdayNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                      "thursday", "friday", "saturday"};
// The order weekdays are written back in: the Vietnamese week starts on Monday (thứ Hai).
constexpr std::array<unsigned, 7> kWeekOrder = {1, 2, 3, 4, 5, 6, 0};

[[noreturn]] void fail(const std::string& field, const std::string& why) {
  throw CalendarError("calendar: " + field + ": " + why);
}

std::string format_hhmm(minutes m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", int(m.count() / 60), int(m.count() % 60));
  return buf;
}

// "HH:MM", 00:00..24:00 (24:00 only makes sense as the end of a span, which the span checks allow).
minutes parse_hhmm(const json& j, const std::string& field) {
  if (!j.is_string()) fail(field, "expected a time \"HH:MM\"");
  const auto& s = j.get_ref<const std::string&>();
  auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    fail(field, "expected a time \"HH:MM\", got \"" + s + "\"");
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) fail(field, "not a time of day: \"" + s + "\"");
  return minutes(h * 60 + m);
}

void check_keys(const json& j, const std::string& field, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : j.items()) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
      fail(field.empty() ? key : field + "." + key, "unknown key");
  }
}

std::string note_of(const json& j, const std::string& field) {
  auto it = j.find("note");
  if (it == j.end()) return {};
  if (!it->is_string()) fail(field + ".note", "expected a string");
  return it->get<std::string>();
}

void validate(const CalendarRules& r) {
  if (r.office_hours.empty()) fail("office_hours", "at least one office span is needed");
  for (std::size_t i = 0; i < r.office_hours.size(); ++i) {
    const auto& span = r.office_hours[i];
    std::string field = "office_hours[" + std::to_string(i) + "]";
    if (span.start < minutes(0) || span.end > kDay) fail(field, "outside the day");
    if (span.start >= span.end)
      fail(field, "start " + format_hhmm(span.start) + " is not before end " + format_hhmm(span.end));
    if (i > 0 && span.start < r.office_hours[i - 1].end)
      fail(field, "starts before the previous span ends (spans must be in order and not overlap)");
  }
  if (r.cut_off < minutes(0) || r.cut_off > kDay) fail("cut_off", "outside the day");
  for (unsigned w : r.weekend_days)
    if (w > 6) fail("weekend", "weekday number " + std::to_string(w) + " is not 0..6");
  // Otherwise next_working_day would never end once the make-up days run out.
  if (r.weekend_days.size() >= 7) fail("weekend", "every day of the week is a weekend day");
}

bool is_weekend(const CalendarRules& r, Date d) { return r.weekend_days.count(weekday(sys_days(d)).c_encoding()) != 0; }

}  // namespace

WorkingCalendar::WorkingCalendar() : WorkingCalendar(CalendarRules{}) {}

WorkingCalendar::WorkingCalendar(CalendarRules rules) : rules_(std::move(rules)) { validate(rules_); }

minutes WorkingCalendar::working_minutes_per_day() const {
  minutes total{0};
  for (const auto& span : rules_.office_hours) total += span.end - span.start;
  return total;
}

bool WorkingCalendar::is_working_day(Date d) const {
  if (rules_.holidays.count(d) || rules_.days_off.count(d)) return false;
  if (rules_.make_up_days.count(d)) return true;
  return !is_weekend(rules_, d);
}

Date WorkingCalendar::next_working_day(Date d) const {
  // Terminates: the weekend leaves at least one weekday and the holiday lists are finite.
  sys_days day = sys_days(d) + days(1);
  while (!is_working_day(Date{day})) day += days(1);
  return Date{day};
}

TimePoint WorkingCalendar::counting_start(TimePoint received, minutes cut_off) const {
  Date day = local_date(received);
  if (is_working_day(day) && received <= at_local(day, cut_off)) {
    for (const auto& span : rules_.office_hours) {
      if (received < at_local(day, span.start)) return at_local(day, span.start);
      if (received < at_local(day, span.end)) return received;
    }
    // After the last span but not after the cut-off (a cut-off later than closing): the next day.
  }
  return at_local(next_working_day(day), rules_.office_hours.front().start);
}

TimePoint WorkingCalendar::add_working_time(TimePoint start, minutes working) const {
  if (working < minutes(0)) throw CalendarError("calendar: working time to add is negative");
  Clock::duration remaining = working;
  TimePoint cursor = start;
  Date day = local_date(start);
  if (remaining == Clock::duration::zero()) return start;
  for (;;) {
    if (is_working_day(day)) {
      for (const auto& span : rules_.office_hours) {
        TimePoint open = std::max(at_local(day, span.start), cursor);
        TimePoint close = at_local(day, span.end);
        if (close <= open) continue;
        // `<=`: a result exactly at closing time stays on this day (17:00), it does not roll over.
        if (remaining <= close - open) return open + remaining;
        remaining -= close - open;
      }
    }
    day = Date{sys_days(day) + days(1)};
  }
}

minutes WorkingCalendar::working_time_between(TimePoint from, TimePoint to) const {
  if (to <= from) return minutes(0);
  Clock::duration total{0};
  Date last = local_date(to);
  for (Date day = local_date(from); day <= last; day = Date{sys_days(day) + days(1)}) {
    if (!is_working_day(day)) continue;
    for (const auto& span : rules_.office_hours) {
      TimePoint open = std::max(at_local(day, span.start), from);
      TimePoint close = std::min(at_local(day, span.end), to);
      if (open < close) total += close - open;
    }
  }
  return floor<minutes>(total);
}

TimePoint WorkingCalendar::due_time(TimePoint received, double working_days, minutes cut_off) const {
  if (!(working_days >= 0) || !std::isfinite(working_days))
    throw CalendarError("calendar: working_days must be a finite number >= 0");
  // Rounded to the minute: 0.5 of an 8-hour day is exactly 240 minutes, a third is 160.
  auto working = minutes(std::llround(working_days * double(working_minutes_per_day().count())));
  return add_working_time(counting_start(received, cut_off), working);
}

Timeliness WorkingCalendar::classify(TimePoint due, TimePoint done) {
  if (done > due) return Timeliness::kLate;
  if (local_date(done) < local_date(due)) return Timeliness::kEarly;
  return Timeliness::kOnTime;
}

// ---- JSON ---------------------------------------------------------------------------------------------

namespace {

enum class ListKind { kHoliday, kDayOff, kMakeUp };

void read_list(const json& year_json, const char* key, ListKind kind, int year_number, const std::string& year_field,
               CalendarRules& rules) {
  auto it = year_json.find(key);
  if (it == year_json.end()) return;
  std::string list_field = year_field + "." + key;
  if (!it->is_array()) fail(list_field, "expected an array of {\"date\", \"name\"}");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& entry = (*it)[i];
    std::string field = list_field + "[" + std::to_string(i) + "]";
    if (!entry.is_object()) fail(field, "expected an object {\"date\", \"name\"}");
    check_keys(entry, field, {"date", "name", "note"});
    auto date_it = entry.find("date");
    if (date_it == entry.end()) fail(field + ".date", "missing");
    if (!date_it->is_string()) fail(field + ".date", "expected a date \"YYYY-MM-DD\"");
    auto date = parse_date(date_it->get<std::string>());
    if (!date) fail(field + ".date", "not a date: \"" + date_it->get<std::string>() + "\"");
    if (int(date->year()) != year_number)
      fail(field + ".date", format_date(*date) + " is not in " + std::to_string(year_number));
    auto name_it = entry.find("name");
    if (name_it == entry.end()) fail(field + ".name", "missing");
    if (!name_it->is_string() || name_it->get_ref<const std::string&>().empty())
      fail(field + ".name", "expected a non-empty string");
    if (rules.holidays.count(*date) || rules.days_off.count(*date) || rules.make_up_days.count(*date))
      fail(field + ".date", format_date(*date) + " is listed twice");
    switch (kind) {
      case ListKind::kHoliday:
        rules.holidays.insert(*date);
        break;
      case ListKind::kDayOff:
        if (is_weekend(rules, *date)) fail(field + ".date", format_date(*date) + " is already a weekend day");
        rules.days_off.insert(*date);
        break;
      case ListKind::kMakeUp:
        if (!is_weekend(rules, *date))
          fail(field + ".date", format_date(*date) + " is not a weekend day, so it cannot be a make-up day");
        rules.make_up_days.insert(*date);
        break;
    }
    rules.labels[*date] = {name_it->get<std::string>(), note_of(entry, field)};
  }
}

}  // namespace

WorkingCalendar WorkingCalendar::from_json(const json& j) {
  if (!j.is_object()) fail("(root)", "expected an object");
  check_keys(j, "", {"weekend", "office_hours", "cut_off", "years", "note"});
  CalendarRules rules;
  rules.note = note_of(j, "(root)");

  if (auto it = j.find("weekend"); it != j.end()) {
    if (!it->is_array()) fail("weekend", "expected an array of weekday names");
    rules.weekend_days.clear();
    for (std::size_t i = 0; i < it->size(); ++i) {
      std::string field = "weekend[" + std::to_string(i) + "]";
      const json& w = (*it)[i];
      if (!w.is_string()) fail(field, "expected a weekday name (\"monday\"..\"sunday\")");
      auto found = std::find(kWeekdayNames.begin(), kWeekdayNames.end(), w.get<std::string>());
      if (found == kWeekdayNames.end()) fail(field, "unknown weekday \"" + w.get<std::string>() + "\"");
      if (!rules.weekend_days.insert(unsigned(found - kWeekdayNames.begin())).second) fail(field, "listed twice");
    }
  }

  if (auto it = j.find("office_hours"); it != j.end()) {
    if (!it->is_array()) fail("office_hours", "expected an array of [\"HH:MM\", \"HH:MM\"]");
    rules.office_hours.clear();
    for (std::size_t i = 0; i < it->size(); ++i) {
      std::string field = "office_hours[" + std::to_string(i) + "]";
      const json& span = (*it)[i];
      if (!span.is_array() || span.size() != 2) fail(field, "expected [\"HH:MM\", \"HH:MM\"]");
      rules.office_hours.push_back({parse_hhmm(span[0], field + "[0]"), parse_hhmm(span[1], field + "[1]")});
    }
  }

  if (auto it = j.find("cut_off"); it != j.end()) rules.cut_off = parse_hhmm(*it, "cut_off");

  // The weekend and hours are checked before the years, whose make-up days depend on the weekend.
  validate(rules);

  if (auto it = j.find("years"); it != j.end()) {
    if (!it->is_object()) fail("years", "expected an object keyed by year (\"2026\")");
    for (const auto& [key, year_json] : it->items()) {
      std::string field = "years." + key;
      if (key.size() != 4 || !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
        fail(field, "the key must be a four-digit year");
      if (!year_json.is_object()) fail(field, "expected an object with holidays, days_off, make_up_days");
      check_keys(year_json, field, {"holidays", "days_off", "make_up_days", "note"});
      int year_number = std::stoi(key);
      if (auto note = note_of(year_json, field); !note.empty()) rules.year_notes[year_number] = note;
      read_list(year_json, "holidays", ListKind::kHoliday, year_number, field, rules);
      read_list(year_json, "days_off", ListKind::kDayOff, year_number, field, rules);
      read_list(year_json, "make_up_days", ListKind::kMakeUp, year_number, field, rules);
    }
  }
  return WorkingCalendar(std::move(rules));
}

WorkingCalendar WorkingCalendar::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CalendarError("calendar: cannot open " + path);
  json j;
  try {
    in >> j;
  } catch (const json::parse_error& e) {
    throw CalendarError("calendar: " + path + " is not valid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const CalendarError& e) {
    throw CalendarError(std::string(e.what()) + " (in " + path + ")");
  }
}

json WorkingCalendar::to_json() const {
  json j = json::object();
  if (!rules_.note.empty()) j["note"] = rules_.note;
  json weekend = json::array();
  for (unsigned w : kWeekOrder)
    if (rules_.weekend_days.count(w)) weekend.push_back(kWeekdayNames[w]);
  j["weekend"] = weekend;
  json hours = json::array();
  for (const auto& span : rules_.office_hours)
    hours.push_back(json::array({format_hhmm(span.start), format_hhmm(span.end)}));
  j["office_hours"] = hours;
  j["cut_off"] = format_hhmm(rules_.cut_off);

  json years = json::object();
  auto entry = [&](Date d) {
    json e = {{"date", format_date(d)}};
    auto it = rules_.labels.find(d);
    // A date set in code without a label still needs a name to be read back.
    e["name"] = it != rules_.labels.end() && !it->second.name.empty() ? it->second.name : "unnamed";
    if (it != rules_.labels.end() && !it->second.note.empty()) e["note"] = it->second.note;
    return e;
  };
  auto add = [&](const std::set<Date>& dates, const char* key) {
    for (Date d : dates) {
      json& year = years[std::to_string(int(d.year()))];
      year[key].push_back(entry(d));
    }
  };
  add(rules_.holidays, "holidays");
  add(rules_.days_off, "days_off");
  add(rules_.make_up_days, "make_up_days");
  for (const auto& [year, note] : rules_.year_notes) years[std::to_string(year)]["note"] = note;
  j["years"] = years;
  return j;
}

}  // namespace lgsp::onestop
