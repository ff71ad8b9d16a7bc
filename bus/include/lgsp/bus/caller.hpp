// Who is calling and whether they may call this service: authentication (API key, client certificate
// or a peer node's certificate), the LGSP-Client check, the service lookup and the ACL. The sync proxy
// and the message pipeline ask the same questions in the same order, so they give the same answers.
#pragma once

#include "lgsp/bus/http.hpp"
#include "lgsp/bus/registry.hpp"

#include <optional>
#include <string>
#include <variant>

namespace lgsp::bus {

struct Caller {
  std::string client;    // the subsystem the request acts for (LGSP-Client)
  std::string via_node;  // the peer node that forwarded it, empty when the client called directly
  Service service;
};

// Steps 1-2 only (who is calling, for whom); Caller::service is left empty.
std::variant<Caller, HttpResponse> authenticate_client(const HttpRequest& request, const Registry& registry);
// The caller, or the problem+json answer that refuses the request (401, 403, 404).
std::variant<Caller, HttpResponse> identify_caller(const HttpRequest& request, const Registry& registry,
                                                   const std::string& service_id);

}  // namespace lgsp::bus
