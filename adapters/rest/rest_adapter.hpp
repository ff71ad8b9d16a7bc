// The `rest` adapter kind: a legacy REST/JSON system with its own field names on the bus, through a
// declarative mapping checked against the contract at start. Inbound, the legacy system POSTs its own JSON
// to the adapter, which maps it and sends it (or calls the service) through the node; as provider, the
// node delivers (or forwards a call) to the adapter, which maps it, calls the legacy system and maps the
// answer back.
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <memory>

namespace lgsp::adapters {

std::unique_ptr<Adapter> make_rest_adapter(ConfigTable& table);

}  // namespace lgsp::adapters
