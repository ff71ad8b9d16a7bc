#include "rest_adapter.hpp"

#include "mapping.hpp"
#include "mapping_config.hpp"
#include "rest_errors.hpp"
#include "url_template.hpp"

#include "lgsp/adapters/backoff.hpp"
#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_json.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lgsp::adapters {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace rerr = rest::errors;

std::string bounded(std::string s, std::size_t max = 300) {
  if (s.size() > max) s = s.substr(0, max) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

// One mapping as configured, compiled at start against its contract.
struct MappingSlot {
  rest::MappingSpec spec;
  std::string contract_id;
  std::string where;  // "adapter 'x'.to_contract"
  std::optional<rest::Mapping> mapping;
  const contracts::Contract* contract = nullptr;
};

struct LegacySettings {
  std::string url;
  std::optional<rest::UrlTemplate> url_template;
  std::string method;  // empty: the incoming call's method (POST for deliveries)
  std::chrono::milliseconds timeout{10000};
  std::string authorization;  // the Authorization header's value, empty: none
  bus::OutboundTls tls;
};

// What a provider-side request came to: done, never to be retried (dead-letter it), or to be tried again.
struct LegacyOutcome {
  enum class Kind { done, refused, unavailable, timeout };
  Kind kind = Kind::done;
  std::string reason;
  unsigned status = 0;
  std::string body;  // the legacy answer (done)
};

class RestAdapter final : public Adapter {
 public:
  explicit RestAdapter(ConfigTable& table) {
    name_ = table.required_string("name");
    provider_ = table.choice("mode", {"inbound", "provider"}, "inbound") == "provider";
    service_ = table.required_string("service");
    workers_count_ = static_cast<unsigned>(table.integer("workers", 4, 1, 64));
    max_body_ = static_cast<std::size_t>(table.integer("max_body_bytes", 1 << 20, 1024, 64 << 20));
    if (auto t = table.optional_table("to_contract")) to_contract_ = read_slot(*t, rest::Direction::to_contract);
    if (auto t = table.optional_table("from_contract")) from_contract_ = read_slot(*t, rest::Direction::from_contract);
    if (!provider_) {
      sync_ = table.choice("exchange", {"async", "sync"}, "async") == "sync";
      message_id_field_ = table.string("message_id_field", "");
      conversation_id_field_ = table.string("conversation_id_field", "");
      send_attempts_ = static_cast<int>(table.integer("send_attempts", 3, 1, 20));
      send_backoff_ = table.milliseconds("send_backoff_ms", 500ms, 10ms, 60000ms);
      // Whoever reaches this route sends as the adapter's identity: only the legacy system's addresses, and
      // its token when one is configured.
      inbound_token_ = table.optional_secret("inbound_token").value_or("");
      inbound_sources_ = table.strings("inbound_sources");
      if (inbound_sources_.empty()) inbound_sources_ = {"127.0.0.1", "::1"};
      if (!to_contract_)
        throw AdapterConfigError(
            table.where("to_contract"),
            "an inbound rest adapter needs [adapter.to_contract] (the legacy request -> contract)");
      if (from_contract_ && !sync_)
        throw AdapterConfigError(table.where("from_contract"),
                                 "maps a sync call's answer back: use it with exchange = \"sync\"");
    } else {
      if (!from_contract_)
        throw AdapterConfigError(
            table.where("from_contract"),
            "a provider rest adapter needs [adapter.from_contract] (the contract -> legacy request)");
      call_sources_ = table.strings("call_sources");
      if (call_sources_.empty()) call_sources_ = {"127.0.0.1", "::1"};
      auto t = table.table("legacy");
      legacy_.url = t.required_string("url");
      try {
        legacy_.url_template = rest::UrlTemplate::parse(legacy_.url);
      } catch (const std::invalid_argument& e) {
        throw AdapterConfigError(t.where("url"), e.what());
      }
      if (!bus::Url::parse(legacy_.url.substr(0, legacy_.url.find('{'))))
        throw AdapterConfigError(t.where("url"), "must be an http:// or https:// URL");
      legacy_.method = t.string("method", "");
      if (!legacy_.method.empty() && legacy_.method != "POST" && legacy_.method != "PUT" && legacy_.method != "GET" &&
          legacy_.method != "PATCH" && legacy_.method != "DELETE")
        throw AdapterConfigError(t.where("method"), "one of GET, POST, PUT, PATCH, DELETE");
      legacy_.timeout = t.milliseconds("timeout_ms", 10000ms, 100ms, 600000ms);
      const auto auth = t.choice("auth", {"none", "basic", "bearer", "mtls"}, "none");
      if (auth == "basic")
        legacy_.authorization =
            "Basic " + contracts::base64_encode(t.required_string("user") + ":" + t.required_secret("password"));
      if (auth == "bearer") legacy_.authorization = "Bearer " + t.required_secret("token");
      if (auto ca = t.optional_path("ca")) legacy_.tls.ca = *ca;
      if (auth == "mtls") {
        legacy_.tls.certificate = t.required_path("certificate");
        legacy_.tls.private_key = t.required_path("private_key");
      }
      for (const auto& name : legacy_.url_template->names())
        if (name != "path" && std::none_of(from_contract_->spec.fields.begin(), from_contract_->spec.fields.end(),
                                           [&](const auto& f) { return f.second == name; }))
          throw AdapterConfigError(
              t.where("url"),
              "the placeholder {" + name + "} is not a legacy field of [adapter.from_contract] (or {path})");
    }
  }

  ~RestAdapter() override { stop(); }

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "rest"; }

  void prepare_replay(AdapterContext& context) override { prepare(context); }

  void start(AdapterContext& context) override {
    prepare(context);
    workers_ = std::make_unique<bus::WorkerRoutes>(workers_count_, bus::RouteErrors{"adapter.rest", {}, {}});
    auto& router = context.router;
    const auto& prefix = context.route_prefix;
    if (provider_) {
      router.add("POST", prefix + "/deliveries", workers_->handler([this](bus::HttpRequest& r) { return deliver(r); }));
      router.limit_body("POST", prefix + "/deliveries", max_body_);
      for (const char* method : {"GET", "POST", "PUT", "DELETE"})
        for (const std::string& pattern : {prefix + "/call", prefix + "/call/*"}) {
          router.add(method, pattern, workers_->handler([this](bus::HttpRequest& r) { return provide(r); }));
          router.limit_body(method, pattern, max_body_);
        }
    } else {
      for (const std::string& pattern : {prefix + "/in", prefix + "/in/*"}) {
        router.add("POST", pattern, workers_->handler([this](bus::HttpRequest& r) { return inbound(r); }));
        router.limit_body("POST", pattern, max_body_);
      }
    }
  }

 private:
  // What both start() and a replay need: the mappings compiled against their contracts, the legacy client.
  void prepare(AdapterContext& context) {
    context_ = &context;
    for (auto* slot : {to_contract_ ? &*to_contract_ : nullptr, from_contract_ ? &*from_contract_ : nullptr}) {
      if (slot == nullptr) continue;
      slot->contract = context.catalogue.find(slot->contract_id);
      if (slot->contract == nullptr)
        throw AdapterConfigError(slot->where + ".contract", "no contract '" + slot->contract_id + "' in the catalogue");
      try {
        const auto schema = rest::load_contract_schema(*slot->contract);
        slot->mapping = rest::Mapping::compile(slot->spec, &schema, slot->contract_id);
      } catch (const rest::MappingLoadError& e) {
        throw AdapterConfigError(slot->where + "." + e.key(), std::string(e.what()).substr(e.key().size() + 2));
      } catch (const std::runtime_error& e) {
        throw AdapterConfigError(slot->where + ".contract", e.what());
      }
    }
    if (provider_) {
      try {
        legacy_client_ = std::make_unique<bus::OutboundClient>(legacy_.tls, 1, max_body_);
      } catch (const std::exception& e) {
        throw AdapterConfigError("adapter '" + name_ + "'.legacy", e.what());
      }
    }
  }

 public:
  void stop() override {
    stopping_ = true;
    if (workers_) workers_->join();
  }

  Health health() const override {
    Health h;
    std::lock_guard lock(health_mutex_);
    h.ok = failing_.empty();
    h.detail =
        h.ok ? (provider_ ? "providing " + service_ + " from " + legacy_.url : "sending to " + service_) : failing_;
    h.backlog = in_flight_.load();
    return h;
  }

  std::string replay(const DeadLetter& letter) override {
    if (!provider_) return "an inbound rest adapter keeps no dead letters";
    std::string message_id;
    try {
      message_id = json::parse(letter.detail).value("message_id", "");
    } catch (const json::exception&) {
      return "the dead letter's detail is not what this adapter wrote";
    }
    auto outcome = to_legacy(letter.payload, message_id, "", "");
    if (outcome.kind == LegacyOutcome::Kind::done) {
      context_->metrics.count("delivered");
      return "";
    }
    return outcome.reason;
  }

 private:
  MappingSlot read_slot(ConfigTable& t, rest::Direction direction) {
    MappingSlot slot;
    slot.where = t.where();
    slot.spec = rest::read_mapping(t, direction, slot.contract_id);
    return slot;
  }

  void mark(const std::string& failing) {
    std::lock_guard lock(health_mutex_);
    failing_ = bounded(failing);
    context_->metrics.gauge("failing", failing.empty() ? 0 : 1);
  }

  std::optional<json> parse(const std::string& body, std::string& why) const {
    contracts::ParseLimits limits;
    limits.max_document_bytes = max_body_;
    std::vector<contracts::ValidationError> errors;
    auto doc = contracts::parse_json(body, limits, errors);
    if (!doc) why = errors.empty() ? "not JSON" : contracts::to_text(errors);
    return doc;
  }

  // Maps `input` with `slot` and checks the result against the slot's contract when the output is the
  // contract's; a failure names the input's own field.
  std::variant<json, rest::MappingFailure> map(const MappingSlot& slot, const json& input) const {
    auto out = slot.mapping->apply(input);
    if (std::holds_alternative<rest::MappingFailure>(out) || slot.mapping->direction() != rest::Direction::to_contract)
      return out;
    const auto result = slot.contract->validate(std::get<json>(out).dump(), {});
    if (result.valid()) return out;
    const auto& e = result.errors.front();
    return rest::MappingFailure{
        slot.mapping->source_of(e.path, e.message),
        "breaks the contract " + slot.contract_id + " at " + (e.path.empty() ? "/" : e.path) + ": " + e.message};
  }

  static bus::HttpResponse mapping_problem(const bus::ErrorCode& code, const rest::MappingFailure& f) {
    return bus::problem(code, bounded(f.describe(), 600),
                        json::array({{{"field", bounded(f.field, 200)}, {"message", bounded(f.reason, 500)}}}));
  }

  static std::optional<std::string> id_from(const json& doc, const std::string& field) {
    if (field.empty()) return std::nullopt;
    const json* at = &doc;
    for (const auto& s : rest::split_path(field)) {
      if (!at->is_object() || !at->contains(s)) return std::nullopt;
      at = &(*at)[s];
    }
    return rest::scalar_text(*at);
  }

  // The legacy system calls the bus: its JSON mapped to the contract, sent (async) or called (sync).
  bus::HttpResponse inbound(bus::HttpRequest& request) {
    if (!allowed(inbound_sources_, request.remote) ||
        (!inbound_token_.empty() &&
         !bus::constant_time_equal(request.header("authorization").value_or(""), "Bearer " + inbound_token_))) {
      context_->metrics.count("inbound_refused");
      return bus::problem(rerr::kCallerRefused, "not from the legacy system's address with its token");
    }
    context_->metrics.count("received");
    std::string why;
    auto doc = parse(request.body, why);
    if (!doc) {
      context_->metrics.count("mapping_failed");
      return bus::problem(bus::errors::kJsonSyntax, bounded(why));
    }
    auto mapped = map(*to_contract_, *doc);
    if (auto* f = std::get_if<rest::MappingFailure>(&mapped)) {
      context_->metrics.count("mapping_failed");
      return mapping_problem(rerr::kMapping, *f);
    }
    std::string message_id, conversation_id;
    for (auto [field, header, out] : {std::tuple{&message_id_field_, "lgsp-message-id", &message_id},
                                      std::tuple{&conversation_id_field_, "lgsp-conversation-id", &conversation_id}}) {
      auto value = id_from(*doc, *field);
      if (!value && field->empty()) value = request.header(header);
      if (!value && field->empty() && out == &message_id) value = request.header("idempotency-key");
      if (value && !bus::is_wire_id(*value)) {
        context_->metrics.count("mapping_failed");
        return mapping_problem(rerr::kMapping,
                               {field->empty() ? std::string(header) : *field,
                                "'" + bounded(*value, 140) + "' is not " + std::string(bus::kWireIdRule)});
      }
      if (value) *out = *value;
    }
    const std::string body = std::get<json>(mapped).dump();
    ++in_flight_;
    struct Done {
      std::atomic<std::int64_t>& n;
      ~Done() { --n; }
    } done{in_flight_};
    return sync_ ? call_node(body, message_id, request) : send_node(body, message_id, conversation_id);
  }

  bus::HttpResponse send_node(const std::string& body, const std::string& message_id,
                              const std::string& conversation_id) {
    OutgoingMessage message;
    message.service = service_;
    // Without an id of its own a record gets a fresh one: a legacy system that sends it again sends a new message.
    message.message_id = message_id.empty() ? "rest-" + bus::random_hex(16) : message_id;
    message.conversation_id = conversation_id;
    message.body = body;
    Backoff backoff(send_backoff_, send_backoff_ * 8);
    SendOutcome outcome;
    for (int attempt = 1; attempt <= send_attempts_ && !stopping(); ++attempt) {
      outcome = context_->node.send(message);
      if (outcome.kind != SendOutcome::Kind::unavailable) break;
      context_->metrics.count("node_unavailable");
      // The legacy caller is waiting: a few short pauses, then 503 and the caller sends again later.
      if (attempt < send_attempts_ && !sleep_unless_stopping(stopping_, backoff.next(outcome.retry_after))) break;
    }
    switch (outcome.kind) {
      case SendOutcome::Kind::accepted:
      case SendOutcome::Kind::repeated: {
        mark("");
        context_->metrics.count(outcome.kind == SendOutcome::Kind::accepted ? "sent" : "repeated");
        bus::HttpResponse r;
        r.status = outcome.kind == SendOutcome::Kind::accepted ? 202 : 200;
        r.body = outcome.body;
        return r;
      }
      case SendOutcome::Kind::refused: {
        context_->metrics.count("refused");
        bus::HttpResponse r;  // the node's own problem: its code says what the legacy system must fix
        r.status = outcome.status;
        r.content_type = "application/problem+json";
        r.body = outcome.body;
        return r;
      }
      case SendOutcome::Kind::unavailable:
        break;
    }
    mark("node unavailable: " + outcome.describe());
    auto r = bus::problem(rerr::kNodeUnavailable, bounded(outcome.describe()));
    r.headers.emplace_back("Retry-After", std::to_string(outcome.retry_after ? outcome.retry_after->count() : 5));
    return r;
  }

  bus::HttpResponse call_node(const std::string& body, const std::string& message_id, const bus::HttpRequest& request) {
    CallRequest call;
    call.service = service_;
    call.body = body;
    call.message_id = message_id;
    if (auto rest = request.path_params.find("*"); rest != request.path_params.end()) call.path = "/" + rest->second;
    call.headers.emplace_back("Accept", "application/json");
    const auto answer = context_->node.call(call);
    if (!answer.answered) {
      context_->metrics.count("node_unavailable");
      mark("node unavailable: " + answer.error);
      return bus::problem(rerr::kNodeUnavailable, bounded(answer.error));
    }
    mark("");
    if (answer.status < 200 || answer.status >= 300 || !from_contract_) {
      context_->metrics.count(answer.status < 300 ? "called" : "refused");
      bus::HttpResponse r;
      r.status = answer.status;
      r.content_type = answer.content_type.empty() ? "application/json" : answer.content_type;
      r.body = answer.body;
      return r;
    }
    std::string why;
    auto doc = parse(answer.body, why);
    if (!doc) return bus::problem(rerr::kAnswerMapping, "the service's answer is not JSON: " + bounded(why));
    auto mapped = map(*from_contract_, *doc);
    if (auto* f = std::get_if<rest::MappingFailure>(&mapped)) {
      context_->metrics.count("mapping_failed");
      return mapping_problem(rerr::kAnswerMapping, *f);
    }
    context_->metrics.count("called");
    return bus::HttpResponse::json(answer.status, std::get<json>(mapped));
  }

  // The node delivers a message of the service this adapter provides: mapped to the legacy names and sent
  // to the legacy system. Answered 2xx only when the legacy system took it or it is in the dead letters.
  bus::HttpResponse deliver(bus::HttpRequest& request) {
    auto verified = context_->deliveries.verify(request);
    if (auto* refusal = std::get_if<DeliveryRefusal>(&verified)) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(errors::kDeliverySeal, bounded(refusal->reason));
    }
    const auto& d = std::get<Delivery>(verified);
    if (d.service != service_) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(rerr::kWrongService,
                          "this adapter provides " + service_ + ", not " + bounded(d.service, 200));
    }
    ++in_flight_;
    struct Done {
      std::atomic<std::int64_t>& n;
      ~Done() { --n; }
    } done{in_flight_};
    const auto outcome = to_legacy(d.body, d.message_id, "", request.method);
    switch (outcome.kind) {
      case LegacyOutcome::Kind::done:
        context_->metrics.count("delivered");
        return bus::HttpResponse::json(200, {{"message_id", d.message_id}, {"delivered", true}});
      case LegacyOutcome::Kind::refused: {
        // Sending it again would be refused again: kept here with the reason, replayed once fixed.
        const json detail = {{"message_id", d.message_id}, {"client", d.client}, {"service", d.service}};
        const auto id = context_->dead_letters.add(d.message_id, outcome.reason, d.body, detail.dump());
        context_->metrics.count("dead_lettered");
        spdlog::warn("adapter {}: delivery {} dead-lettered: {}", name_, bounded(d.message_id, 140),
                     bounded(outcome.reason));
        return bus::HttpResponse::json(200, {{"message_id", d.message_id}, {"dead_letter", id}});
      }
      case LegacyOutcome::Kind::unavailable:
      case LegacyOutcome::Kind::timeout:
        break;
    }
    return bus::problem(rerr::kLegacyUnavailable, bounded(outcome.reason));  // the node sends it again later
  }

  // The node forwards a synchronous call (/v1/call/<service>/<path>) to this adapter.
  bus::HttpResponse provide(bus::HttpRequest& request) {
    if (!allowed(call_sources_, request.remote)) {
      context_->metrics.count("calls_refused");
      return bus::problem(rerr::kCallerRefused, "calls come from the node's address only");
    }
    const auto sub = request.path_params.count("*") ? request.path_params.at("*") : std::string();
    const auto message_id = request.header("lgsp-message-id").value_or("");
    ++in_flight_;
    struct Done {
      std::atomic<std::int64_t>& n;
      ~Done() { --n; }
    } done{in_flight_};
    const auto outcome = to_legacy(request.body, message_id, sub, request.method);
    switch (outcome.kind) {
      case LegacyOutcome::Kind::done:
        break;
      case LegacyOutcome::Kind::refused:
        context_->metrics.count("calls_refused");
        return bus::problem(outcome.status == 0 ? rerr::kMapping : rerr::kLegacyRefused, bounded(outcome.reason, 600));
      case LegacyOutcome::Kind::unavailable:
        return bus::problem(rerr::kLegacyFailed, bounded(outcome.reason));
      case LegacyOutcome::Kind::timeout:
        return bus::problem(rerr::kLegacyTimeout, bounded(outcome.reason));
    }
    if (!to_contract_) {
      bus::HttpResponse r;
      r.body = outcome.body;
      return r;
    }
    std::string why;
    auto doc = parse(outcome.body, why);
    if (!doc) return bus::problem(rerr::kAnswerMapping, "the legacy answer is not JSON: " + bounded(why));
    auto mapped = map(*to_contract_, *doc);
    if (auto* f = std::get_if<rest::MappingFailure>(&mapped)) {
      context_->metrics.count("mapping_failed");
      return mapping_problem(rerr::kAnswerMapping, *f);
    }
    context_->metrics.count("provided");
    return bus::HttpResponse::json(200, std::get<json>(mapped));
  }

  static bool allowed(const std::vector<std::string>& sources, const std::string& remote) {
    std::string host = remote.substr(0, remote.rfind(':'));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.rfind("::ffff:", 0) == 0) host = host.substr(7);
    return std::find(sources.begin(), sources.end(), host) != sources.end();
  }

  // Maps a contract document to the legacy request and sends it. A record the mapping cannot apply to, and a
  // legacy 4xx, are `refused` (status 0 for the mapping); no answer or a 5xx is `unavailable`.
  LegacyOutcome to_legacy(const std::string& body, const std::string& message_id, const std::string& sub,
                          const std::string& incoming_method) {
    json legacy_request = json::object();
    const bool has_body = !body.empty();
    if (has_body) {
      std::string why;
      auto doc = parse(body, why);
      if (!doc) return {LegacyOutcome::Kind::refused, "the message is not JSON: " + bounded(why), 0, {}};
      auto mapped = map(*from_contract_, *doc);
      if (auto* f = std::get_if<rest::MappingFailure>(&mapped)) {
        context_->metrics.count("mapping_failed");
        return {LegacyOutcome::Kind::refused, f->describe(), 0, {}};
      }
      legacy_request = std::get<json>(std::move(mapped));
    }
    std::string missing;
    auto url = legacy_.url_template->fill(legacy_request, sub, missing);
    if (!url) return {LegacyOutcome::Kind::refused, missing + ": missing (the legacy URL needs it)", 0, {}};
    bus::OutboundRequest out;
    out.method = legacy_.method.empty() ? (incoming_method.empty() ? "POST" : incoming_method) : legacy_.method;
    out.url = *url;
    out.timeout = legacy_.timeout;
    out.headers = {{"Accept", "application/json"}};
    if (out.method != "GET" && out.method != "DELETE") {
      out.headers.emplace_back("Content-Type", "application/json");
      out.body = legacy_request.dump();
    }
    if (!legacy_.authorization.empty()) out.headers.emplace_back("Authorization", legacy_.authorization);
    // The legacy system can use it to take a message the node sends again only once.
    if (bus::is_wire_id(message_id)) out.headers.emplace_back("LGSP-Message-Id", message_id);
    const auto answer = legacy_client_->send_sync(std::move(out));
    if (!answer.ok()) {
      context_->metrics.count("legacy_unavailable");
      mark("legacy system unavailable: " + answer.error);
      return {answer.failure == bus::OutboundResponse::Failure::timeout ? LegacyOutcome::Kind::timeout
                                                                        : LegacyOutcome::Kind::unavailable,
              "the legacy system: " + bounded(answer.error),
              0,
              {}};
    }
    if (answer.status >= 500 || answer.status == 429 || answer.status == 408) {
      context_->metrics.count("legacy_unavailable");
      mark("legacy system answers " + std::to_string(answer.status));
      return {LegacyOutcome::Kind::unavailable,
              "the legacy system answered " + std::to_string(answer.status) + ": " + bounded(answer.body, 200),
              answer.status,
              {}};
    }
    mark("");
    if (answer.status >= 400 || answer.status < 200)
      return {LegacyOutcome::Kind::refused,
              "the legacy system answered " + std::to_string(answer.status) + ": " + bounded(answer.body, 200),
              answer.status,
              {}};
    return {LegacyOutcome::Kind::done, "", answer.status, answer.body};
  }

  bool stopping() const { return stopping_ || (context_ != nullptr && context_->stopping.load()); }

  std::string name_;
  bool provider_ = false;
  bool sync_ = false;
  std::string service_;
  unsigned workers_count_ = 4;
  std::size_t max_body_ = 1 << 20;
  std::optional<MappingSlot> to_contract_, from_contract_;
  std::string message_id_field_, conversation_id_field_;
  int send_attempts_ = 3;
  std::chrono::milliseconds send_backoff_{500};
  std::vector<std::string> call_sources_;
  std::string inbound_token_;
  std::vector<std::string> inbound_sources_;
  LegacySettings legacy_;

  AdapterContext* context_ = nullptr;
  std::unique_ptr<bus::OutboundClient> legacy_client_;
  std::unique_ptr<bus::WorkerRoutes> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> in_flight_{0};
  mutable std::mutex health_mutex_;
  std::string failing_;
};

}  // namespace

std::unique_ptr<Adapter> make_rest_adapter(ConfigTable& table) { return std::make_unique<RestAdapter>(table); }

}  // namespace lgsp::adapters
