#include "lgsp/bus/call_proxy.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/provider_path.hpp"
#include "lgsp/bus/refusal_recorder.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "stages/stage.hpp"

#include <cctype>
#include <optional>

namespace lgsp::bus {
namespace {

using nlohmann::json;

// A provider's own 5xx problem+json (an adapter in front of a legacy system: LGSP-502-SOAP-FAULT with the
// legacy fault, LGSP-503-SOAP-LEGACY ...) is passed on, marked as the provider's, instead of the node's
// generic LGSP-502-PROVIDER, so the caller learns what failed behind the provider. Only a small JSON object
// whose `code` is an LGSP 5xx code passes; anything else stays LGSP-502-PROVIDER.
std::optional<HttpResponse> provider_problem(const OutboundResponse& response, const std::string& service) {
  const auto type = response.header("content-type").value_or("");
  if (type.rfind("application/problem+json", 0) != 0 || response.body.size() > 16 * 1024) return std::nullopt;
  auto body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("code") || !body["code"].is_string()) return std::nullopt;
  const std::string code = body["code"].get<std::string>();
  if (code.size() < 10 || code.size() > 64 || code.rfind("LGSP-5", 0) != 0 ||
      !std::isdigit(static_cast<unsigned char>(code[6])) || !std::isdigit(static_cast<unsigned char>(code[7])) ||
      code[8] != '-' || code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
    return std::nullopt;
  // Only what the public API documents (ProviderProblem in docs/openapi.json) goes on: the problem's text
  // members, and at most 16 of the provider's own members (a legacy fault's faultcode, faultstring ...) with
  // a plain name and a string or integer value. A provider cannot put objects, arrays or the node's own
  // members (status, source, service) into the node's answer.
  json passed = json::object();
  std::size_t extra = 0;
  for (const auto& [name, value] : body.items()) {
    const bool plain_name = !name.empty() && name.size() <= 32 &&
                            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (!plain_name || name == "status" || name == "source" || name == "service" || name == "errors") continue;
    const bool known = name == "type" || name == "code" || name == "title" || name == "title_vi" || name == "detail";
    if (known ? !value.is_string() : !(value.is_string() || value.is_number_integer())) continue;
    if (!known && ++extra > 16) continue;
    passed[name] = value;
  }
  passed["status"] = response.status;
  passed["source"] = "provider";
  passed["service"] = service;
  HttpResponse r = HttpResponse::json(response.status, passed);
  r.content_type = "application/problem+json";
  return r;
}

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
  // An HTTP status: anything else (a negative, fractional or huge number) is a malformed record, not a cast.
  const auto& status = j.at("status");
  if (!status.is_number_integer() || status.get<std::int64_t>() < 0 || status.get<std::int64_t>() > 999)
    throw nlohmann::json::type_error::create(302, "call record status is not an HTTP status code", &status);
  c.status = static_cast<unsigned>(status.get<std::int64_t>());
  return c;
}

// Callbacks hold the Impl alive: an answer may come back while the proxy is being torn down.
struct CallProxy::Impl : std::enable_shared_from_this<CallProxy::Impl> {
  Dependencies deps;
  OutboundClient& client;
  std::shared_ptr<RefusalRecorder> refusals =
      deps.refusals ? deps.refusals : std::make_shared<RefusalRecorder>(deps.store, deps.metrics);
  // target -> headers -> access -> contract -> forward; headers, access and contract are the exchange's.
  std::shared_ptr<pipeline::Pipeline> pipeline;

  Impl(Dependencies d, OutboundClient& c) : deps(std::move(d)), client(c) {}

  void handle(HttpRequest& request, Reply reply) {
    auto s = std::make_shared<pipeline::Submission>();
    s->request = std::move(request);
    s->reply = std::move(reply);
    pipeline->run(s);
  }
  void forward(const pipeline::SubmissionPtr& s);
  // Answers a refusal and records it (counted by code; a bounded sample kept in node_event).
  void refuse(pipeline::Submission& s, HttpResponse response) {
    refusals->record(RefusalRecorder::kCall, response,
                     {{"client", s.request.header("lgsp-client").value_or("")},
                      {"service", s.service_id},
                      {"message_id", s.message_id},
                      {"remote", s.request.remote}});
    s.reply(std::move(response));
  }
  void answered(const Caller& caller, const std::string& call_id, const std::string& request_hash,
                OutboundResponse response, const Reply& reply);
};

namespace {

// The service and the provider path from the URL: /v1/call/<member>/<subsystem>/<code>/v<N>[/<path>].
// The path is decoded once and checked here, and re-encoded when the URL is built (provider_path.hpp):
// the provider sees a path under the service's endpoint and nothing else (the ACL and the seal name the
// service, not the path).
class TargetStage : public pipeline::Stage {
 public:
  explicit TargetStage(std::shared_ptr<const pipeline::StageContext> context) : x_(std::move(context)) {}
  void process(const pipeline::SubmissionPtr& s, const pipeline::Next& next) override {
    std::string path;
    if (!split_target(s->request.path_params["*"], s->service_id, path))
      return x_->refuse(*s,
                        problem(errors::kUnknownRoute, "expected /v1/call/<member>/<subsystem>/<code>/v<N>[/<path>]"));
    auto parsed = parse_provider_path(path);
    if (auto* bad = std::get_if<PathRefusal>(&parsed))
      return x_->refuse(*s, problem(errors::kBadCallPath, bad->detail));
    auto query = check_call_query(s->request.query);
    if (auto* bad = std::get_if<PathRefusal>(&query)) return x_->refuse(*s, problem(errors::kBadCallPath, bad->detail));
    s->provider_path = std::get<ProviderPath>(std::move(parsed));
    s->query = std::get<std::string>(std::move(query));
    next(s);
  }

 private:
  std::shared_ptr<const pipeline::StageContext> x_;
};

// The last stage: the provider is called; its answer is validated and sealed with the request.
class ForwardStage : public pipeline::Stage {
 public:
  explicit ForwardStage(CallProxy::Impl& proxy) : proxy_(proxy) {}
  void process(const pipeline::SubmissionPtr& s, const pipeline::Next&) override { proxy_.forward(s); }

 private:
  CallProxy::Impl& proxy_;  // owns the pipeline, so outlives this stage
};

}  // namespace

void CallProxy::Impl::forward(const pipeline::SubmissionPtr& s) {
  // Before the provider is called: an answer the node cannot seal is not worth asking for.
  Sealer* sealer = deps.sealer();
  std::string why_not;
  if (!sealer || !sealer->ready(why_not))
    return refuse(*s, problem(errors::kSigningUnavailable, why_not.empty() ? "signing is not available" : why_not));
  const auto& request = s->request;
  const auto& caller = s->caller;
  // The call id goes into the answer's headers, the provider's request and the log, like a message id.
  const std::string call_id = s->message_id.empty() ? random_hex(16) : s->message_id;
  const std::string request_hash = sha256_hex(request.body);
  OutboundRequest out;
  out.method = request.method;
  out.url = provider_url(caller.service.endpoint, s->provider_path, s->query);
  out.body = request.body;
  out.timeout = std::chrono::milliseconds(caller.service.timeout_ms);
  // The caller's credentials (Authorization, cookies) are never passed on to the provider.
  for (const char* name : {"content-type", "accept", "lgsp-conversation-id"})
    if (auto v = request.header(name)) out.headers.emplace_back(name, *v);
  out.headers.emplace_back("LGSP-Client", caller.client);
  out.headers.emplace_back("LGSP-Service", s->service_id);
  out.headers.emplace_back("LGSP-Message-Id", call_id);
  out.headers.emplace_back("LGSP-Request-Hash", request_hash);
  client.send(std::move(out),
              [self = shared_from_this(), caller, call_id, request_hash, reply = s->reply](OutboundResponse response) {
                self->answered(caller, call_id, request_hash, std::move(response), reply);
              });
}

void CallProxy::Impl::answered(const Caller& caller, const std::string& call_id, const std::string& request_hash,
                               OutboundResponse response, const Reply& reply) {
  using Failure = OutboundResponse::Failure;
  if (response.failure == Failure::timeout) return reply(problem(errors::kProviderTimeout, response.error));
  if (!response.ok()) return reply(problem(errors::kProviderError, response.error));
  if (response.status >= 500) {
    if (auto passed = provider_problem(response, caller.service.id)) return reply(std::move(*passed));
    return reply(problem(errors::kProviderError, "the provider answered HTTP " + std::to_string(response.status)));
  }
  if (response.status < 300 && !caller.service.response_contract.empty()) {
    const auto* catalogue = deps.catalogue();
    const auto* contract = catalogue ? catalogue->find(caller.service.response_contract) : nullptr;
    if (!contract)
      return reply(problem(errors::kInternal, "contract " + caller.service.response_contract + " is gone"));
    // The provider's answer is inbound traffic: the receive profile.
    auto result = contract->validate(response.body, deps.limits, contracts::Profile::receive);
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
    : impl_(std::make_shared<Impl>(std::move(dependencies), client)) {
  // The shared stages see this context, never the proxy.
  auto context = std::make_shared<pipeline::StageContext>();
  context->store = impl_->deps.store;
  context->catalogue = impl_->deps.catalogue;
  context->registry_cache = impl_->deps.registry_cache;
  context->limits = impl_->deps.limits;
  context->metrics = impl_->deps.metrics;
  context->refuse = [impl = std::weak_ptr<Impl>(impl_)](pipeline::Submission& s, HttpResponse r) {
    if (auto proxy = impl.lock()) return proxy->refuse(s, std::move(r));
    s.reply(std::move(r));
  };
  std::vector<std::unique_ptr<pipeline::Stage>> stages;
  stages.push_back(std::make_unique<TargetStage>(context));
  stages.push_back(pipeline::headers(
      context, {.service_from_header = false, .message_id_required = false, .payload_required = false}));
  stages.push_back(pipeline::access(context));
  stages.push_back(pipeline::contract(context));
  stages.push_back(std::make_unique<ForwardStage>(*impl_));
  impl_->pipeline = std::make_shared<pipeline::Pipeline>(context, std::move(stages));
}

void CallProxy::add_routes(Router& router) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE"})
    router.add(method, "/v1/call/*",
               [impl = impl_](HttpRequest& r, Reply reply) { impl->handle(r, std::move(reply)); });
}

}  // namespace lgsp::bus
