// The PostgreSQL implementations of the node's repositories (sql_<aggregate>.cpp, shared with SQLite through
// sql_dialect.hpp).
#pragma once

#include "lgsp/bus/repositories.hpp"

namespace lgsp::bus::store {

const MessageRepository& pg_messages();
const RegistryRepository& pg_registry();
const AdminRepository& pg_admin();
const LogRepository& pg_log();
const EventRepository& pg_events();

inline const Repositories& pg_repositories() {
  static const Repositories all{pg_messages(), pg_registry(), pg_admin(), pg_log(), pg_events()};
  return all;
}

}  // namespace lgsp::bus::store
