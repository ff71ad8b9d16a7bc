// The one-stop store's schema (SQLite at <data_dir>/onestop.db), as numbered migrations.
#pragma once

#include "lgsp/bus/store.hpp"

#include <filesystem>
#include <memory>
#include <vector>

namespace lgsp::onestop {

const std::vector<bus::Migration>& onestop_migrations();
// Opens (creating and migrating) <data_dir>/onestop.db, with the node's group-commit defaults.
std::unique_ptr<bus::Store> open_onestop_store(const std::filesystem::path& data_dir,
                                               unsigned group_commit_max_rows = 512,
                                               unsigned group_commit_max_delay_ms = 2);

}  // namespace lgsp::onestop
