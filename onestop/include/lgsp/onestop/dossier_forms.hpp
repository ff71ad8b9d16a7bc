// Forms of Circular 03/2025/TT-VPCP filled from a dossier's record (OneStopOffice::form_data): 01 receipt and
// appointment, 02 supplement request, 03 refusal, 04 apology and new appointment, 05 stop notice, 06 process
// control slip; and 07, the register of a period.
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/forms.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lgsp::onestop {

// `form` is "01".."06". Throws OnestopError (kConflict when the history lacks what the form reports, e.g. form
// 02 for a dossier never asked to supplement; kNotFound for an unknown form) or FormError.
std::vector<unsigned char> dossier_form(const nlohmann::json& form_data, const std::string& form, TimePoint now,
                                        const RenderOptions& options = {});
// Form 07 for the dossiers received in [from, to] (rows from OneStopOffice::register_rows).
std::vector<unsigned char> register_form(const AgencyConfig& agency, Date from, Date to, const nlohmann::json& rows,
                                         TimePoint now, const RenderOptions& options = {});
// Forms an agency seals (01 to 05); 06 and 07 are internal records.
inline bool form_can_be_sealed(const std::string& form) {
  return form == "01" || form == "02" || form == "03" || form == "04" || form == "05";
}

}  // namespace lgsp::onestop
