// The working-day calendar of an agency: weekends, public holidays (Tết and Hùng Kings' day are configured
// dates per year), compensatory days off, make-up working days, office hours and the cut-off hour. Due times
// are computed on it in working time.
#pragma once

#include "lgsp/onestop/local_time.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::onestop {

class CalendarError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One stretch of office hours on a working day, in minutes after local midnight, [start, end).
struct OfficeSpan {
  std::chrono::minutes start;
  std::chrono::minutes end;
};

struct CalendarRules {
  std::set<unsigned> weekend_days{6, 0};  // ISO weekday numbers as C++ encodes them: 0 Sunday .. 6 Saturday
  std::set<Date> holidays;                // public holidays, incl. lunar New Year (Tết) and Hùng Kings' day
  std::set<Date> days_off;                // compensatory days off (nghỉ bù) decided for the year
  std::set<Date> make_up_days;            // weekend days declared working days (làm bù)
  // Default 07:30-11:30 and 13:00-17:00: eight working hours a day.
  std::vector<OfficeSpan> office_hours{{std::chrono::minutes(7 * 60 + 30), std::chrono::minutes(11 * 60 + 30)},
                                       {std::chrono::minutes(13 * 60), std::chrono::minutes(17 * 60)}};
  // A dossier received after this time of day counts from the next working day (a procedure may override).
  std::chrono::minutes cut_off{16 * 60};

  // What the JSON file says about a configured date ("Tết Nguyên Đán", and why it is unsure), kept so that
  // to_json writes back what from_json read; the rules above do not depend on it.
  struct DayLabel {
    std::string name;
    std::string note;
  };
  std::map<Date, DayLabel> labels;
  std::map<int, std::string> year_notes;  // "note" of a year in the JSON form
  std::string note;                       // top-level "note"
};

// Whether something finished before, on or after its due time. Early: finished on a local date before the
// due date; on time: on the due date, at or before the due time; late: after the due time.
enum class Timeliness { kEarly, kOnTime, kLate };
std::string to_string(Timeliness t);  // "early", "on_time", "late"

class WorkingCalendar {
 public:
  WorkingCalendar();  // the default rules, no holidays
  // Throws CalendarError when the rules cannot make a calendar: no office span, spans out of order or
  // overlapping, a cut-off outside the day, or every weekday a weekend day.
  explicit WorkingCalendar(CalendarRules rules);

  // The JSON form (also the file format of `calendar.json`):
  // {"weekend": ["saturday","sunday"], "office_hours": [["07:30","11:30"],["13:00","17:00"]], "cut_off": "16:00",
  //  "years": {"2026": {"holidays": [{"date":"2026-01-01","name":"Tết Dương lịch"}, ...],
  //                     "days_off": [...same shape...], "make_up_days": [...same shape...]}}}
  // Every key is optional (the defaults of CalendarRules apply); "note" is allowed at the top, in a year and in
  // a date entry; any other key is an error, so a misspelt "holiday" is not silently ignored. A date must lie
  // in its year, appear in only one list, a make-up day must be a weekend day and a day off must not be one;
  // office spans must be ordered and not overlap. Throws CalendarError naming the bad field.
  static WorkingCalendar from_json(const nlohmann::json& j);
  static WorkingCalendar load(const std::string& path);  // a JSON file of the form above
  nlohmann::json to_json() const;

  const CalendarRules& rules() const { return rules_; }
  // The minutes of office time in one working day (480 with the default hours).
  std::chrono::minutes working_minutes_per_day() const;

  // A make-up day is a working day; a holiday or day off is not; otherwise the weekend decides.
  bool is_working_day(Date d) const;
  Date next_working_day(Date d) const;  // the first working day strictly after d

  // When counting starts for something received at `received`: the received instant itself when it falls
  // inside office hours on a working day before the cut-off; otherwise the opening of the next office span
  // (the next working day's opening when after the cut-off or on a day off).
  TimePoint counting_start(TimePoint received, std::chrono::minutes cut_off) const;
  TimePoint counting_start(TimePoint received) const { return counting_start(received, rules_.cut_off); }

  // `start` + `working` minutes of office time, skipping nights, lunch breaks and days off. A result that
  // lands exactly on the end of a span stays there (17:00), it does not roll to the next morning.
  TimePoint add_working_time(TimePoint start, std::chrono::minutes working) const;
  // Office time between two instants (0 when to <= from).
  std::chrono::minutes working_time_between(TimePoint from, TimePoint to) const;

  // The due time of something received at `received` that takes `working_days` (fractions allowed, e.g. 0.5)
  // of working time: add_working_time(counting_start(received, cut_off), working_days * minutes per day).
  TimePoint due_time(TimePoint received, double working_days, std::chrono::minutes cut_off) const;
  TimePoint due_time(TimePoint received, double working_days) const {
    return due_time(received, working_days, rules_.cut_off);
  }

  // Finished at `done` against `due`.
  static Timeliness classify(TimePoint due, TimePoint done);

 private:
  CalendarRules rules_;
};

}  // namespace lgsp::onestop
