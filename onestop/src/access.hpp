// The unit boundary: which unit's records an account may read and change. One place, so that every query and
// action (dossiers, e-profiles, files, reports, outboxes) draws the line the same way.
#pragma once

#include "lgsp/onestop/actor.hpp"
#include "office_unit.hpp"

#include <string>

namespace lgsp::onestop::detail {

// The module itself (deadlines, deliveries from the bus) is bound to no unit.
inline bool is_module(const Actor& a) { return a.role == Role::kSystem || a.role == Role::kRemote; }
// Reading `unit`'s records: its own officials, and accounts with the province scope.
bool may_read_unit(const Actor& a, const std::string& unit);
// Changing `unit`'s records: its own officials only (a provincial supervisor reads, the unit acts).
bool may_act_in_unit(const Actor& a, const std::string& unit);
// Throws as if the dossier did not exist (404 LGSP-404-ONESTOP) when `a` may not see it: another unit's record
// is not even confirmed to exist. A citizen sees only their own (403, as before).
void check_may_read(const Actor& a, const DossierRecord& d);
// check_may_read, then 403 when `a` sees the dossier (a supervisor) but may not change it.
void check_may_act(const Actor& a, const DossierRecord& d);
// The unit an e-profile belongs to; throws 404 (as absent) when `a` may not see it.
std::string need_profile_unit(Repos& r, const Actor& a, const std::string& customer_code);
// Whether `a` may read, or attach to a record, the stored file `sha256`: a file is its unit's when one of the
// unit's dossiers or e-profiles references it or one of the unit's accounts uploaded it; a citizen's when they
// uploaded it or their e-profile keeps it.
bool file_visible(Repos& r, const Actor& a, const std::string& sha256);

}  // namespace lgsp::onestop::detail
