// What the office's .cpp files share inside a unit of work: the repositories, the dossier a change needs, and
// the history entry an actor's change writes.
#pragma once

#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/dossier_status.hpp"
#include "lgsp/onestop/repositories.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace lgsp::onestop::detail {

using Repos = OfficeRepositories;

// `code` is also every dossier code variable's name; this spelling cannot be shadowed.
inline int code_of(DossierStatus s) { return static_cast<int>(s); }

DossierRecord need_dossier(Repos& r, const std::string& code);  // throws kNotFound

// One entry of a dossier's process history, by `actor`.
HistoryEntry history_entry(TimePoint at, const Actor& actor, const std::string& action, std::optional<int> from,
                           std::optional<int> to, std::optional<int> step, const std::string& comment,
                           nlohmann::json details);

}  // namespace lgsp::onestop::detail
