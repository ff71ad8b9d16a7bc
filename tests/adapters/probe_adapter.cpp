#include "probe_adapter.hpp"

#include "lgsp/bus/router.hpp"

#include <stdexcept>
#include <variant>

namespace lgsp::adapters::test {

ProbeAdapter::ProbeAdapter(ConfigTable& table)
    : name_(table.required_string("name")),
      service_(table.string("service", "")),
      healthy_(table.boolean("healthy", true)),
      fail_start_(table.boolean("fail_start", false)) {}

void ProbeAdapter::start(AdapterContext& context) {
  if (fail_start_) throw AdapterConfigError("adapter '" + name_ + "'", "fail_start is set");
  context_ = &context;
  context.router.add("POST", context.route_prefix + "/in", [this](bus::HttpRequest& r, bus::Reply reply) {
    auto outcome = context_->deliveries.verify(r);
    std::lock_guard lock(mutex_);
    received_.push_back(r);
    if (auto* refusal = std::get_if<DeliveryRefusal>(&outcome)) {
      context_->metrics.count("refused");
      reply(refusal_answer(*refusal));
      return;
    }
    delivered_.push_back(std::get<Delivery>(outcome));
    context_->metrics.count("delivered");
    reply(bus::HttpResponse::json(200, {{"ok", true}}));
  });
  context.router.add("GET", context.route_prefix + "/hello", [this](bus::HttpRequest&, bus::Reply reply) {
    context_->metrics.count("hello");
    context_->metrics.gauge("last_hello", 1.5);
    reply(bus::HttpResponse::text(200, "hello " + name_));
  });
  context.router.add("GET", context.route_prefix + "/throw",
                     [](bus::HttpRequest&, bus::Reply) -> void { throw std::runtime_error("probe threw"); });
  // Never answers: the runner answers 504 after its request timeout.
  context.router.add("GET", context.route_prefix + "/silent", [](bus::HttpRequest&, bus::Reply) {});
  context.router.add("POST", context.route_prefix + "/small",
                     [](bus::HttpRequest& r, bus::Reply reply) { reply(bus::HttpResponse::text(200, r.body)); });
  context.router.limit_body("POST", context.route_prefix + "/small", 8);
  started_ = true;
}

void ProbeAdapter::stop() { stopped_ = true; }

Health ProbeAdapter::health() const {
  return Health{healthy_, healthy_ ? "probing" : "configured unhealthy", static_cast<std::int64_t>(received().size())};
}

void ProbeAdapter::prepare_replay(AdapterContext& context) { context_ = &context; }

std::string ProbeAdapter::replay(const DeadLetter& letter) {
  if (!context_) return "no context";
  if (service_.empty()) return letter.payload == "ok" ? "" : "the payload is not 'ok'";
  OutgoingMessage m;
  m.service = service_;
  m.message_id = letter.key;
  m.body = letter.payload;
  auto outcome = context_->node.send(m);
  return outcome.acknowledged() ? "" : outcome.describe();
}

std::vector<bus::HttpRequest> ProbeAdapter::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::vector<Delivery> ProbeAdapter::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

void register_probe_kind() {
  register_adapter_kind_for_tests(
      "probe", [](ConfigTable& table) -> std::unique_ptr<Adapter> { return std::make_unique<ProbeAdapter>(table); });
}

}  // namespace lgsp::adapters::test
