// A dossier as the office's .cpp files read and write it inside a store unit.
#pragma once

#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/calendar.hpp"
#include "lgsp/onestop/dossier_status.hpp"
#include "office_sql.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop::detail {

// `code` is also every dossier code variable's name; this spelling cannot be shadowed.
inline int code_of(DossierStatus s) { return static_cast<int>(s); }

struct DossierRow {
  std::string code;
  std::string agency;         // the office that holds this record
  std::string origin_agency;  // the office that received it from the applicant (== agency unless inter-agency)
  std::string procedure_code;
  int procedure_version = 0;
  std::string procedure_name;
  std::string customer_code;
  nlohmann::json applicant;
  int channel = 1;
  DossierStatus status = DossierStatus::kNew;
  // The statuses a dossier was paused from (5 supplement, 6 payment, 7 withdrawal), innermost last: a
  // withdrawal asked while waiting for a supplement resumes to 5, and the supplement then to what was before.
  std::vector<int> pause_stack;
  TimePoint received_at, due_at, original_due_at;
  std::optional<TimePoint> finished_at, delivered_at;
  int current_step = 1;
  std::string current_unit;
  std::string received_by;
  int extensions = 0;
  bool incoming() const { return origin_agency != agency; }
};

struct StepRow {
  int index = 0;
  std::string name, unit, unit_name;
  std::string role;  // who acts on it here: receiving, processing, leader; empty: any official
  TimePoint due_at;
  std::optional<TimePoint> started_at, finished_at;
  std::string handed_by, received_by, result;
};

std::optional<DossierRow> load_dossier(Transaction& tx, const std::string& code);
DossierRow need_dossier(Transaction& tx, const std::string& code);  // throws kNotFound
std::vector<StepRow> load_steps(Transaction& tx, const std::string& code);
void save_dossier(Transaction& tx, const DossierRow& d, TimePoint now);
void insert_dossier(Transaction& tx, const DossierRow& d, const std::string& id_number, const std::string& phone,
                    TimePoint now);
void save_step(Transaction& tx, const std::string& code, const StepRow& s);
int add_document(Transaction& tx, const std::string& code, const std::string& kind, const nlohmann::json& doc,
                 TimePoint at);
nlohmann::json documents(Transaction& tx, const std::string& code, const std::string& kind = "");

std::optional<std::string> opt_time(const std::optional<TimePoint>& t);

}  // namespace lgsp::onestop::detail
