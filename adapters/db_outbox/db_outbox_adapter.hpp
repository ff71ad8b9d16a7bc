// The `db-outbox` adapter kind: a legacy system's PostgreSQL outbox table sent to the bus row by row (a
// cursor kept in the adapter's state folder, moved only after the node's 202/200), and deliveries the
// node pushes written into a table of that database (one transaction each, once per message id).
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <memory>

namespace lgsp::adapters {

std::unique_ptr<Adapter> make_db_outbox_adapter(ConfigTable& table);

}  // namespace lgsp::adapters
