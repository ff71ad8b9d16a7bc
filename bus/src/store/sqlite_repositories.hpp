// The SQLite implementations of the node's repositories (sql_<aggregate>.cpp, shared with PostgreSQL through
// sql_dialect.hpp).
#pragma once

#include "lgsp/bus/repositories.hpp"

namespace lgsp::bus::store {

const MessageRepository& sqlite_messages();
const RegistryRepository& sqlite_registry();
const AdminRepository& sqlite_admin();
const LogRepository& sqlite_log();
const EventRepository& sqlite_events();

inline const Repositories& sqlite_repositories() {
  static const Repositories all{sqlite_messages(), sqlite_registry(), sqlite_admin(), sqlite_log(), sqlite_events()};
  return all;
}

}  // namespace lgsp::bus::store
