#include "lgsp/bus/call_proxy.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"

namespace lgsp::bus {
namespace {

using nlohmann::json;

// "<member>/<subsystem>/<code>/v<N>" and the provider path after it ("/" when none).
bool split_target(const std::string& rest, std::string& service, std::string& path) {
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = rest.find('/', pos);
    if (i < 3) {
      if (pos == std::string::npos) return false;
      ++pos;
    }
  }
  service = rest.substr(0, pos);
  path = pos == std::string::npos ? "/" : rest.substr(pos);
  return Registry::is_service_id(service);
}

std::string join_url(const std::string& endpoint, const std::string& path, const std::string& query) {
  std::string url = endpoint;
  if (!url.empty() && url.back() == '/' && !path.empty() && path.front() == '/') url.pop_back();
  if (path != "/" || url.find('/', url.find("://") + 3) == std::string::npos) url += path;
  if (!query.empty()) url += "?" + query;
  return url;
}

}  // namespace

Sha256 CallSeal::leaf() const {
  std::string bytes = "lgsp-call-v1\n";
  for (const std::string* f : {&call_id, &client, &service, &at, &request_sha256, &response_sha256})
    append_field(bytes, *f);
  append_field(bytes, std::to_string(status));
  return sha256(bytes);
}

json CallSeal::to_json() const {
  return {{"call_id", call_id},
          {"client", client},
          {"service", service},
          {"at", at},
          {"request_sha256", request_sha256},
          {"response_sha256", response_sha256},
          {"status", status}};
}

CallSeal CallSeal::from_json(const json& j) {
  CallSeal c;
  c.call_id = j.at("call_id").get<std::string>();
  c.client = j.at("client").get<std::string>();
  c.service = j.at("service").get<std::string>();
  c.at = j.at("at").get<std::string>();
  c.request_sha256 = j.at("request_sha256").get<std::string>();
  c.response_sha256 = j.at("response_sha256").get<std::string>();
  c.status = j.at("status").get<unsigned>();
  return c;
}

// Callbacks hold the Impl alive: an answer may come back while the proxy is being torn down.
struct CallProxy::Impl : std::enable_shared_from_this<CallProxy::Impl> {
  Dependencies deps;
  OutboundClient& client;

  Impl(Dependencies d, OutboundClient& c) : deps(std::move(d)), client(c) {}

  void handle(HttpRequest& request, Reply reply);
  void answered(const Caller& caller, const std::string& call_id, const std::string& request_hash,
                OutboundResponse response, const Reply& reply);
};

void CallProxy::Impl::handle(HttpRequest& request, Reply reply) {
  std::string service_id;
  std::string path;
  if (!split_target(request.path_params["*"], service_id, path))
    return reply(problem(errors::kUnknownRoute, "expected /v1/call/<member>/<subsystem>/<code>/v<N>[/<path>]"));
  // The call id goes into the answer's headers, the provider's request and the log, like a message id.
  const auto given_id = request.header("lgsp-message-id");
  if (given_id && !is_wire_id(*given_id))
    return reply(problem(errors::kMissingHeader, "LGSP-Message-Id, when given: " + std::string(kWireIdRule)));
  // An empty LGSP-Conversation-Id is none, as in the exchange.
  if (auto conversation = request.header("lgsp-conversation-id");
      conversation && !conversation->empty() && !is_wire_id(*conversation))
    return reply(problem(errors::kMissingHeader, "LGSP-Conversation-Id, when given: " + std::string(kWireIdRule)));
  Store* store = deps.store();
  const contracts::Catalogue* catalogue = deps.catalogue();
  if (!store || !catalogue) return reply(problem(errors::kNotReady, "the store is not open yet"));
  Sealer* sealer = deps.sealer();
  std::string why_not;
  if (!sealer || !sealer->ready(why_not))
    return reply(problem(errors::kSigningUnavailable, why_not.empty() ? "signing is not available" : why_not));

  // Registry reads come from SQLite's page cache under WAL (no I/O wait in practice), so they run
  // here rather than paying a thread hop per call.
  Registry registry(*store, catalogue, deps.registry_cache.get());
  auto who = identify_caller(request, registry, service_id);
  if (auto* refusal = std::get_if<HttpResponse>(&who)) return reply(std::move(*refusal));
  auto caller = std::get<Caller>(std::move(who));

  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    const auto* contract = catalogue->find(caller.service.request_contract);
    if (!contract) return reply(problem(errors::kInternal, "contract " + caller.service.request_contract + " is gone"));
    auto result = contract->validate(request.body, deps.limits);
    if (!result.valid())
      return reply(problem(errors::kContract, "the request does not satisfy " + contract->id(),
                           contracts::to_json(result.errors)));
  }

  const std::string call_id = given_id.value_or(random_hex(16));
  const std::string request_hash = sha256_hex(request.body);
  OutboundRequest out;
  out.method = request.method;
  out.url = join_url(caller.service.endpoint, path, request.query);
  out.body = request.body;
  out.timeout = std::chrono::milliseconds(caller.service.timeout_ms);
  // The caller's credentials (Authorization, cookies) are never passed on to the provider.
  for (const char* name : {"content-type", "accept", "lgsp-conversation-id"})
    if (auto v = request.header(name)) out.headers.emplace_back(name, *v);
  out.headers.emplace_back("LGSP-Client", caller.client);
  out.headers.emplace_back("LGSP-Service", service_id);
  out.headers.emplace_back("LGSP-Message-Id", call_id);
  out.headers.emplace_back("LGSP-Request-Hash", request_hash);
  client.send(std::move(out),
              [self = shared_from_this(), caller, call_id, request_hash, reply](OutboundResponse response) {
                self->answered(caller, call_id, request_hash, std::move(response), reply);
              });
}

void CallProxy::Impl::answered(const Caller& caller, const std::string& call_id, const std::string& request_hash,
                               OutboundResponse response, const Reply& reply) {
  using Failure = OutboundResponse::Failure;
  if (response.failure == Failure::timeout) return reply(problem(errors::kProviderTimeout, response.error));
  if (!response.ok()) return reply(problem(errors::kProviderError, response.error));
  if (response.status >= 500)
    return reply(problem(errors::kProviderError, "the provider answered HTTP " + std::to_string(response.status)));
  if (response.status < 300 && !caller.service.response_contract.empty()) {
    const auto* catalogue = deps.catalogue();
    const auto* contract = catalogue ? catalogue->find(caller.service.response_contract) : nullptr;
    if (!contract)
      return reply(problem(errors::kInternal, "contract " + caller.service.response_contract + " is gone"));
    auto result = contract->validate(response.body, deps.limits);
    if (!result.valid())
      return reply(problem(errors::kResponseContract, "the provider's answer does not satisfy " + contract->id(),
                           contracts::to_json(result.errors)));
  }

  CallSeal seal;
  seal.call_id = call_id;
  seal.client = caller.client;
  seal.service = caller.service.id;
  seal.at = utc_now_rfc3339();
  seal.request_sha256 = request_hash;
  seal.response_sha256 = sha256_hex(response.body);
  seal.status = response.status;
  Sealer* sealer = deps.sealer();
  if (!sealer) return reply(problem(errors::kSigningUnavailable, "signing is not available"));
  auto body = std::make_shared<OutboundResponse>(std::move(response));
  // The caller is waiting: no batch window (the batch is what queued meanwhile).
  sealer->seal_urgent(seal.leaf(),
                      [self = shared_from_this(), seal, body, reply](Seal value, std::exception_ptr error) {
                        if (error) {
                          try {
                            std::rethrow_exception(error);
                          } catch (const std::exception& e) {
                            return reply(problem(errors::kSigningUnavailable, e.what()));
                          }
                        }
                        if (self->deps.on_sealed) self->deps.on_sealed(seal, value);
                        HttpResponse r;
                        r.status = body->status;
                        r.content_type = body->header("content-type").value_or("application/octet-stream");
                        r.body = std::move(body->body);
                        r.headers = {{"LGSP-Message-Id", seal.call_id},
                                     {"LGSP-Client", seal.client},
                                     {"LGSP-Service", seal.service},
                                     {"LGSP-Sealed-At", seal.at},
                                     {"LGSP-Request-Hash", seal.request_sha256},
                                     {"LGSP-Response-Hash", seal.response_sha256},
                                     {"LGSP-Signature", std::move(value.text)}};
                        reply(std::move(r));
                      });
}

CallProxy::CallProxy(Dependencies dependencies, OutboundClient& client)
    : impl_(std::make_shared<Impl>(std::move(dependencies), client)) {}

void CallProxy::add_routes(Router& router) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE"})
    router.add(method, "/v1/call/*",
               [impl = impl_](HttpRequest& r, Reply reply) { impl->handle(r, std::move(reply)); });
}

}  // namespace lgsp::bus
