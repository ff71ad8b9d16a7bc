// The node's repositories: the only way the bus reads and writes its tables. Each takes and returns
// typed structs; the SQL lives in the backend's implementation (bus/src/store/<backend>_*.cpp), chosen by
// the transaction's backend, so the code above them is the same on every backend.
#pragma once

#include "lgsp/bus/repositories/admin_repository.hpp"
#include "lgsp/bus/repositories/event_repository.hpp"
#include "lgsp/bus/repositories/log_repository.hpp"
#include "lgsp/bus/repositories/message_repository.hpp"
#include "lgsp/bus/repositories/registry_repository.hpp"
#include "lgsp/bus/store.hpp"

namespace lgsp::bus {

struct Repositories {
  const MessageRepository& messages;
  const RegistryRepository& registry;
  const AdminRepository& admin;
  const LogRepository& log;
  const EventRepository& events;
};

// The repositories for the backend `tx` runs on; throws StoreError for a backend without them.
const Repositories& repositories(const Transaction& tx);

}  // namespace lgsp::bus
