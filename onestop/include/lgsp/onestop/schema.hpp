// The one-stop store's schema (SQLite at <data_dir>/onestop.db, or a PostgreSQL database), as numbered
// migrations, and opening the store the config names.
#pragma once

#include "lgsp/bus/pg_store.hpp"
#include "lgsp/bus/store.hpp"

#include <filesystem>
#include <memory>
#include <vector>

namespace lgsp::onestop {

const std::vector<bus::Migration>& onestop_migrations();
// The same versions in PostgreSQL's dialect, step for step.
const std::vector<bus::Migration>& onestop_pg_migrations();

// The outbox poll (parameters: now as local RFC 3339, limit): the oldest unsent message of each
// conversation that is due. Here beside the schema because the partial index bus_outbox_pending exists
// for it: without it each poll walks every message the office ever sent.
extern const char* const kDueBusMessagesSql;
// The same, less the messages another sender has claimed (parameters: now, now, limit).
extern const char* const kClaimBusMessagesSql;

// Opens (creating and migrating) <data_dir>/onestop.db, with the node's group-commit defaults.
std::unique_ptr<bus::Store> open_onestop_store(const std::filesystem::path& data_dir,
                                               unsigned group_commit_max_rows = 512,
                                               unsigned group_commit_max_delay_ms = 2);
// Opens (creating and migrating, under PgStore's advisory lock so that instances starting together migrate
// once) the office's PostgreSQL database. Throws bus::StoreError when it cannot.
std::unique_ptr<bus::Store> open_onestop_pg_store(const bus::PgStoreOptions& options);

}  // namespace lgsp::onestop
