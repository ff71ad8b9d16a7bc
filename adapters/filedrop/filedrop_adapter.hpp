// Adapter kind "filedrop": files dropped in a watched folder become messages on the bus (one per file, its
// SHA-256 as the idempotency key), moved to done/ with their receipt or to failed/ with a reason; deliveries
// the node pushes are written atomically into an outbound folder. See docs/adapters.md, "File drop".
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <memory>

namespace lgsp::adapters {

std::unique_ptr<Adapter> make_filedrop_adapter(ConfigTable& table);

}  // namespace lgsp::adapters
