#include "lgsp/onestop/procedure.hpp"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <utility>

namespace lgsp::onestop {

namespace {

using nlohmann::json;

// Step days are fractions (0.25 day = two hours) written by hand; sums like 0.1 + 0.2 must still match.
constexpr double kDaysTolerance = 1e-6;

bool is_digits(const std::string& s, std::size_t from, std::size_t to) {
  if (from >= to || to > s.size()) return false;
  for (std::size_t i = from; i < to; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// MaTTHC from the national TTHC database: digits '.' digits ("1.001193", "2.000748"). The province-localised
// long form ("3.000181.000.00.00.H22") is not a rule code and is refused here.
bool is_procedure_code(const std::string& s) {
  auto dot = s.find('.');
  return dot != std::string::npos && is_digits(s, 0, dot) && is_digits(s, dot + 1, s.size());
}

// Agency code (mã định danh, Decision 20/2020/QĐ-TTg): NNN.NN.NN.XNN, e.g. "000.00.13.H29". A hand check is
// enough for a fixed-width pattern and keeps <regex> out of the library.
bool is_agency_code(const std::string& s) {
  return s.size() == 13 && is_digits(s, 0, 3) && s[3] == '.' && is_digits(s, 4, 6) && s[6] == '.' &&
         is_digits(s, 7, 9) && s[9] == '.' && s[10] >= 'A' && s[10] <= 'Z' && is_digits(s, 11, 13);
}

std::string days_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// Numbers that are whole print as integers ("processing_days": 3, not 3.0): the catalogue is edited by hand.
json days_json(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return static_cast<std::int64_t>(d);
  return d;
}

std::string format_hh_mm(std::chrono::minutes m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60), static_cast<int>(m.count() % 60));
  return buf;
}

std::optional<std::chrono::minutes> parse_hh_mm(const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !is_digits(s, 0, 2) || !is_digits(s, 3, 5)) return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return std::chrono::minutes(h * 60 + m);
}

std::string online_level_text(OnlineLevel l) {
  switch (l) {
    case OnlineLevel::kPartial:
      return "partial";
    case OnlineLevel::kFull:
      return "full";
    case OnlineLevel::kNone:
      break;
  }
  return "none";
}

// Reads one JSON object on behalf of a procedure: every failure names the procedure and the field path, and
// keys nobody asked for are refused at the end so that a typo ("mandatroy") surfaces instead of defaulting.
class Reader {
 public:
  Reader(const json& j, std::string procedure, std::string path)
      : j_(j), procedure_(std::move(procedure)), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_, "expected an object");
  }

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw ProcedureError("procedure " + procedure_ + ": " + (field.empty() ? "" : field + ": ") + problem);
  }
  std::string field(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* find(const char* key, bool required) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) fail(field(key), "required");
      return nullptr;
    }
    return &*it;
  }

  std::string text(const char* key, bool required = true, std::string fallback = "") {
    const json* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_string()) fail(field(key), "expected a string");
    auto s = v->get<std::string>();
    if (required && s.empty()) fail(field(key), "required (empty)");
    return s;
  }

  std::int64_t integer(const char* key, bool required = true, std::int64_t fallback = 0) {
    const json* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(field(key), "expected an integer");
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      fail(field(key), "out of range");
    return v->get<std::int64_t>();
  }

  int small_integer(const char* key, bool required = true, int fallback = 0) {
    auto v = integer(key, required, fallback);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) fail(field(key), "out of range");
    return static_cast<int>(v);
  }

  double number(const char* key) {
    const json* v = find(key, true);
    if (!v->is_number()) fail(field(key), "expected a number");
    return v->get<double>();
  }

  bool boolean(const char* key, bool fallback) {
    const json* v = find(key, false);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(field(key), "expected true or false");
    return v->get<bool>();
  }

  const json& array(const char* key, bool required = true) {
    static const json kEmpty = json::array();
    const json* v = find(key, required);
    if (!v) return kEmpty;
    if (!v->is_array()) fail(field(key), "expected an array");
    return *v;
  }

  void refuse_unknown_keys() const {
    for (const auto& [key, value] : j_.items())
      if (!seen_.count(key)) fail(field(key.c_str()), "unknown key");
  }

 private:
  const json& j_;
  std::string procedure_;
  std::string path_;
  std::set<std::string> seen_;
};

std::string indexed(const std::string& list, std::size_t i) { return list + "[" + std::to_string(i) + "]"; }

RequiredDocument document_from_json(const json& j, const std::string& procedure, const std::string& path) {
  Reader r(j, procedure, path);
  RequiredDocument d;
  d.code = r.text("code");
  d.name = r.text("name");
  d.mandatory = r.boolean("mandatory", true);
  d.form = r.text("form", false);
  d.originals = r.small_integer("originals", false, 1);
  d.copies = r.small_integer("copies", false, 0);
  r.refuse_unknown_keys();
  return d;
}

Fee fee_from_json(const json& j, const std::string& procedure, const std::string& path) {
  Reader r(j, procedure, path);
  Fee f;
  f.name = r.text("name");
  f.amount = r.integer("amount");
  f.note = r.text("note", false);
  r.refuse_unknown_keys();
  return f;
}

ProcedureStep step_from_json(const json& j, const std::string& procedure, const std::string& path) {
  Reader r(j, procedure, path);
  ProcedureStep s;
  s.index = r.small_integer("index");
  s.name = r.text("name");
  s.unit = r.text("unit");
  s.unit_name = r.text("unit_name");
  s.role = r.text("role");
  s.working_days = r.number("working_days");
  r.refuse_unknown_keys();
  return s;
}

}  // namespace

std::vector<std::string> Procedure::other_units(const std::string& home_agency) const {
  std::vector<std::string> units;
  for (const auto& s : steps) {
    if (s.unit == home_agency) continue;
    bool listed = false;
    for (const auto& u : units) listed = listed || u == s.unit;
    if (!listed) units.push_back(s.unit);
  }
  return units;
}

void validate(const Procedure& p) {
  const std::string who = p.code.empty() ? "(no code)" : p.code;
  auto fail = [&](const std::string& field, const std::string& problem) {
    throw ProcedureError("procedure " + who + ": " + field + ": " + problem);
  };
  auto require = [&](const std::string& value, const char* field) {
    if (value.empty()) fail(field, "required");
  };

  require(p.code, "code");
  if (!is_procedure_code(p.code))
    fail("code", "'" + p.code + "' is not a MaTTHC code (digits '.' digits, e.g. 1.001193)");
  if (p.version < 1) fail("version", "must be 1 or more, got " + std::to_string(p.version));
  if (!p.effective_from.ok()) fail("effective_from", "not a valid date");
  require(p.name, "name");
  require(p.field_code, "field_code");
  require(p.field_name, "field_name");
  if (p.level != "commune" && p.level != "district" && p.level != "province")
    fail("level", "'" + p.level + "' is not one of commune, district, province");

  if (p.channels.empty()) fail("channels", "at least one channel is required");
  for (auto c : p.channels) {
    int v = static_cast<int>(c);
    if (v < 1 || v > 3) fail("channels", std::to_string(v) + " is not a channel (1 in person, 2 online, 3 postal)");
  }
  // An online service level without the online channel (or the reverse) would be published inconsistently
  // on the portal: the level says how far the online channel goes.
  bool online = p.channels.count(Channel::kOnline) > 0;
  if (p.online_level != OnlineLevel::kNone && !online)
    fail("online_level", "'" + online_level_text(p.online_level) + "' requires channel 2 (online)");
  if (p.online_level == OnlineLevel::kNone && online)
    fail("online_level", "'none' contradicts channel 2 (online); say 'partial' or 'full'");

  if (!std::isfinite(p.processing_days) || p.processing_days < 0)
    fail("processing_days", "must be a number of working days >= 0, got " + days_text(p.processing_days));
  if (p.cut_off && (p.cut_off->count() < 0 || p.cut_off->count() >= 24 * 60))
    fail("cut_off", "must be a time of day 00:00..23:59");

  std::set<std::string> document_codes;
  for (std::size_t i = 0; i < p.documents.size(); ++i) {
    const auto& d = p.documents[i];
    auto at = indexed("documents", i);
    if (d.code.empty()) fail(at + ".code", "required");
    if (d.name.empty()) fail(at + ".name", "required");
    if (!document_codes.insert(d.code).second) fail(at + ".code", "'" + d.code + "' is listed twice");
    if (d.originals < 0) fail(at + ".originals", "must be >= 0");
    if (d.copies < 0) fail(at + ".copies", "must be >= 0");
    if (d.originals + d.copies == 0) fail(at, "asks for neither an original nor a copy");
  }

  for (std::size_t i = 0; i < p.fees.size(); ++i) {
    const auto& f = p.fees[i];
    auto at = indexed("fees", i);
    if (f.name.empty()) fail(at + ".name", "required");
    if (f.amount < 0) fail(at + ".amount", "must be >= 0 VND, got " + std::to_string(f.amount));
  }

  if (p.steps.empty()) fail("steps", "at least one step is required");
  double total = 0;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    auto at = indexed("steps", i);
    if (s.index != static_cast<int>(i) + 1)
      fail(at + ".index",
           "expected " + std::to_string(i + 1) + " (steps are numbered 1..n in order), got " + std::to_string(s.index));
    if (s.name.empty()) fail(at + ".name", "required");
    if (!is_agency_code(s.unit)) fail(at + ".unit", "'" + s.unit + "' is not an agency code NNN.NN.NN.XNN");
    if (s.unit_name.empty()) fail(at + ".unit_name", "required");
    if (s.role != "receiving" && s.role != "processing" && s.role != "leader")
      fail(at + ".role", "'" + s.role + "' is not one of receiving, processing, leader");
    if (!std::isfinite(s.working_days) || s.working_days < 0)
      fail(at + ".working_days", "must be >= 0, got " + days_text(s.working_days));
    total += s.working_days;
  }
  // Per-step deadlines (the control slip, Mẫu 06) are cut from the total: shares that do not add up would
  // make a dossier late on paper while every step is on time.
  if (std::fabs(total - p.processing_days) > kDaysTolerance)
    fail("steps",
         "working_days add up to " + days_text(total) + ", processing_days is " + days_text(p.processing_days));

  require(p.result_name, "result_name");
  require(p.legal_basis, "legal_basis");
}

Procedure procedure_from_json(const json& j) {
  // The code names the procedure in every later message, so it is read first (leniently: its own errors
  // come out of validate with the bad value quoted).
  std::string who = "(no code)";
  if (j.is_object()) {
    auto it = j.find("code");
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) who = it->get<std::string>();
  }
  Reader r(j, who, "");
  Procedure p;
  p.code = r.text("code");
  p.version = r.small_integer("version");
  auto effective = r.text("effective_from");
  auto date = parse_date(effective);
  if (!date) r.fail("effective_from", "'" + effective + "' is not a date YYYY-MM-DD");
  p.effective_from = *date;
  p.name = r.text("name");
  p.field_code = r.text("field_code");
  p.field_name = r.text("field_name");
  p.level = r.text("level");

  const json& channels = r.array("channels");
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const auto& c = channels[i];
    auto at = indexed("channels", i);
    if (!c.is_number_integer() || c.get<std::int64_t>() < 1 || c.get<std::int64_t>() > 3)
      r.fail(at, c.dump() + " is not a channel (1 in person, 2 online, 3 postal)");
    if (!p.channels.insert(static_cast<Channel>(c.get<int>())).second) r.fail(at, c.dump() + " is listed twice");
  }

  auto level = r.text("online_level");
  if (level == "none")
    p.online_level = OnlineLevel::kNone;
  else if (level == "partial")
    p.online_level = OnlineLevel::kPartial;
  else if (level == "full")
    p.online_level = OnlineLevel::kFull;
  else
    r.fail("online_level", "'" + level + "' is not one of none, partial, full");

  p.processing_days = r.number("processing_days");
  if (r.find("cut_off", false)) {
    auto text = r.text("cut_off");
    p.cut_off = parse_hh_mm(text);
    if (!p.cut_off) r.fail("cut_off", "'" + text + "' is not a time HH:MM");
  }

  const json& documents = r.array("documents");
  for (std::size_t i = 0; i < documents.size(); ++i)
    p.documents.push_back(document_from_json(documents[i], who, indexed("documents", i)));
  // A procedure without fees is free; listing "fees": [] is still the clearer way to say so.
  const json& fees = r.array("fees", false);
  for (std::size_t i = 0; i < fees.size(); ++i) p.fees.push_back(fee_from_json(fees[i], who, indexed("fees", i)));
  const json& steps = r.array("steps");
  for (std::size_t i = 0; i < steps.size(); ++i) p.steps.push_back(step_from_json(steps[i], who, indexed("steps", i)));

  p.result_sealed = r.boolean("result_sealed", false);
  p.result_name = r.text("result_name");
  p.legal_basis = r.text("legal_basis");
  p.processing_note = r.text("processing_note", false);
  r.refuse_unknown_keys();

  validate(p);
  return p;
}

json to_json(const Procedure& p) {
  json j;
  j["code"] = p.code;
  j["version"] = p.version;
  j["effective_from"] = format_date(p.effective_from);
  j["name"] = p.name;
  j["field_code"] = p.field_code;
  j["field_name"] = p.field_name;
  j["level"] = p.level;
  j["channels"] = json::array();
  for (auto c : p.channels) j["channels"].push_back(static_cast<int>(c));
  j["online_level"] = online_level_text(p.online_level);
  j["processing_days"] = days_json(p.processing_days);
  if (p.cut_off) j["cut_off"] = format_hh_mm(*p.cut_off);
  if (!p.processing_note.empty()) j["processing_note"] = p.processing_note;
  j["documents"] = json::array();
  for (const auto& d : p.documents)
    j["documents"].push_back({{"code", d.code},
                              {"name", d.name},
                              {"mandatory", d.mandatory},
                              {"form", d.form},
                              {"originals", d.originals},
                              {"copies", d.copies}});
  j["fees"] = json::array();
  for (const auto& f : p.fees) j["fees"].push_back({{"name", f.name}, {"amount", f.amount}, {"note", f.note}});
  j["steps"] = json::array();
  for (const auto& s : p.steps)
    j["steps"].push_back({{"index", s.index},
                          {"name", s.name},
                          {"unit", s.unit},
                          {"unit_name", s.unit_name},
                          {"role", s.role},
                          {"working_days", days_json(s.working_days)}});
  j["result_sealed"] = p.result_sealed;
  j["result_name"] = p.result_name;
  j["legal_basis"] = p.legal_basis;
  return j;
}

std::vector<Procedure> catalogue_from_json(const json& j) {
  if (!j.is_object() || !j.contains("procedures") || !j["procedures"].is_array())
    throw ProcedureError("catalogue: procedures: expected {\"procedures\": [...]}");
  for (const auto& [key, value] : j.items())
    if (key != "procedures") throw ProcedureError("catalogue: " + key + ": unknown key");
  std::vector<Procedure> out;
  // Two entries with one code and version would make the rules a dossier was received under ambiguous.
  std::map<std::pair<std::string, int>, std::size_t> seen;
  const auto& list = j["procedures"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    Procedure p;
    try {
      p = procedure_from_json(list[i]);
    } catch (const ProcedureError& e) {
      // The position finds the entry in a long file even when its code is the thing that is wrong.
      throw ProcedureError("catalogue procedures[" + std::to_string(i) + "]: " + e.what());
    }
    auto [it, fresh] = seen.emplace(std::make_pair(p.code, p.version), i);
    if (!fresh)
      throw ProcedureError("catalogue procedures[" + std::to_string(i) + "]: procedure " + p.code +
                           ": version: " + std::to_string(p.version) + " is already defined by procedures[" +
                           std::to_string(it->second) + "]");
    out.push_back(std::move(p));
  }
  return out;
}

json catalogue_to_json(const std::vector<Procedure>& procedures) {
  json list = json::array();
  for (const auto& p : procedures) list.push_back(to_json(p));
  return {{"procedures", std::move(list)}};
}

const Procedure* version_in_force(const std::vector<Procedure>& catalogue, const std::string& code, Date received_on) {
  const Procedure* best = nullptr;
  for (const auto& p : catalogue) {
    if (p.code != code || p.effective_from > received_on) continue;
    if (!best || p.effective_from > best->effective_from ||
        (p.effective_from == best->effective_from && p.version > best->version))
      best = &p;
  }
  return best;
}

}  // namespace lgsp::onestop
