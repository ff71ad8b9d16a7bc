// Dossier codes: "<agency code>-<yymmdd>-<seq>" by default, the pattern configurable per agency; the sequence
// counts per agency per local day, is allocated inside the caller's store transaction (so two officials
// receiving at the same moment never get the same code) and is never reused, even if the dossier is deleted.
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/local_time.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace lgsp::onestop {

class DossierCodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Placeholders: {agency}, {yyyy}, {yy}, {mm}, {dd}, {yymmdd}, {seq} (at least 4 digits, zero-padded) and
// {seq:N} (at least N digits, 1..18). The pattern must contain {seq} or {seq:N} exactly once; the counter is kept
// per agency per local day, so a pattern must also contain {agency} and the full day ({yymmdd}, or {dd}, {mm}
// and {yy} or {yyyy}): without them two agencies or two days would produce the same code. A brace that is not
// part of a placeholder is malformed too. Throws DossierCodeError when malformed.
class DossierCodePattern {
 public:
  static constexpr const char* kDefault = "{agency}-{yymmdd}-{seq}";
  explicit DossierCodePattern(std::string pattern = kDefault);
  const std::string& text() const { return pattern_; }
  std::string format(const std::string& agency, Date day, std::int64_t seq) const;

 private:
  std::string pattern_;
};

// The SQL this allocator needs, for the module's migrations:
//   CREATE TABLE dossier_sequences(agency TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL,
//                                  PRIMARY KEY(agency, day))
extern const char* const kDossierSequenceTableSql;

// Takes the next sequence number for (agency, local day of `at`) and formats the code. Call inside
// Store::write; the number is taken by that unit's transaction (through its backend's DossierRepository).
std::string allocate_dossier_code(bus::Transaction& tx, const DossierCodePattern& pattern, const std::string& agency,
                                  TimePoint at);

}  // namespace lgsp::onestop
