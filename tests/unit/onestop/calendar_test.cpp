#include "lgsp/onestop/calendar.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace lgsp::onestop;
using namespace std::chrono;
using nlohmann::json;

namespace {

Date ymd(const char* text) {
  auto d = parse_date(text);
  if (!d) throw std::invalid_argument(std::string("bad test date ") + text);
  return *d;
}

TimePoint at(const char* date, int hour, int minute, int second = 0) {
  return at_local(ymd(date), minutes(hour * 60 + minute)) + seconds(second);
}

std::string sample_path() { return std::string(LGSP_SOURCE_DIR) + "/onestop/samples/calendar.json"; }

const WorkingCalendar& sample() {
  static const WorkingCalendar calendar = WorkingCalendar::load(sample_path());
  return calendar;
}

// from_json's error message for `j`, or "" when it was accepted.
std::string error_of(const json& j) {
  try {
    WorkingCalendar::from_json(j);
  } catch (const CalendarError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Calendar, default_rules_give_eight_hours_a_day) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.working_minutes_per_day(), minutes(480));
}

TEST(Calendar, saturday_and_sunday_are_not_working_days) {
  WorkingCalendar calendar;
  EXPECT_TRUE(calendar.is_working_day(ymd("2026-11-27")));   // Friday
  EXPECT_FALSE(calendar.is_working_day(ymd("2026-11-28")));  // Saturday
  EXPECT_FALSE(calendar.is_working_day(ymd("2026-11-29")));  // Sunday
  EXPECT_EQ(calendar.next_working_day(ymd("2026-11-27")), ymd("2026-11-30"));
}

TEST(Calendar, tet_holidays_are_skipped) {
  const auto& calendar = sample();
  for (const char* d : {"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"})
    EXPECT_FALSE(calendar.is_working_day(ymd(d))) << d;
  EXPECT_TRUE(calendar.is_working_day(ymd("2026-02-13")));
  EXPECT_EQ(calendar.next_working_day(ymd("2026-02-13")), ymd("2026-02-23"));
  EXPECT_EQ(calendar.next_working_day(ymd("2025-01-24")), ymd("2025-02-03"));
}

TEST(Calendar, a_make_up_saturday_counts_as_a_working_day) {
  const auto& calendar = sample();
  EXPECT_TRUE(calendar.is_working_day(ymd("2025-04-26")));
  EXPECT_FALSE(calendar.is_working_day(ymd("2025-04-19")));  // an ordinary Saturday
  // Received Friday morning, one working day: due on the make-up Saturday, not on Monday.
  EXPECT_EQ(calendar.due_time(at("2025-04-25", 9, 0), 1), at("2025-04-26", 9, 0));
}

TEST(Calendar, a_compensatory_day_off_is_skipped) {
  const auto& calendar = sample();
  EXPECT_FALSE(calendar.is_working_day(ymd("2026-04-27")));  // Monday off for Hùng Kings' day on a Sunday
  EXPECT_FALSE(calendar.is_working_day(ymd("2025-05-02")));  // Friday swapped for Saturday 26 April
  EXPECT_EQ(calendar.due_time(at("2026-04-24", 10, 0), 1), at("2026-04-28", 10, 0));
}

TEST(Calendar, counts_from_next_working_day_after_cut_off) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 16, 1)), at("2026-12-01", 7, 30));
  // Friday after the cut-off: Monday morning.
  EXPECT_EQ(calendar.counting_start(at("2026-11-27", 16, 1)), at("2026-11-30", 7, 30));
  EXPECT_EQ(calendar.due_time(at("2026-11-30", 16, 1), 1), at("2026-12-01", 17, 0));
}

TEST(Calendar, counts_from_the_receipt_itself_up_to_the_cut_off) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 16, 0)), at("2026-11-30", 16, 0));
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 16, 0, 1)), at("2026-12-01", 7, 30));
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 9, 15)), at("2026-11-30", 9, 15));
}

TEST(Calendar, a_procedure_cut_off_overrides_the_calendar_one) {
  WorkingCalendar calendar;
  // Hà Nội's same-day procedures roll over after 15:00.
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 15, 30), minutes(15 * 60)), at("2026-12-01", 7, 30));
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 15, 30)), at("2026-11-30", 15, 30));
}

TEST(Calendar, counts_from_opening_when_received_before_office_hours_or_on_a_day_off) {
  const auto& calendar = sample();
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 6, 45)), at("2026-11-30", 7, 30));
  EXPECT_EQ(calendar.counting_start(at("2026-11-29", 10, 0)), at("2026-11-30", 7, 30));  // Sunday
  EXPECT_EQ(calendar.counting_start(at("2026-02-17", 10, 0)), at("2026-02-23", 7, 30));  // Tết
}

TEST(Calendar, lunch_break_is_not_working_time) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 12, 0)), at("2026-11-30", 13, 0));
  EXPECT_EQ(calendar.add_working_time(at("2026-11-30", 11, 0), minutes(60)), at("2026-11-30", 13, 30));
  EXPECT_EQ(calendar.working_time_between(at("2026-11-30", 11, 0), at("2026-11-30", 13, 30)), minutes(60));
}

TEST(Calendar, half_a_day_is_four_working_hours) {
  WorkingCalendar calendar;
  // 09:00-11:30 is 150 minutes, the other 90 after lunch.
  EXPECT_EQ(calendar.due_time(at("2026-11-30", 9, 0), 0.5), at("2026-11-30", 14, 30));
  EXPECT_EQ(calendar.due_time(at("2026-11-30", 9, 0), 1.5), at("2026-12-01", 14, 30));
}

TEST(Calendar, a_result_landing_on_closing_time_stays_on_that_day) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.add_working_time(at("2026-11-30", 7, 30), minutes(480)), at("2026-11-30", 17, 0));
  EXPECT_EQ(calendar.add_working_time(at("2026-11-30", 7, 30), minutes(240)), at("2026-11-30", 11, 30));
  EXPECT_EQ(calendar.add_working_time(at("2026-11-30", 7, 30), minutes(241)), at("2026-11-30", 13, 1));
}

TEST(Calendar, due_date_spanning_tet_skips_the_whole_holiday) {
  const auto& calendar = sample();
  // Thursday 12 Feb 2026 + 3 working days: Friday 13, then Monday 23, then Tuesday 24.
  EXPECT_EQ(calendar.due_time(at("2026-02-12", 9, 0), 3), at("2026-02-24", 9, 0));
  EXPECT_EQ(calendar.working_time_between(at("2026-02-12", 9, 0), at("2026-02-24", 9, 0)), minutes(3 * 480));
  // The same span in a calendar without holidays ends a week earlier.
  WorkingCalendar plain;
  EXPECT_EQ(plain.due_time(at("2026-02-12", 9, 0), 3), at("2026-02-17", 9, 0));
}

TEST(Calendar, working_time_between_skips_nights_weekends_and_is_zero_backwards) {
  WorkingCalendar calendar;
  EXPECT_EQ(calendar.working_time_between(at("2026-11-27", 16, 0), at("2026-11-30", 8, 30)), minutes(120));
  EXPECT_EQ(calendar.working_time_between(at("2026-11-30", 10, 0), at("2026-11-30", 9, 0)), minutes(0));
  auto from = at("2026-11-26", 10, 17);
  EXPECT_EQ(calendar.working_time_between(from, calendar.add_working_time(from, minutes(1234))), minutes(1234));
}

TEST(Calendar, classifies_early_on_time_and_late) {
  auto due = at("2026-12-01", 10, 0);
  EXPECT_EQ(WorkingCalendar::classify(due, at("2026-11-30", 15, 0)), Timeliness::kEarly);
  EXPECT_EQ(WorkingCalendar::classify(due, at("2026-12-01", 8, 0)), Timeliness::kOnTime);
  EXPECT_EQ(WorkingCalendar::classify(due, due), Timeliness::kOnTime);
  EXPECT_EQ(WorkingCalendar::classify(due, at("2026-12-01", 10, 0, 1)), Timeliness::kLate);
  EXPECT_EQ(to_string(Timeliness::kEarly), "early");
  EXPECT_EQ(to_string(Timeliness::kOnTime), "on_time");
  EXPECT_EQ(to_string(Timeliness::kLate), "late");
}

TEST(Calendar, rejects_a_negative_duration) {
  WorkingCalendar calendar;
  EXPECT_THROW(calendar.due_time(at("2026-11-30", 9, 0), -1), CalendarError);
  EXPECT_THROW(calendar.add_working_time(at("2026-11-30", 9, 0), minutes(-1)), CalendarError);
}

TEST(Calendar, rejects_rules_without_a_working_weekday_or_office_hours) {
  CalendarRules all_weekend;
  all_weekend.weekend_days = {0, 1, 2, 3, 4, 5, 6};
  EXPECT_THROW(WorkingCalendar{all_weekend}, CalendarError);
  CalendarRules no_hours;
  no_hours.office_hours.clear();
  EXPECT_THROW(WorkingCalendar{no_hours}, CalendarError);
}

TEST(CalendarJson, sample_has_the_2025_and_2026_holidays) {
  const auto& rules = sample().rules();
  for (const char* d :
       {"2025-01-01", "2025-01-29", "2025-04-07", "2025-04-30", "2025-05-01", "2025-09-01", "2025-09-02", "2026-01-01",
        "2026-02-17", "2026-04-26", "2026-04-30", "2026-05-01", "2026-09-02"})
    EXPECT_TRUE(rules.holidays.count(ymd(d))) << d;
  EXPECT_TRUE(rules.days_off.count(ymd("2026-04-27")));
  EXPECT_TRUE(rules.make_up_days.count(ymd("2025-04-26")));
  EXPECT_EQ(rules.labels.at(ymd("2025-04-07")).name, "Giỗ Tổ Hùng Vương (10/3 âm lịch)");
  EXPECT_EQ(rules.cut_off, minutes(16 * 60));
}

TEST(CalendarJson, round_trips_through_to_json) {
  json once = sample().to_json();
  json twice = WorkingCalendar::from_json(once).to_json();
  EXPECT_EQ(once, twice);
  std::ifstream in(sample_path());
  EXPECT_EQ(once, json::parse(in));
}

TEST(CalendarJson, reads_weekend_hours_and_cut_off) {
  auto calendar = WorkingCalendar::from_json({{"weekend", json::array({"sunday"})},
                                              {"office_hours", json::array({json::array({"08:00", "12:00"})})},
                                              {"cut_off", "11:00"}});
  EXPECT_EQ(calendar.rules().weekend_days, (std::set<unsigned>{0}));
  EXPECT_EQ(calendar.working_minutes_per_day(), minutes(240));
  EXPECT_TRUE(calendar.is_working_day(ymd("2026-11-28")));  // Saturday is a working day here
  EXPECT_EQ(calendar.counting_start(at("2026-11-30", 11, 5)), at("2026-12-01", 8, 0));
}

TEST(CalendarJson, names_the_bad_field) {
  struct Case {
    const char* input;
    const char* field;
  };
  const Case cases[] = {
      {R"([])", "(root)"},
      {R"({"weekend": ["saturday", "sat"]})", "weekend[1]"},
      {R"({"weekend": "saturday"})", "weekend"},
      {R"({"weekend": ["sunday", "sunday"]})", "weekend[1]: listed twice"},
      {R"({"office_hours": [["7:30", "11:30"]]})", "office_hours[0][0]"},
      {R"({"office_hours": [["07:30", "11:60"]]})", "office_hours[0][1]"},
      {R"({"office_hours": [["07:30"]]})", "office_hours[0]"},
      {R"({"office_hours": [["11:30", "07:30"]]})", "office_hours[0]: start"},
      {R"({"office_hours": [["07:30", "11:30"], ["11:00", "17:00"]]})", "office_hours[1]"},
      {R"({"office_hours": []})", "office_hours"},
      {R"({"cut_off": "25:00"})", "cut_off"},
      {R"({"cut_off": 16})", "cut_off"},
      {R"({"holidays": []})", "holidays: unknown key"},
      {R"({"years": []})", "years"},
      {R"({"years": {"26": {}}})", "years.26"},
      {R"({"years": {"2026": []}})", "years.2026"},
      {R"({"years": {"2026": {"holiday": []}}})", "years.2026.holiday"},
      {R"({"years": {"2026": {"holidays": {}}}})", "years.2026.holidays"},
      {R"({"years": {"2026": {"holidays": ["2026-05-01"]}}})", "years.2026.holidays[0]"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-02-30", "name": "x"}]}}})", "years.2026.holidays[0].date"},
      {R"({"years": {"2026": {"holidays": [{"date": "2025-05-01", "name": "x"}]}}})", "years.2026.holidays[0].date"},
      {R"({"years": {"2026": {"holidays": [{"name": "x"}]}}})", "years.2026.holidays[0].date"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-05-01"}]}}})", "years.2026.holidays[0].name"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-05-01", "name": ""}]}}})", "years.2026.holidays[0].name"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-05-01", "name": "x", "when": 1}]}}})",
       "years.2026.holidays[0].when"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-05-01", "name": "x", "note": 1}]}}})",
       "years.2026.holidays[0].note"},
      {R"({"years": {"2026": {"make_up_days": [{"date": "2026-04-28", "name": "x"}]}}})",
       "years.2026.make_up_days[0].date"},
      {R"({"years": {"2026": {"days_off": [{"date": "2026-04-25", "name": "x"}]}}})", "years.2026.days_off[0].date"},
      {R"({"years": {"2026": {"holidays": [{"date": "2026-04-27", "name": "a"}],
                              "days_off": [{"date": "2026-04-27", "name": "b"}]}}})",
       "years.2026.days_off[0].date"},
  };
  for (const auto& c : cases) {
    std::string error = error_of(json::parse(c.input));
    EXPECT_NE(error.find(std::string("calendar: ") + c.field), std::string::npos)
        << c.input << " gave \"" << error << "\"";
  }
}

TEST(CalendarJson, load_names_the_file_when_missing_or_not_json) {
  auto dir = std::filesystem::temp_directory_path() / ("lgsp-calendar-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto bad = (dir / "bad.json").string();
  std::ofstream(bad) << "{\"weekend\": [";
  for (const auto& path : {bad, (dir / "missing.json").string()}) {
    try {
      WorkingCalendar::load(path);
      ADD_FAILURE() << path << " loaded";
    } catch (const CalendarError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::filesystem::remove_all(dir);
}
