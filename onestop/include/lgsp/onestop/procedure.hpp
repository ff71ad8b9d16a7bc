// Administrative procedures (thủ tục hành chính): versioned data with an effective date. A dossier keeps the
// procedure version it was received under. The JSON form is what `lgsp onestop procedure import` reads and
// `onestop/samples/procedures.json` holds.
#pragma once

#include "lgsp/onestop/local_time.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::onestop {

class ProcedureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a dossier may be filed: 1 in person, 2 online, 3 public postal service (the portal's codes).
enum class Channel : int { kInPerson = 1, kOnline = 2, kPostal = 3 };
// Online public service level: partial (một phần) or full process (toàn trình).
enum class OnlineLevel { kNone, kPartial, kFull };

struct RequiredDocument {
  std::string code;  // stable within the procedure, e.g. "TK01"
  std::string name;  // "Tờ khai đăng ký khai sinh theo mẫu"
  bool mandatory = true;
  std::string form;   // the prescribed form, if any ("Mẫu TP/HT-2020-KS.1")
  int originals = 1;  // copies asked for: originals and certified copies
  int copies = 0;

  friend bool operator==(const RequiredDocument&, const RequiredDocument&) = default;
};

struct Fee {
  std::string name;         // "Lệ phí đăng ký khai sinh"
  std::int64_t amount = 0;  // VND; 0 = free
  std::string note;         // e.g. "Miễn lệ phí đăng ký khai sinh đúng hạn"

  friend bool operator==(const Fee&, const Fee&) = default;
};

// One ordered processing step. `unit` is the agency code that does it; a step whose unit is another agency
// runs there over the bus (liên thông).
struct ProcedureStep {
  int index = 0;            // 1-based, consecutive
  std::string name;         // "Thẩm định hồ sơ"
  std::string unit;         // agency code, e.g. "000.00.13.H29"
  std::string unit_name;    // "UBND phường Bến Thành"
  std::string role;         // who acts: "receiving", "processing", "leader"
  double working_days = 0;  // this step's share of the processing time (fractions allowed)

  friend bool operator==(const ProcedureStep&, const ProcedureStep&) = default;
};

struct Procedure {
  std::string code;       // MaTTHC, e.g. "1.001193"
  int version = 1;        // increases with every change of the rules
  Date effective_from{};  // the version applies to dossiers received on or after this local date
  std::string name;
  std::string field_code;  // MaLinhVuc, e.g. "HTCH" (hộ tịch)
  std::string field_name;
  std::string level;  // "commune", "district", "province": the level that receives
  std::set<Channel> channels;
  OnlineLevel online_level = OnlineLevel::kNone;
  double processing_days = 0;                   // total, in working days
  std::optional<std::chrono::minutes> cut_off;  // overrides the calendar's cut-off hour
  std::vector<RequiredDocument> documents;
  std::vector<Fee> fees;
  std::vector<ProcedureStep> steps;
  bool result_sealed = false;  // the result also carries the agency seal
  std::string result_name;     // "Giấy khai sinh (bản chính)"
  std::string legal_basis;     // the decrees/circulars it rests on
  // How the law words the time limit when a number of days says it poorly ("ngay trong ngày; sau 15 giờ thì
  // trả trong ngày làm việc tiếp theo"). Optional in JSON, omitted when empty.
  std::string processing_note;

  friend bool operator==(const Procedure&, const Procedure&) = default;

  // The units other than `home_agency` that do a step (inter-agency when non-empty).
  std::vector<std::string> other_units(const std::string& home_agency) const;
};

// A version of a procedure as the catalogue keeps it: the rules and when they were imported.
struct ImportedProcedure {
  Procedure procedure;
  TimePoint imported_at{};
};

// The rules that hold whatever the source (JSON or code): throws ProcedureError as procedure_from_json does.
// Paths in messages index arrays from 0, as jq does: "steps[2]" is the third step (index 3).
void validate(const Procedure& p);

// JSON (keys in snake_case, as in onestop/samples/procedures.json). Throws ProcedureError naming the
// procedure and field: missing fields, steps not numbered 1..n, step days not adding up to processing_days,
// unknown channel, bad agency code, duplicate document codes, and unknown keys (so that typos surface).
Procedure procedure_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Procedure& p);
// A catalogue file: {"procedures": [...]}; every procedure is validated, the first error throws.
std::vector<Procedure> catalogue_from_json(const nlohmann::json& j);
nlohmann::json catalogue_to_json(const std::vector<Procedure>& procedures);

// The version of procedure `code` that a dossier received on `received_on` falls under: the latest
// effective_from on or before that date (the highest version on a tie); nullptr when none is in force yet.
const Procedure* version_in_force(const std::vector<Procedure>& catalogue, const std::string& code, Date received_on);

}  // namespace lgsp::onestop
