// Where the office's SQL differs between SQLite and PostgreSQL. The repositories (sql_<aggregate>.cpp) are written
// once in the SQL both engines accept (ON CONFLICT, RETURNING, positional `?` parameters) and take these few
// spellings from the dialect of the unit of work's backend.
#pragma once

#include "lgsp/bus/store.hpp"

namespace lgsp::onestop::store {

struct OfficeDialect {
  // The applicant's full name from the dossier's applicant JSON (a text column on both engines).
  const char* applicant_name;
  // The statement that makes a write unit the only one writing the office's data until it commits, or empty
  // where the engine already runs one writer at a time (SQLite: one writer per database file).
  const char* exclusive_write;
};

inline constexpr OfficeDialect kSqliteOfficeDialect{"json_extract(applicant, '$.full_name')", ""};
// A transaction-scoped advisory lock every office instance on the database takes first in each write unit: the
// office's writes are then serialized as on SQLite (a status check and the change it allows never interleave
// with another instance's, dossier codes and outbox ids commit in the order they are taken). The key is the
// office's own (PgStore's migration lock uses 7285310418).
inline constexpr OfficeDialect kPostgresqlOfficeDialect{"(applicant::jsonb ->> 'full_name')",
                                                        "SELECT pg_advisory_xact_lock(7285310419)"};

inline const OfficeDialect& dialect_of(const bus::Transaction& tx) {
  return tx.backend() == bus::Backend::postgresql ? kPostgresqlOfficeDialect : kSqliteOfficeDialect;
}

}  // namespace lgsp::onestop::store
