// The `soap` adapter kind (issue 22 item 2). `mode = "expose"`: legacy SOAP clients call bus services through
// it (a WSDL generated from the contracts, SOAP 1.1 and 1.2, faults with our codes, WS-Security
// UsernameToken). `mode = "provide"`: a legacy SOAP service is the provider of a bus service (the node's
// calls and deliveries are wrapped into envelopes, its answers unwrapped, its faults mapped to errors).
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <memory>

namespace lgsp::adapters {

std::unique_ptr<Adapter> make_soap_adapter(ConfigTable& table);

}  // namespace lgsp::adapters
