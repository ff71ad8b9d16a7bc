// Where the node's SQL differs between SQLite and PostgreSQL. The repositories (sql_<aggregate>.cpp) are written
// once in the SQL both engines accept (ON CONFLICT, RETURNING) and take these few spellings from the dialect.
#pragma once

#include <string>

namespace lgsp::bus::store {

struct SqlDialect {
  // Appended to a text column in ORDER BY so both engines order by bytes (SQLite does by default; PostgreSQL
  // would use the database's locale).
  const char* bytewise;
  // The current UTC time as the RFC 3339 text (milliseconds, "Z") the tables hold.
  const char* now;
  // The same, as many seconds earlier as its one integer parameter says.
  const char* now_minus_seconds;
  // After a SELECT of `message m` whose rows the statement goes on to claim: PostgreSQL locks them and skips
  // rows another transaction has locked; SQLite has one writer and no row locks.
  const char* lock_skip_locked;
};

inline constexpr SqlDialect kSqliteDialect{"", "strftime('%Y-%m-%dT%H:%M:%fZ','now')",
                                           "strftime('%Y-%m-%dT%H:%M:%fZ','now', '-' || ? || ' seconds')", ""};
inline constexpr SqlDialect kPostgresqlDialect{
    " COLLATE \"C\"", "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
    "to_char(clock_timestamp() AT TIME ZONE 'UTC' - make_interval(secs => ?), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
    " FOR UPDATE OF m SKIP LOCKED"};

}  // namespace lgsp::bus::store
