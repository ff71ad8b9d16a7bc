// What a change of a dossier causes besides itself, written in the same store unit: the national portal's
// records (the outbox the DVCQG sync job reads) and messages to other agencies over the bus.
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

namespace lgsp::onestop::detail {

// After any status change (or hand-over) of `d`: the DongBoHoSoMC record of the dossier and a
// CapNhatTienDoHoSoMC progress record (only for dossiers this office received from the applicant), and for a
// dossier another agency sent here, an onestop.dossier-status@v1 message back to it.
void emit_change(Repos& r, const AgencyConfig& agency, const DossierRecord& d, const Actor& actor,
                 const std::string& comment, TimePoint at, bool is_new);

// The link a reader without an account (the portal, another agency) fetches a dossier file by: signed and
// valid for agency.file_link_days from `at` when the office has a link key, else the officials' route.
std::string file_url(const AgencyConfig& agency, const std::string& sha256, TimePoint at);

void enqueue_message(Repos& r, const OutgoingMessage& m, TimePoint at);

// The onestop.dossier-submission@v1 payload asking `step`'s unit to do that step.
nlohmann::json submission_payload(Repos& r, const AgencyConfig& agency, const DossierRecord& d, const DossierStep& step,
                                  const std::string& note);
// The onestop.result-notice@v1 payload for a dossier another agency sent here.
nlohmann::json result_notice_payload(Repos& r, const DossierRecord& d, const Actor& signer, const std::string& outcome,
                                     const std::vector<std::string>& reasons, TimePoint at);

}  // namespace lgsp::onestop::detail
