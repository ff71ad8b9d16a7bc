#include "lgsp/bus/caller.hpp"

namespace lgsp::bus {

std::variant<Caller, HttpResponse> authenticate_client(const HttpRequest& request, const Registry& registry) {
  // 1. Authenticate: a verified client certificate wins over a bearer key (it is the stronger proof).
  std::optional<std::string> subsystem;
  std::optional<std::string> peer;
  if (!request.peer_certificate_sha256.empty()) {
    subsystem = registry.subsystem_for_certificate(request.peer_certificate_sha256);
    if (!subsystem) peer = registry.peer_node_for_certificate(request.peer_certificate_sha256);
  }
  if (!subsystem && !peer) {
    auto auth = request.header("authorization");
    if (auth && auth->rfind("Bearer ", 0) == 0) subsystem = registry.authenticate(auth->substr(7));
  }
  if (!subsystem && !peer)
    return problem(errors::kUnauthenticated,
                   request.peer_certificate_sha256.empty()
                       ? "send 'Authorization: Bearer <API key>' or a registered client certificate"
                       : "the client certificate is not bound to a subsystem or a peer node");

  // 2. LGSP-Client names who the request acts for; it must be the authenticated subsystem, or for a
  //    peer node, a subsystem registered here.
  auto client = request.header("lgsp-client");
  if (!client || client->empty()) return problem(errors::kMissingHeader, "the LGSP-Client header is required");
  if (subsystem && *client != *subsystem)
    return problem(errors::kClientMismatch,
                   "LGSP-Client '" + *client + "' is not the authenticated subsystem '" + *subsystem + "'");
  if (peer) {
    bool known = false;
    for (const auto& s : registry.subsystems()) known = known || s.id == *client;
    if (!known)
      return problem(errors::kClientMismatch,
                     "peer node '" + *peer + "' forwards for '" + *client + "', which is not registered here");
  }

  return Caller{*client, peer.value_or(""), {}};
}

namespace {

std::variant<Caller, HttpResponse> identify_caller_in_read(const HttpRequest& request, const Registry& registry,
                                                           const std::string& service_id) {
  auto who = authenticate_client(request, registry);
  if (std::holds_alternative<HttpResponse>(who)) return who;
  auto caller = std::get<Caller>(std::move(who));
  // 3. The service, then the ACL. An unknown service and an ungranted one answer differently on
  //    purpose: service ids are published in the registry, not secrets.
  auto service = registry.find_service(service_id);
  if (!service) return problem(errors::kUnknownService, "no service '" + service_id + "' on this node");
  if (!registry.allowed(caller.client, service_id))
    return problem(errors::kForbidden, "'" + caller.client + "' is not granted '" + service_id + "'");
  caller.service = *service;
  return caller;
}

}  // namespace

std::variant<Caller, HttpResponse> identify_caller(const HttpRequest& request, const Registry& registry,
                                                   const std::string& service_id) {
  std::optional<std::variant<Caller, HttpResponse>> answer;
  registry.in_one_read([&] { answer = identify_caller_in_read(request, registry, service_id); });
  return std::move(*answer);
}

}  // namespace lgsp::bus
