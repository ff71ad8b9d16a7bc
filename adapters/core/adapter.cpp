#include "lgsp/adapters/adapter.hpp"

namespace lgsp::adapters {

void Adapter::prepare_replay(AdapterContext&) {
  throw AdapterConfigError("adapter '" + name() + "'",
                           "a " + std::string(kind()) + " adapter replays its dead letters only inside the runner");
}

}  // namespace lgsp::adapters
