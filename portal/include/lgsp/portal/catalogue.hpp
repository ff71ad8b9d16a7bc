// The national procedure catalogue into the office: LayDanhSachTTHC lists the procedures, LayThuTuc gives
// each one's detail, mapped (codes, statuses, channels: [catalogue] in portal.toml) to the office's procedure
// format and imported with POST /onestop/v1/procedures. A procedure the office already has with the same
// content is skipped; a changed one becomes the next version (a version once imported never changes).
#pragma once

#include "lgsp/portal/config.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace lgsp::portal {

// One national procedure (LayThuTuc's result[0]) as the office's procedure JSON, version 1; nullopt with
// `why` when it cannot be mapped (no steps, no result, a status the mapping does not know ...).
// `skip` is set when the status mapping says the procedure is not imported.
std::optional<nlohmann::json> map_procedure(const nlohmann::json& national, const std::string& national_code,
                                            const PortalConfig& config, std::string& why, bool& skip);

// Runs the import; returns {"listed", "imported", "unchanged", "skipped", "failed", "errors": [...]}. Throws
// when the portal or the office cannot be reached at all.
nlohmann::json import_catalogue(const PortalConfig& config);

}  // namespace lgsp::portal
